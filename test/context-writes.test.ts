// Behaviour of the transforms that turn Rules side effects into api calls (token-claims,
// multifactor, saml-configuration) and of require-dependencies: the Rule and its emitted Action
// run side by side on the same login, and what each did is compared.
import { describe, expect, it } from 'vitest';
import { migrate } from '../src/index.js';
import { parseSpecifier } from '../transforms/require-dependencies.js';
import { discoverFixtures, type FixtureCase } from './support/fixtures.js';

type Call = [string, ...unknown[]];

/** An `api` whose every method records its call: `api.idToken.setCustomClaim(k, v)` → ['idToken.setCustomClaim', k, v]. */
function recordingApi(calls: Call[]) {
  return new Proxy({}, { get: (_, namespace: string) => new Proxy({}, { get: (__, method: string) => (...args: unknown[]) => void calls.push([`${namespace}.${method}`, ...args]) }) });
}

async function runAction(code: string, event: unknown): Promise<Call[]> {
  const calls: Call[] = [];
  const exports: { onExecutePostLogin?: (event: unknown, api: unknown) => Promise<void> } = {};
  new Function('exports', 'require', code)(exports, () => ({}));
  await exports.onExecutePostLogin!(event, recordingApi(calls));
  return calls;
}

/** Runs the rule as the Rules sandbox did: one function expression called with (user, context, callback). */
function runRule(source: string, user: unknown, context: unknown, globals: Record<string, unknown> = {}): void {
  const rule = new Function(...Object.keys(globals), `return (${source.trim()});`)(...Object.values(globals));
  let called = false;
  rule(user, context, (error: unknown) => {
    if (error) throw error;
    called = true;
  });
  expect(called, 'the rule calls back').toBe(true);
}

function fixture(id: string): FixtureCase {
  const found = discoverFixtures([id.split('/')[0]]).find((c) => c.id === id);
  if (!found) throw new Error(`no fixture ${id}`);
  return found;
}

function actionOf(c: FixtureCase): string {
  const result = migrate(c.rule, { filename: 'rule.js', ...c.options });
  expect(result.code.trimEnd()).toBe(c.expectedAction[7]!.trimEnd());
  return result.code;
}

/** Claims and scopes the Action's calls amount to, starting from the requested scopes. */
function tokenEffects(calls: Call[], requested: string[]) {
  const idToken: Record<string, unknown> = {};
  const accessToken: Record<string, unknown> = {};
  const scopes = new Set(requested);
  for (const [name, a, b] of calls) {
    if (name === 'idToken.setCustomClaim') idToken[a as string] = b;
    else if (name === 'accessToken.setCustomClaim') accessToken[a as string] = b;
    else if (name === 'accessToken.addScope') scopes.add(a as string);
    else if (name === 'accessToken.removeScope') scopes.delete(a as string);
    else throw new Error(`unexpected call ${name}`);
  }
  return { idToken, accessToken, scopes: [...scopes].sort() };
}

