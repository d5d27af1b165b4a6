// Runs the Action migrated from each fixtures/e2e rule against a recording `api` and checks what it
// did (claims, deny, redirect, metadata, MFA) in the scenarios of the case's behaviour.json.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { migrate } from '../src/index.js';
import { FIXTURES } from './support/fixtures.js';

interface Scenario {
  name: string;
  handler?: 'onExecutePostLogin' | 'onContinuePostLogin';
  event: Record<string, unknown>;
  /** [`namespace.method`, ...arguments]; the string "<string>" matches any string. */
  calls: unknown[][];
}

type Handler = (event: unknown, api: unknown) => Promise<unknown>;

const E2E = path.join(FIXTURES, 'e2e');
const cases = existsSync(E2E)
  ? readdirSync(E2E).filter((name) => existsSync(path.join(E2E, name, 'behaviour.json')))
  : [];

function baseEvent(): Record<string, unknown> {
  return {
    user: { user_id: 'auth0|1', email: 'user@example.com', email_verified: true, app_metadata: {}, user_metadata: {}, identities: [] },
    client: { client_id: 'client-1', name: 'App', metadata: {} },
    connection: { id: 'con_1', name: 'Username-Password-Authentication', strategy: 'auth0' },
    request: { ip: '203.0.113.1', query: {}, body: {}, geoip: {} },
    transaction: { protocol: 'oidc-basic-profile', requested_scopes: ['openid'] },
    stats: { logins_count: 2 },
    tenant: { id: 'tenant' },
    secrets: {},
  };
}

function merge(base: Record<string, unknown>, extra: Record<string, unknown>): Record<string, unknown> {
  const out = { ...base };
  for (const [key, value] of Object.entries(extra)) {
    const current = out[key];
    const bothObjects = value && current && typeof value === 'object' && typeof current === 'object' && !Array.isArray(value);
    out[key] = bothObjects ? merge(current as Record<string, unknown>, value as Record<string, unknown>) : value;
  }
  return out;
}

/** An `api` whose every `api.<namespace>.<method>(…)` call is recorded; canRedirect says yes. */
function recordingApi(calls: unknown[][]) {
  return new Proxy(
    {},
    {
      get: (_, namespace: string) =>
        new Proxy(
          {},
          {
            get: (__, method: string) => (...args: unknown[]) => {
              calls.push([`${namespace}.${method}`, ...args]);
              return method === 'canRedirect' ? true : undefined;
            },
          },
        ),
    },
  );
}

function load(code: string): Record<string, Handler> {
  const module = { exports: {} as Record<string, Handler> };
  const run = new Function('exports', 'module', 'require', code);
  run(module.exports, module, createRequire(import.meta.url));
  return module.exports;
}

const anyString = (value: unknown): unknown => (value === '<string>' ? expect.any(String) : value);

describe.each(cases)('e2e/%s behaves like its rule', (name) => {
  const dir = path.join(E2E, name);
  const scenarios = JSON.parse(readFileSync(path.join(dir, 'behaviour.json'), 'utf8')) as Scenario[];
  const result = migrate(readFileSync(path.join(dir, 'rule.js'), 'utf8'), { filename: 'rule.js' });

  it.each(scenarios.map((s) => [s.name, s] as const))('%s', async (_, scenario) => {
    expect(result.status).toBe('ok');
    const handlers = load(result.code);
    const handler = handlers[scenario.handler ?? 'onExecutePostLogin'];
    expect(handler, `${scenario.handler} is exported`).toBeTypeOf('function');
    const calls: unknown[][] = [];
    await handler(merge(baseEvent(), scenario.event), recordingApi(calls));
    expect(calls).toEqual(scenario.calls.map((call) => call.map(anyString)));
  });

  it('exports onContinuePostLogin exactly when it redirects', () => {
    const handlers = load(result.code);
    expect(typeof handlers.onContinuePostLogin === 'function').toBe(result.code.includes('api.redirect.sendUserTo'));
  });
});
