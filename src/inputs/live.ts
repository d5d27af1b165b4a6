// --from-tenant: rules and rules-configs keys of a live tenant through the Management API, with
// client-credentials from AUTH0_CLIENT_ID / AUTH0_CLIENT_SECRET. formats.md §5.1.
import { UsageError } from '../cli/io.js';
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
  const source = `https://${host}`;
  const tenant: Tenant = { name: host, source, format: 'live', rules: [], configKeys: [], problems: [], notes: [] };

  const call = async (url: string, init?: RequestInit): Promise<unknown> => {
    const response = await doFetch(url, init);
    const text = await response.text();
    if (!response.ok) {
      let reason = text.slice(0, 200);
      try {
        const body = JSON.parse(text) as { message?: string; error_description?: string };
        reason = body.error_description ?? body.message ?? reason;
      } catch {
        // not JSON: keep the text
      }
      // status and body for the caller's checks (a 403 for the deprecated Rules feature), never shown.
      throw Object.assign(new Error(`${init?.method ?? 'GET'} ${url.replace(base, source)}: HTTP ${response.status} ${reason}`.trim()), {
        status: response.status,
        body: text,
      });
    }
    return JSON.parse(text);
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
      const { status, body } = error as { status?: number; body?: string };
      if (status !== 403 || !/insufficient privileges to use this deprecated feature/i.test(body ?? '')) throw error;
      // Auth0's own words, not the body (which is never echoed).
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
        `${(error as Error).message}: current post-login bindings not read (needs read:actions), so none are written (an import replaces them all); see --bindings.`,
      );
    }
  } catch (error) {
    tenant.problems.push({ source, message: `Cannot read rules from ${source}: ${(error as Error).message}` });
  }
  return tenant;
}