describe('token-claims: the Action sets what the Rule set', () => {
  const requested = ['openid', 'email', 'read:reports'];
  const profile = { nickname: 'ann', email: 'ann@example.com', app_metadata: { plan: 'pro', groups: ['g1'] }, user_metadata: { locale: 'fr' } };

  it.each(['abc', 'other'])('claims and scopes for client %s', async (clientId) => {
    const c = fixture('token-claims/claims-and-scopes');
    // Assumption of the §5 mapping: the Rule saw the requested scopes in context.accessToken.scope.
    const context = { clientID: clientId, tenant: 't1', authorization: { roles: ['admin'] }, idToken: {}, accessToken: { scope: [...requested] } };
    runRule(c.rule, structuredClone(profile), context);
    const { scope: ruleScopes, ...ruleAccessClaims } = context.accessToken;

    const event = {
      user: structuredClone(profile),
      client: { client_id: clientId },
      tenant: { id: 't1' },
      authorization: { roles: ['admin'] },
      transaction: { requested_scopes: requested },
    };
    const effects = tokenEffects(await runAction(actionOf(c), event), requested);
    expect(effects.idToken).toEqual(context.idToken);
    expect(effects.accessToken).toEqual(ruleAccessClaims);
    expect(effects.scopes).toEqual([...ruleScopes].sort());
  });

  it('keeps both calls when a claim is set twice, in order (the last wins, as in Rules)', async () => {
    const c = fixture('token-claims/claims-and-scopes');
    const event = { user: structuredClone(profile), client: { client_id: 'x' }, tenant: { id: 't1' }, transaction: { requested_scopes: [] } };
    const plan = (await runAction(actionOf(c), event)).filter(([, key]) => key === 'https://example.com/plan');
    expect(plan).toEqual([
      ['idToken.setCustomClaim', 'https://example.com/plan', 'free'],
      ['idToken.setCustomClaim', 'https://example.com/plan', 'pro'],
    ]);
  });

  it('the claims objects of the "add roles" rule, written back to context, become the same claims', async () => {
    const c = fixture('token-claims/roles-rule-write-back');
    const context = { authorization: { roles: ['admin', 'editor'] }, idToken: {}, accessToken: {} };
    runRule(c.rule, {}, context);
    const effects = tokenEffects(await runAction(actionOf(c), { user: {}, authorization: { roles: ['admin', 'editor'] } }), []);
    expect(effects.idToken).toEqual(context.idToken);
    expect(effects.accessToken).toEqual(context.accessToken);
    expect(Object.keys(effects.idToken)).toHaveLength(1);
  });

  it('a scope string assigned through an alias of context replaces the requested scopes', async () => {
    const c = fixture('token-claims/claims-alias');
    const event = { user: { email: 'e', name: 'n' }, tenant: { id: 't1' }, transaction: { requested_scopes: ['openid', 'profile', 'email'] } };
    const effects = tokenEffects(await runAction(actionOf(c), event), ['openid', 'profile', 'email']);
    expect(effects.scopes).toEqual(['email', 'openid']);
    expect(effects.idToken).toEqual({ 'https://example.com/email': 'e', name: 'n' });
  });
});

describe('multifactor: the Action enables the provider the Rule asked for', () => {
  const secrets = { DUO_IKEY: 'ik', DUO_SKEY: 'sk', DUO_HOST: 'api-duo.example.com' };
  const cases = [
    { clientId: 'abc', useMfa: false, expected: ['multifactor.enable', 'duo', { allowRememberBrowser: false, providerOptions: { ikey: 'ik', skey: 'sk', host: 'api-duo.example.com' } }] },
    { clientId: 'x', useMfa: true, expected: ['multifactor.enable', 'guardian', { allowRememberBrowser: false }] },
    // The rule left allowRememberBrowser out: Rules remembered the browser, api.multifactor.enable's default is false (issue 17).
    { clientId: 'x', useMfa: false, expected: ['multifactor.enable', 'any', { allowRememberBrowser: true }] },
  ];
  it.each(cases)('client $clientId, use_mfa $useMfa', async ({ clientId, useMfa, expected }) => {
    const c = fixture('multifactor/duo-and-guardian');
    const context: { clientID: string; multifactor?: Record<string, unknown> } = { clientID: clientId };
    runRule(c.rule, { app_metadata: { use_mfa: useMfa } }, context, { configuration: secrets });
    const calls = await runAction(actionOf(c), { user: { app_metadata: { use_mfa: useMfa } }, client: { client_id: clientId }, secrets });
    expect(calls).toEqual([expected]);
    // Same provider and Duo keys as the Rule set.
    expect(calls[0][1]).toBe(context.multifactor!.provider);
    const options = (calls[0][2] ?? {}) as { providerOptions?: Record<string, unknown> };
    for (const key of ['ikey', 'skey', 'host']) expect(options.providerOptions?.[key]).toBe(context.multifactor![key]);
  });
});

