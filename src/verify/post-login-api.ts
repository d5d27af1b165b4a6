/**
 * A recording PostLogin `api` (rules-to-actions.md §8): every call is kept in order, and the few
 * methods that return something behave like the platform (cache TTLs in milliseconds, signed redirect
 * tokens, canRedirect by protocol).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { JsonObject } from './types.js';

export interface ApiCall {
  method: string;
  args: unknown[];
}

export interface CacheRecord {
  value: string;
  expires_at: number;
}

export type CacheSetResult = { type: 'success'; record: CacheRecord } | { type: 'error'; code: string };

const CACHE_DEFAULT_TTL_MS = 15 * 60 * 1000;
const CACHE_MAX_TTL_MS = 24 * 60 * 60 * 1000;

/** `api.cache` with real expiry; `now` is injectable for tests. */
export class ActionCache {
  private readonly entries = new Map<string, CacheRecord>();
  constructor(private readonly now: () => number = Date.now) {}

  get(key: string): CacheRecord | undefined {
    const record = this.entries.get(key);
    if (!record) return undefined;
    if (record.expires_at <= this.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return { ...record };
  }

  set(key: string, value: unknown, options: { ttl?: number; expires_at?: number } = {}): CacheSetResult {
    if (typeof key !== 'string' || Buffer.byteLength(key) > 64) return { type: 'error', code: 'CacheKeySizeExceeded' };
    if (typeof value !== 'string') return { type: 'error', code: 'InvalidCacheValue' };
    if (Buffer.byteLength(value) > 4096) return { type: 'error', code: 'CacheValueSizeExceeded' };
    const now = this.now();
    const candidates: number[] = [];
    if (options.ttl !== undefined) candidates.push(now + Number(options.ttl));
    if (options.expires_at !== undefined) candidates.push(Number(options.expires_at));
    if (candidates.some((c) => !Number.isFinite(c))) return { type: 'error', code: 'InvalidExpiry' };
    // Both given: the earlier wins; neither: 15 minutes; never beyond 24 hours.
    const expiresAt = Math.min(candidates.length ? Math.min(...candidates) : now + CACHE_DEFAULT_TTL_MS, now + CACHE_MAX_TTL_MS);
    if (expiresAt <= now) return { type: 'error', code: 'ItemAlreadyExpired' };
    const record = { value, expires_at: expiresAt };
    this.entries.set(key, record);
    return { type: 'success', record: { ...record } };
  }

  delete(key: string): { type: 'success' } {
    this.entries.delete(key);
    return { type: 'success' };
  }
}

export interface PostLoginApiOptions {
  event: JsonObject;
  executedRules?: string[];
  now?: () => number;
}

const SAML_SETTERS = [
  'setAudience', 'setRecipient', 'setIssuer', 'setDestination', 'setRelayState', 'setLifetimeInSeconds',
  'setSignResponse', 'setNameIdentifierFormat', 'setNameIdentifierProbes', 'setAuthnContextClassRef',
  'setSigningCert', 'setIncludeAttributeNameFormat', 'setTypedAttributes', 'setEncryptionCert',
  'setEncryptionPublicKey', 'setCert', 'setKey', 'setCreateUpnClaim', 'setPassthroughClaimsWithNoMapping',
  'setMapUnknownClaimsAsIs', 'setMapIdentities', 'setSignatureAlgorithm', 'setDigestAlgorithm',
  'setEncryptionAlgorithm', 'setAttribute',
];

export interface PostLoginApi {
  api: JsonObject;
  calls: ApiCall[];
  cache: ActionCache;
}

export function createPostLoginApi(options: PostLoginApiOptions): PostLoginApi {
  const calls: ApiCall[] = [];
  const cache = new ActionCache(options.now);
  const record = (method: string, args: unknown[]) => calls.push({ method, args: clone(args) });
  // The platform's setters return the api object, so calls can be chained.
  const recorder = (namespace: string, names: string[]) =>
    Object.fromEntries(
      names.map((name) => [
        name,
        (...args: unknown[]) => {
          record(`${namespace}.${name}`, args);
          return api;
        },
      ]),
    );
  const event = options.event;
  const transaction = (event.transaction ?? {}) as JsonObject;
  const request = (event.request ?? {}) as { query?: JsonObject; body?: JsonObject };

  const api: JsonObject = {
    access: recorder('access', ['deny']),
    idToken: recorder('idToken', ['setCustomClaim']),
    accessToken: recorder('accessToken', ['setCustomClaim', 'addScope', 'removeScope']),
    authentication: recorder('authentication', [
      'setPrimaryUser', 'challengeWith', 'challengeWithAny', 'enrollWith', 'enrollWithAny', 'recordMethod',
    ]),
    multifactor: recorder('multifactor', ['enable']),
    user: recorder('user', ['setAppMetadata', 'setUserMetadata']),
    transaction: recorder('transaction', ['setMetadata']),
    samlResponse: recorder('samlResponse', SAML_SETTERS),
    validation: recorder('validation', ['error']),
    prompt: recorder('prompt', ['render']),
    session: recorder('session', ['revoke', 'setExpiresAt', 'setIdleExpiresAt', 'setCookieMode', 'setMetadata', 'deleteMetadata', 'evictMetadata']),
    refreshToken: recorder('refreshToken', ['revoke', 'setExpiresAt', 'setIdleExpiresAt', 'setMetadata', 'deleteMetadata', 'evictMetadata']),
    cache: {
      get(key: string) {
        record('cache.get', [key]);
        return cache.get(key);
      },
      set(key: string, value: unknown, opts?: { ttl?: number; expires_at?: number }) {
        record('cache.set', [key, value, opts]);
        return cache.set(key, value, opts);
      },
      delete(key: string) {
        record('cache.delete', [key]);
        return cache.delete(key);
      },
    },
    redirect: {
      sendUserTo(url: string, opts?: { query?: JsonObject }) {
        record('redirect.sendUserTo', [url, opts]);
        return api;
      },
      encodeToken(opts: { secret: string; payload: JsonObject; expiresInSeconds?: number }) {
        record('redirect.encodeToken', [{ ...opts, secret: '<redacted>' }]);
        const now = Math.floor((options.now ?? Date.now)() / 1000);
        return signJwt({ ...opts.payload, iat: now, exp: now + (opts.expiresInSeconds ?? 900) }, opts.secret);
      },
      validateToken(opts: { secret: string; tokenParameterName?: string }) {
        record('redirect.validateToken', [{ ...opts, secret: '<redacted>' }]);
        const name = opts.tokenParameterName ?? 'session_token';
        const token = request.body?.[name] ?? request.query?.[name];
        if (typeof token !== 'string') throw new Error(`no ${name} parameter on the request`);
        return verifyJwt(token, opts.secret, Math.floor((options.now ?? Date.now)() / 1000));
      },
      canRedirect() {
        record('redirect.canRedirect', []);
        const protocol = transaction.protocol;
        const prompt = (request.query?.prompt ?? transaction.prompt) as unknown;
        const noPrompt = prompt === 'none' || (Array.isArray(prompt) && prompt.includes('none'));
        return protocol !== 'oauth2-resource-owner' && protocol !== 'oauth2-refresh-token' && !noPrompt;
      },
    },
    rules: {
      wasExecuted(ruleId: string) {
        record('rules.wasExecuted', [ruleId]);
        return (options.executedRules ?? []).includes(ruleId);
      },
    },
  };
  return { api, calls, cache };
}

/**
 * A copy of the arguments as the platform receives them (JSON: object properties that are undefined are
 * dropped); an argument that is itself undefined stays undefined (`setCustomClaim(k, undefined)` sets nothing).
 */
function clone(args: unknown[]): unknown[] {
  return args.map((arg) => {
    if (arg === undefined) return undefined;
    try {
      return JSON.parse(JSON.stringify(arg)) as unknown;
    } catch {
      return String(arg);
    }
  });
}

const base64url = (input: Buffer | string) => Buffer.from(input).toString('base64url');

function signJwt(payload: JsonObject, secret: string): string {
  const head = base64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const body = base64url(JSON.stringify(payload));
  return `${head}.${body}.${base64url(createHmac('sha256', secret).update(`${head}.${body}`).digest())}`;
}

function verifyJwt(token: string, secret: string, nowSeconds: number): JsonObject {
  const [head, body, signature] = token.split('.');
  if (!head || !body || !signature) throw new Error('malformed token');
  const expected = createHmac('sha256', secret).update(`${head}.${body}`).digest();
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new Error('invalid token signature');
  const payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as JsonObject;
  if (typeof payload.exp === 'number' && payload.exp < nowSeconds) throw new Error('token expired');
  return payload;
}
