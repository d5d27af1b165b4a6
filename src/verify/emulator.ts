/**
 * A local Auth0 Management API: real HTTPS on 127.0.0.1 (every SDK major builds `https://<domain>/…`
 * URLs), tenant state loaded from a scenario, every call recorded. Clients trust the throwaway
 * certificate only for connections to the emulator (sandbox.ts); TLS verification stays on.
 */
import { generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { matchesQuery, parseQuery, QuerySyntaxError } from './search-query.js';
import { MAPPED_FROM_HEADER } from './tenant-redirect.js';
import type { FaultTarget, JsonObject, RecordedCall, Scenario, TenantUser } from './types.js';

/** PEM text, kept in memory only: the key never touches the disk. */
export interface Certificate {
  cert: string;
  key: string;
}

// A few DER (X.690) encoders: enough for one self-signed X.509 v3 certificate. Node's crypto makes
// keys and signatures but not certificates; this replaces spawning openssl, with no dependency.
function der(tag: number, ...parts: Buffer[]): Buffer {
  const body = Buffer.concat(parts);
  const n = body.length;
  const length = n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : [0x82, n >> 8, n & 0xff];
  return Buffer.concat([Buffer.from([tag, ...length]), body]);
}
const sequence = (...parts: Buffer[]) => der(0x30, ...parts);
function objectId(dotted: string): Buffer {
  const [first, second, ...rest] = dotted.split('.').map(Number);
  const bytes = [40 * first + second];
  for (const n of rest) {
    const chunk = [n & 0x7f];
    for (let v = n >> 7; v > 0; v >>= 7) chunk.unshift((v & 0x7f) | 0x80);
    bytes.push(...chunk);
  }
  return der(0x06, Buffer.from(bytes));
}
const utcTime = (date: Date) => der(0x17, Buffer.from(`${date.toISOString().replace(/[-:T]/g, '').slice(2, 14)}Z`));
const pem = (label: string, body: Buffer) => `-----BEGIN ${label}-----\n${body.toString('base64').match(/.{1,64}/g)!.join('\n')}\n-----END ${label}-----\n`;

/**
 * A self-signed certificate for localhost and 127.0.0.1 (EC P-256, ECDSA-SHA256, valid from a day
 * ago for two days), made in memory with node:crypto.
 */
export async function createCertificate(): Promise<Certificate> {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const serial = randomBytes(16);
  serial[0] = (serial[0] & 0x7f) | 0x01; // positive, no leading zero byte
  const name = sequence(der(0x31, sequence(objectId('2.5.4.3'), der(0x0c, Buffer.from('localhost')))));
  const algorithm = sequence(objectId('1.2.840.10045.4.3.2'));
  const now = Date.now();
  const subjectAltName = sequence(der(0x82, Buffer.from('localhost')), der(0x87, Buffer.from([127, 0, 0, 1])));
  const extensions = der(
    0xa3,
    sequence(
      sequence(objectId('2.5.29.19'), der(0x01, Buffer.from([0xff])), der(0x04, sequence(der(0x01, Buffer.from([0xff]))))),
      sequence(objectId('2.5.29.17'), der(0x04, subjectAltName)),
    ),
  );
  const toBeSigned = sequence(
    der(0xa0, der(0x02, Buffer.from([2]))),
    der(0x02, serial),
    algorithm,
    name,
    sequence(utcTime(new Date(now - 86_400_000)), utcTime(new Date(now + 2 * 86_400_000))),
    name,
    publicKey.export({ type: 'spki', format: 'der' }),
    extensions,
  );
  const certificate = sequence(toBeSigned, algorithm, der(0x03, Buffer.from([0]), sign('sha256', toBeSigned, privateKey)));
  return { cert: pem('CERTIFICATE', certificate), key: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string };
}

export interface StartEmulatorOptions extends Certificate {
  clientId?: string;
  clientSecret?: string;
}

export interface Emulator {
  readonly port: number;
  /** `localhost:<port>`: what the SDKs take as `domain`. */
  readonly domain: string;
  /** `https://localhost:<port>/api/v2`: the Rules runtime's `auth0.baseUrl`. */
  readonly baseUrl: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** Accepted without a client-credentials exchange: the Rules runtime's `auth0.accessToken`. */
  readonly runtimeToken: string;
  /** Replaces the tenant state and clears the call log and issued tokens. */
  load(scenario: Scenario): void;
  calls(): RecordedCall[];
  /** Client-credentials tokens issued since the last `load`. */
  tokensIssued(): number;
  users(): TenantUser[];
  /** Resolves once no request is in flight and none started for `quietMs` (or after `maxMs`). */
  idle(quietMs?: number, maxMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/** Header the Rules runner puts on its `auth0.users.*` helper requests, so they can be told apart. */
export const RUNTIME_ORIGIN_HEADER = 'x-rules2actions-origin';

interface TenantState {
  users: TenantUser[];
  rules: JsonObject[];
  fail: Partial<Record<FaultTarget, number>>;
  tokens: Set<string>;
  /** Values of the scenario's configuration: a rule may keep a Management API token there. */
  storedTokens: Set<string>;
  calls: RecordedCall[];
}

interface Reply {
  status: number;
  body: unknown;
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 409: 'Conflict',
  429: 'Too Many Requests', 500: 'Internal Server Error', 503: 'Service Unavailable',
};

function apiError(status: number, message: string, errorCode?: string): Reply {
  return { status, body: { statusCode: status, error: STATUS_TEXT[status] ?? 'Error', message, ...(errorCode ? { errorCode } : {}) } };
}

export async function startEmulator(options: StartEmulatorOptions): Promise<Emulator> {
  const { cert, key } = options;
  const clientId = options.clientId ?? 'verify-m2m-client';
  const clientSecret = options.clientSecret ?? 'verify-m2m-secret';
  const runtimeToken = 'rules-runtime-token';
  const state: TenantState = { users: [], rules: [], fail: {}, tokens: new Set(), storedTokens: new Set(), calls: [] };
  let issuedEver = 0;
  let issued = 0;
  let inFlight = 0;
  let lastStart = 0;
  let port = 0;

  const handle = (req: IncomingMessage, raw: string): Reply => {
    const url = new URL(req.url ?? '/', 'https://localhost');
    const path = url.pathname;
    const method = req.method ?? 'GET';
    const body = parseBody(raw, req.headers['content-type']);

    if (method === 'POST' && path === '/oauth/token') return issueToken(body, mappedFrom(req));
    if (!path.startsWith('/api/v2/')) return apiError(404, `No route for ${method} ${path}`);

    const bearer = /^Bearer (.+)$/i.exec(req.headers.authorization ?? '')?.[1];
    if (!bearer || (bearer !== runtimeToken && !state.tokens.has(bearer) && !state.storedTokens.has(bearer))) {
      return apiError(401, 'Missing or invalid bearer token');
    }

    const route = matchRoute(method, path.slice('/api/v2'.length));
    if (!route) return apiError(404, `No route for ${method} ${path}`);
    const fault = state.fail[route.target];
    if (fault) return apiError(fault, `Injected failure on ${route.target}`);

    switch (route.target) {
      case 'users-by-email': return usersByEmail(url.searchParams);
      case 'users': return searchUsers(url.searchParams);
      case 'user': return route.method === 'GET' ? getUser(route.id) : apiError(404, 'No route');
      case 'link': return link(route.id, body);
      case 'patch': return patchUser(route.id, body);
      case 'rules': return { status: 200, body: state.rules };
      default: return apiError(404, `No route for ${method} ${path}`);
    }
  };

  const issueToken = (body: unknown, tenantHost: string | undefined): Reply => {
    if (state.fail.token) return { status: state.fail.token, body: { error: 'server_error', error_description: 'Injected failure on token' } };
    const grant = isObject(body) ? body : {};
    if (grant.grant_type !== 'client_credentials') {
      return { status: 400, body: { error: 'unsupported_grant_type', error_description: 'Only client_credentials is emulated' } };
    }
    if (grant.client_id !== clientId || grant.client_secret !== clientSecret) {
      return { status: 401, body: { error: 'access_denied', error_description: 'Unauthorized' } };
    }
    // The Management API identifier always ends with a slash; anything else is "Service not found".
    const audience = `https://localhost:${port}/api/v2/`;
    // A request redirected from a named tenant asks for that tenant's API.
    const tenantAudience = tenantHost ? `https://${tenantHost}/api/v2/` : audience;
    if (grant.audience !== undefined && grant.audience !== audience && grant.audience !== tenantAudience) {
      return { status: 403, body: { error: 'access_denied', error_description: `Service not found: ${String(grant.audience)}` } };
    }
    issued++;
    const token = `emulator-token-${++issuedEver}`;
    state.tokens.add(token);
    return { status: 200, body: { access_token: token, token_type: 'Bearer', expires_in: 86400, scope: 'read:users update:users' } };
  };

  const usersByEmail = (params: URLSearchParams): Reply => {
    const email = params.get('email');
    if (!email) return apiError(400, 'Query validation error: email is required', 'invalid_query_string');
    // Exact and case-sensitive (Management API docs, "Search Users by Email").
    const found = state.users.filter((u) => u.email === email);
    return { status: 200, body: project(found, params) };
  };

  const searchUsers = (params: URLSearchParams): Reply => {
    const engine = params.get('search_engine');
    if (engine !== null && engine !== 'v2' && engine !== 'v3') {
      return apiError(400, `Unsupported search_engine ${engine}`, 'invalid_query_string');
    }
    let found = state.users;
    const q = params.get('q');
    if (q) {
      try {
        const query = parseQuery(q);
        found = found.filter((u) => matchesQuery(query, u));
      } catch (err) {
        if (err instanceof QuerySyntaxError) return apiError(400, err.message, 'invalid_query_string');
        throw err;
      }
    }
    const page = Number(params.get('page') ?? 0);
    const perPage = Number(params.get('per_page') ?? 50);
    const slice = project(found.slice(page * perPage, page * perPage + perPage), params);
    if (params.get('include_totals') === 'true') {
      return { status: 200, body: { users: slice, start: page * perPage, limit: perPage, length: slice.length, total: found.length } };
    }
    return { status: 200, body: slice };
  };

  const getUser = (id: string): Reply => {
    const user = state.users.find((u) => u.user_id === id);
    return user ? { status: 200, body: user } : apiError(404, 'The user does not exist.', 'inexistent_user');
  };

  const link = (primaryId: string, body: unknown): Reply => {
    const primary = state.users.find((u) => u.user_id === primaryId);
    if (!primary) return apiError(404, 'The user does not exist.', 'inexistent_user');
    if (!isObject(body)) return apiError(400, 'Payload validation error: body must be an object', 'invalid_body');
    if ('link_with' in body) return apiError(400, 'link_with is not emulated', 'invalid_body');
    const { provider, user_id: secondaryId } = body;
    const idOk = (typeof secondaryId === 'string' && secondaryId !== '') || typeof secondaryId === 'number';
    if (typeof provider !== 'string' || provider === '' || !idOk) {
      return apiError(400, 'Payload validation error: provider and user_id are required', 'invalid_body');
    }
    const sameIdentity = (i: { provider: string; user_id: string | number }) =>
      i.provider === provider && String(i.user_id) === String(secondaryId);
    if (primary.identities.some(sameIdentity)) return apiError(409, 'Identity already linked to this user', 'identity_conflict');
    const secondary = state.users.find((u) => u !== primary && sameIdentity(u.identities[0] ?? { provider: '', user_id: '' }));
    if (!secondary) return apiError(404, `No user with identity ${provider}|${String(secondaryId)}`, 'inexistent_user');
    // The secondary's metadata is discarded; its profile moves into identities[].profileData.
    const { identities, app_metadata: _app, user_metadata: _user, user_id: _id, ...profile } = secondary;
    primary.identities.push({ ...identities[0], profileData: profile }, ...identities.slice(1));
    state.users = state.users.filter((u) => u !== secondary);
    return { status: 201, body: primary.identities };
  };

  const patchUser = (id: string, body: unknown): Reply => {
    const user = state.users.find((u) => u.user_id === id);
    if (!user) return apiError(404, 'The user does not exist.', 'inexistent_user');
    if (!isObject(body)) return apiError(400, 'Payload validation error: body must be an object', 'invalid_body');
    for (const [field, value] of Object.entries(body)) {
      if ((field === 'app_metadata' || field === 'user_metadata') && isObject(value)) {
        // First-level merge; null deletes a key.
        const merged: JsonObject = { ...(user[field] ?? {}) };
        for (const [k, v] of Object.entries(value)) {
          if (v === null) delete merged[k];
          else merged[k] = v;
        }
        user[field] = merged;
      } else {
        user[field] = value;
      }
    }
    return { status: 200, body: user };
  };

  // `ca: []`: no store to check client certificates with (none is asked for). Without it Node builds one
  // from its ~140 bundled root certificates, parsed once per process: ~18 ms of CPU in every verify child.
  const server: Server = createServer({ cert, key, ca: [] }, (req, res) => {
    inFlight++;
    lastStart = performance.now();
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      let reply: Reply;
      try {
        reply = handle(req, raw);
      } catch (err) {
        reply = apiError(500, `Emulator failure: ${(err as Error).message}`);
      }
      const url = new URL(req.url ?? '/', 'https://localhost');
      state.calls.push({
        method: req.method ?? 'GET',
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        body: raw === '' ? undefined : parseBody(raw, req.headers['content-type']),
        status: reply.status,
        ...(req.headers[RUNTIME_ORIGIN_HEADER] === 'rules-runtime' ? { origin: 'rules-runtime' as const } : {}),
        ...(mappedFrom(req) ? { mappedFrom: mappedFrom(req) } : {}),
      });
      send(res, reply);
      inFlight--;
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  port = typeof address === 'object' && address ? address.port : 0;

  return {
    port,
    domain: `localhost:${port}`,
    baseUrl: `https://localhost:${port}/api/v2`,
    clientId,
    clientSecret,
    runtimeToken,
    load(scenario) {
      state.users = structuredClone(scenario.users);
      state.rules = structuredClone(scenario.rules ?? []);
      state.fail = { ...scenario.fail };
      state.tokens = new Set();
      state.storedTokens = new Set(Object.values(scenario.configuration ?? {}).filter((v) => typeof v === 'string' && v !== ''));
      state.calls = [];
      issued = 0;
    },
    calls: () => structuredClone(state.calls),
    tokensIssued: () => issued,
    users: () => structuredClone(state.users),
    async idle(quietMs = 25, maxMs = 1000) {
      // performance.now(): the verify child freezes Date (clock.ts).
      const deadline = performance.now() + maxMs;
      while (performance.now() < deadline && (inFlight > 0 || performance.now() - lastStart < quietMs)) {
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function mappedFrom(req: IncomingMessage): string | undefined {
  const value = req.headers[MAPPED_FROM_HEADER];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

type Route = { target: FaultTarget; method: string; id: string };

function matchRoute(method: string, path: string): Route | null {
  if (method === 'GET' && path === '/users-by-email') return { target: 'users-by-email', method, id: '' };
  if (method === 'GET' && path === '/users') return { target: 'users', method, id: '' };
  if (method === 'GET' && path === '/rules') return { target: 'rules', method, id: '' };
  const identities = /^\/users\/([^/]+)\/identities$/.exec(path);
  if (method === 'POST' && identities) return { target: 'link', method, id: decodeURIComponent(identities[1]) };
  const user = /^\/users\/([^/]+)$/.exec(path);
  if (user && method === 'PATCH') return { target: 'patch', method, id: decodeURIComponent(user[1]) };
  if (user && method === 'GET') return { target: 'user', method, id: decodeURIComponent(user[1]) };
  return null;
}

function project(users: TenantUser[], params: URLSearchParams): JsonObject[] {
  const fields = params.get('fields');
  if (!fields) return users;
  const names = new Set(fields.split(',').map((f) => f.trim()));
  const include = params.get('include_fields') !== 'false';
  return users.map((u) => Object.fromEntries(Object.entries(u).filter(([k]) => names.has(k) === include)));
}

/** JSON or form-encoded; the SDKs post client credentials either way. */
function parseBody(raw: string, contentType: string | undefined): unknown {
  if (raw === '') return undefined;
  if (contentType?.includes('application/x-www-form-urlencoded')) return Object.fromEntries(new URLSearchParams(raw));
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

function send(res: ServerResponse, reply: Reply): void {
  const text = JSON.stringify(reply.body);
  res.writeHead(reply.status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