describe('saml-configuration: settings and mapped attribute values', () => {
  it('sets every setting the Rule set, and the values of the mapped user properties', async () => {
    const c = fixture('saml-configuration/settings-and-mappings');
    const user = { upn: 'ann@corp', user_metadata: { department: 'R&D', address: { city: 'Oslo' } } };
    const context = { clientID: 'saml', samlConfiguration: { mappings: {} as Record<string, string> } };
    runRule(c.rule, user, context, { configuration: { SAML_CLIENT_ID: 'saml' } });
    const calls = await runAction(actionOf(c), { user, client: { client_id: 'saml' }, secrets: { SAML_CLIENT_ID: 'saml' } });

    const { mappings, ...settings } = context.samlConfiguration as { mappings: Record<string, string> };
    const setters = Object.fromEntries(calls.filter(([name]) => name !== 'samlResponse.setAttribute').map(([name, value]) => [name, value]));
    expect(setters).toEqual(
      Object.fromEntries(Object.entries(settings).map(([name, value]) => [`samlResponse.set${name[0].toUpperCase()}${name.slice(1)}`, value])),
    );
    const valueOf = (path: string) => path.split('.').reduce<unknown>((object, key) => (object as Record<string, unknown>)?.[key], user);
    const attributes = Object.fromEntries(calls.filter(([name]) => name === 'samlResponse.setAttribute').map(([, attribute, value]) => [attribute, value]));
    expect(attributes).toEqual(Object.fromEntries(Object.entries(mappings).map(([attribute, path]) => [attribute, valueOf(path)])));
  });

  it('a rule for another client sets nothing', async () => {
    const c = fixture('saml-configuration/settings-and-mappings');
    expect(await runAction(actionOf(c), { user: {}, client: { client_id: 'other' }, secrets: { SAML_CLIENT_ID: 'saml' } })).toEqual([]);
  });
});

describe('require-dependencies', () => {
  it.each([
    ['request@2.88.2', { name: 'request', version: '2.88.2', bare: 'request' }],
    ['@acme/sdk@1.0.0', { name: '@acme/sdk', version: '1.0.0', bare: '@acme/sdk' }],
    ['@acme/sdk', { name: '@acme/sdk', version: '', bare: '@acme/sdk' }],
    ['lodash@4.17.21/fp', { name: 'lodash', version: '4.17.21', bare: 'lodash/fp' }],
    ['lodash/merge', { name: 'lodash', version: '', bare: 'lodash/merge' }],
    ['auth0@^2.31.0', { name: 'auth0', version: '^2.31.0', bare: 'auth0' }],
    ['node:crypto', { name: 'node:crypto', version: '', bare: 'node:crypto' }],
  ])('parses %s', (specifier, expected) => {
    expect(parseSpecifier(specifier)).toEqual(expected);
  });

  it('rejects what is not a package specifier', () => {
    expect(parseSpecifier('has space')).toBeNull();
    expect(parseSpecifier('')).toBeNull();
  });

  // fixtures.test.ts compares secrets and scopes; the dependencies of these cases are checked here.
  it.each(discoverFixtures(['require-dependencies']).map((c) => [c.id, c] as const))('%s lists the expected dependencies', (_, c) => {
    expect(c.expectedReport.dependencies).toBeDefined();
    expect(migrate(c.rule, { filename: 'rule.js', ...c.options }).needs.dependencies).toEqual(c.expectedReport.dependencies);
  });

  it('adds each module once, however often the rule requires or uses it', () => {
    const rule = [
      'function (user, context, callback) {',
      "  var request = require('request@2.88.2');",
      "  var request2 = require('request@2.88.2');",
      "  if (user.x) { const r = require('request'); r.get('x'); }",
      "  _.noop(); _.noop();",
      '  request.get(request2);',
      '  callback(null, user, context);',
      '}',
    ].join('\n');
    const result = migrate(rule);
    expect(result.needs.dependencies).toEqual([
      { name: 'lodash', version: '' },
      { name: 'request', version: '2.88.2' },
    ]);
    expect(result.code.match(/require\('lodash'\)/g)).toHaveLength(1);
    expect(result.code.split('\n').slice(0, 3)).toEqual([
      "const request = require('request');",
      "const request2 = require('request');",
      "const _ = require('lodash');",
    ]);
  });
});
