// --from-tenant: rules and rules-configs keys of a live tenant through the Management API, with
// client-credentials from AUTH0_CLIENT_ID / AUTH0_CLIENT_SECRET. formats.md §5.1.
import { STATUS_CODES } from 'node:http';
import { UsageError } from '../io/errors.js';
import { addApiRules } from './api-dump.js';
import { configKeys, isRecord, uniqueKeys } from './records.js';
import type { Tenant, TriggerBinding } from './types.js';

/** Lets tests point at a local server (http://127.0.0.1:port); the audience stays https://<domain>/api/v2/. */
export const BASE_URL_ENV = 'RULES2ACTIONS_AUTH0_BASE_URL';
const PER_PAGE = 50;

export interface LiveOptions {
  env?: NodeJS.ProcessEnv;
  fetch?: typeof fetch;
}

export async function readLiveTenant(domain: string, options: LiveOptions = {}): Promise<Tenant> {
  const env = options.env ?? process.env;
  const doFetch = options.fetch ?? fetch;
  const clientId = env.AUTH0_CLIENT_ID;
  const clientSecret = env.AUTH0_CLIENT_SECRET;
  if (!clientId || !clientSecret) {
    throw new UsageError(`--from-tenant ${domain}: set AUTH0_CLIENT_ID and AUTH0_CLIENT_SECRET (an M2M application with read:rules and read:rules_configs).`);
  }
  const host = domain.replace(/^https?:\/\//, '').replace(/\/+$/, '');
  if (!/^[A-Za-z0-9.-]+(:\d+)?$/.test(host)) throw new UsageError(`--from-tenant: '${domain}' is not a tenant domain (e.g. my-tenant.eu.auth0.com).`);
  const base = (env[BASE_URL_ENV] || `https://${host}`).replace(/\/+$/, '');
  refuseInsecure(base);
  const source = `https://${host}`;
  const tenant: Tenant = { name: host, source, format: 'live', rules: [], configKeys: [], problems: [], notes: [] };

  const call = async (url: string, init?: RequestInit): Promise<unknown> => {
    const shown = `${init?.method ?? 'GET'} ${url.replace(base, source).replace(/\?.*$/, '')}`;
    let response: Response;
    try {
      response = await doFetch(url, init);
    } catch (error) {
      throw new Error(`${shown}: ${explainFetchFailure(error)}`);
    }
    const text = await response.text();
    // The body is never shown: servers echo requests (the client secret, the token, rules-configs values).
    if (!response.ok) {
      throw Object.assign(new Error(`${shown}: HTTP ${response.status} ${STATUS_CODES[response.status] ?? ''}${oauthError(text)}`.replace(/ +\(/, ' (')), {
        status: response.status,
        // Only Auth0's fixed answer for a tenant without Rules is recognised; nothing of the body is kept.
        deprecatedFeature: response.status === 403 && /deprecated feature/i.test(text),
      });
    }
    try {
      return JSON.parse(text);
    } catch {
      throw new Error(`${shown}: the answer is not JSON (HTTP ${response.status})`);
    }
  };

  try {
    const token = await call(`${base}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret, audience: `${source}/api/v2/` }),
    });
    const accessToken = isRecord(token) && typeof token.access_token === 'string' ? token.access_token : null;
    if (!accessToken) throw new Error(`${source}/oauth/token: no access_token in the answer`);
    const headers = { authorization: `Bearer ${accessToken}` };

    const items: unknown[] = [];
    try {
      for (let page = 0; ; page++) {
        const body = await call(`${base}/api/v2/rules?page=${page}&per_page=${PER_PAGE}&include_totals=true`, { headers });
        const rules = Array.isArray(body) ? body : isRecord(body) && Array.isArray(body.rules) ? body.rules : [];
        const total = isRecord(body) && typeof body.total === 'number' ? body.total : undefined;
        items.push(...rules);
        if (rules.length < PER_PAGE || (total !== undefined && items.length >= total)) break;
      }
    } catch (error) {
      // A tenant that never had Rules (they are deprecated) is refused the feature: it has none to migrate.
      if (!(error as { deprecatedFeature?: boolean }).deprecatedFeature) throw error;
      tenant.notes.push(
        `${source}: the Management API answers 403 "Insufficient privileges to use this deprecated feature" for GET /api/v2/rules: Rules are not available on this tenant, so it has no rules to migrate.`,
      );
      return tenant;
    }
    // The API returns rules by order; keep that order but let `order` decide bindings.
    addApiRules(tenant, items, source);
    try {
      tenant.configKeys = uniqueKeys(configKeys(await call(`${base}/api/v2/rules-configs`, { headers })));
    } catch (error) {
      tenant.notes.push(`${(error as Error).message}: rules-configs keys not read (the M2M application needs read:rules_configs); secrets come from the rules alone.`);
    }
    // Importing triggers replaces every post-login binding: keep the ones the tenant has.
    try {
      const bindings: TriggerBinding[] = [];
      for (let page = 0; ; page++) {
        const body = await call(`${base}/api/v2/actions/triggers/post-login/bindings?page=${page}&per_page=${PER_PAGE}`, { headers });
        const list = isRecord(body) && Array.isArray(body.bindings) ? body.bindings : [];
        for (const b of list) {
          const name = isRecord(b) && isRecord(b.action) && typeof b.action.name === 'string' ? b.action.name : null;
          if (name) bindings.push({ action_name: name, display_name: isRecord(b) && typeof b.display_name === 'string' ? b.display_name : name });
        }
        const total = isRecord(body) && typeof body.total === 'number' ? body.total : undefined;
        if (list.length < PER_PAGE || (total !== undefined && bindings.length >= total)) break;
      }
      tenant.triggers = { 'post-login': bindings };
    } catch (error) {
      tenant.notes.push(
        `${(error as Error).message}: current post-login bindings not read (needs read:actions); the written triggers list only the migrated Actions, add the others before importing.`,
      );
    }
  } catch (error) {
    tenant.problems.push({ source, message: `Cannot read rules from ${source}: ${(error as Error).message}` });
  }
  return tenant;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** The client secret and the token travel in these requests: HTTPS only, except to this machine (tests). */
function refuseInsecure(base: string): void {
  let url: URL;
  try {
    url = new URL(base);
  } catch {
    throw new UsageError(`${BASE_URL_ENV}: '${base}' is not a URL.`);
  }
  if (url.protocol === 'https:') return;
  if (url.protocol === 'http:' && LOOPBACK.has(url.hostname)) return;
  throw new UsageError(
    `${BASE_URL_ENV}: ${url.protocol}//${url.host} is not HTTPS; the client secret and the access token would travel in clear text. Use an https:// URL (plain http is accepted only for 127.0.0.1 and localhost).`,
  );
}

/** Standard OAuth 2.0 error codes (RFC 6749 §5.2, 6750 §3.1) and Auth0's: shown by name; anything else in a body is not. */
const OAUTH_ERRORS = new Set([
  'invalid_request', 'invalid_client', 'invalid_grant', 'unauthorized_client', 'unsupported_grant_type', 'invalid_scope',
  'access_denied', 'invalid_token', 'insufficient_scope', 'server_error', 'temporarily_unavailable', 'too_many_requests',
  'Unauthorized', 'Forbidden', 'Not Found', 'Bad Request', 'Too Many Requests', 'Internal Server Error',
]);

function oauthError(text: string): string {
  try {
    const body = JSON.parse(text) as { error?: unknown; errorCode?: unknown };
    const code = [body.errorCode, body.error].find((c): c is string => typeof c === 'string' && OAUTH_ERRORS.has(c));
    return code ? ` (${code})` : '';
  } catch {
    return '';
  }
}

const TLS_REASONS: Record<string, string> = {
  CERT_HAS_EXPIRED: 'the server\'s TLS certificate has expired',
  CERT_NOT_YET_VALID: 'the server\'s TLS certificate is not valid yet (check the clock)',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'the server\'s TLS certificate is self-signed and not trusted',
  SELF_SIGNED_CERT_IN_CHAIN: 'the server\'s TLS certificate chain ends in an untrusted self-signed certificate (a proxy? set NODE_EXTRA_CA_CERTS to its CA)',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'the server\'s TLS certificate cannot be verified (an incomplete chain or an untrusted CA; NODE_EXTRA_CA_CERTS can add a CA)',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'the issuer of the server\'s TLS certificate is not trusted here (a proxy? set NODE_EXTRA_CA_CERTS to its CA)',
  ERR_TLS_CERT_ALTNAME_INVALID: 'the server\'s TLS certificate is for another host name',
  ENOTFOUND: 'the host name does not resolve (check the domain)',
  ECONNREFUSED: 'the connection was refused',
  ECONNRESET: 'the connection was reset',
  ETIMEDOUT: 'the connection timed out',
  UND_ERR_CONNECT_TIMEOUT: 'the connection timed out',
  EPROTO: 'the TLS handshake failed (is it an HTTPS server?)',
};

/** fetch() only says "fetch failed"; the cause says why. TLS checks are never turned off. */
export function explainFetchFailure(error: unknown): string {
  const cause = (error as { cause?: { code?: string } })?.cause;
  const code = cause?.code ?? (error as { code?: string })?.code;
  if (code && TLS_REASONS[code]) return `${TLS_REASONS[code]} (${code})`;
  if (code) return `the request failed (${code})`;
  return 'the request failed';
}
