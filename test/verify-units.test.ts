/** Pure pieces of the verify harness: search syntax, cache TTLs, module names, the comparison. */
import { describe, expect, it } from 'vitest';
import { compareOutcomes } from '../src/verify/compare.js';
import { stripVersion } from '../src/verify/modules.js';
import { ActionCache } from '../src/verify/post-login-api.js';
import { matchesQuery, parseQuery } from '../src/verify/search-query.js';
import type { Outcome, TenantUser } from '../src/verify/types.js';

const alice: TenantUser = {
  user_id: 'auth0|alice',
  email: 'alice@example.com',
  email_verified: true,
  identities: [{ provider: 'auth0', user_id: 'alice', connection: 'Username-Password-Authentication', isSocial: false }],
  app_metadata: { plan: 'gold' },
};
const googleAlice: TenantUser = {
  user_id: 'google-oauth2|123',
  email: 'Alice@Example.com',
  email_verified: false,
  identities: [{ provider: 'google-oauth2', user_id: '123', connection: 'google-oauth2', isSocial: true }],
};

const matching = (q: string) => [alice, googleAlice].filter((u) => matchesQuery(parseQuery(q), u)).map((u) => u.user_id);

describe('user search q', () => {
  it.each([
    ['email:"alice@example.com"', ['auth0|alice', 'google-oauth2|123']],
    ['email.raw:"alice@example.com"', ['auth0|alice']],
    ['email:"alice@example.com" AND email_verified:true', ['auth0|alice']],
    ['email:"alice@example.com" AND email_verified:"true"', ['auth0|alice']],
    ['email.raw:"Alice@Example.com" AND email_verified: "false" -user_id: "auth0|alice"', ['google-oauth2|123']],
    ['email:"alice@example.com" -user_id:"auth0|alice"', ['google-oauth2|123']],
    ['email:"alice@example.com" AND NOT user_id:auth0|alice', ['google-oauth2|123']],
    ['identities.connection:"google-oauth2" AND email:"alice@example.com"', ['google-oauth2|123']],
    ['user_id:auth0* OR app_metadata.plan:"silver"', ['auth0|alice']],
    ['(email_verified:false OR app_metadata.plan:gold) AND -identities.provider:auth0', ['google-oauth2|123']],
    ['NOT email_verified:true', ['google-oauth2|123']],
  ])('%s', (q, expected) => {
    expect(matching(q)).toEqual(expected);
  });

  it('rejects forms it does not emulate instead of guessing', () => {
    expect(() => parseQuery('logins_count:[1 TO 5]')).toThrow(/unsupported/);
    expect(() => parseQuery('email:"unterminated')).toThrow(/quote/);
    expect(() => parseQuery('name:alice~2')).toThrow(/fuzzy/);
    expect(() => parseQuery('email_verified: ')).toThrow(/empty value/);
  });
});

describe('api.cache', () => {
  it('keeps an entry for exactly its ttl in milliseconds', () => {
    let now = 1_000_000;
    const cache = new ActionCache(() => now);
    expect(cache.set('k', 'v', { ttl: 1000 })).toEqual({ type: 'success', record: { value: 'v', expires_at: 1_001_000 } });
    now += 999;
    expect(cache.get('k')?.value).toBe('v');
    now += 1;
    expect(cache.get('k')).toBeUndefined();
  });

  it('defaults to 15 minutes, caps at 24 hours, and takes the earlier of ttl and expires_at', () => {
    const now = 0;
    const cache = new ActionCache(() => now);
    expect(cache.set('a', 'v')).toMatchObject({ record: { expires_at: 15 * 60 * 1000 } });
    expect(cache.set('b', 'v', { ttl: 48 * 3600 * 1000 })).toMatchObject({ record: { expires_at: 24 * 3600 * 1000 } });
    expect(cache.set('c', 'v', { ttl: 5000, expires_at: 3000 })).toMatchObject({ record: { expires_at: 3000 } });
  });

  it('reports errors as results, as the platform does', () => {
    const cache = new ActionCache(() => 10);
    expect(cache.set('x'.repeat(65), 'v')).toEqual({ type: 'error', code: 'CacheKeySizeExceeded' });
    expect(cache.set('k', 'v'.repeat(4097))).toEqual({ type: 'error', code: 'CacheValueSizeExceeded' });
    expect(cache.set('k', 'v', { expires_at: 5 })).toEqual({ type: 'error', code: 'ItemAlreadyExpired' });
    cache.set('k', 'v', { ttl: 100 });
    cache.delete('k');
    expect(cache.get('k')).toBeUndefined();
  });
});

describe('stripVersion', () => {
  it.each([
    ['request@2.88.2', 'request'],
    ['auth0@2.x', 'auth0'],
    ['@sentry/node@7.1.0', '@sentry/node'],
    ['lodash', 'lodash'],
    ['@scope/pkg', '@scope/pkg'],
    ['uuid/v1@3.3.2', 'uuid/v1'],
    ['@scope/pkg@1.0.0/sub', '@scope/pkg/sub'],
  ])('%s → %s', (input, output) => expect(stripVersion(input)).toBe(output));
});

function outcome(overrides: Partial<Outcome> = {}): Outcome {
  return {
    result: 'ok',
    primaryUser: null,
    links: [],
    metadata: { app_metadata: {}, user_metadata: {} },
    otherUsers: {},
    idTokenClaims: {},
    accessTokenClaims: {},
    scopes: { added: [], removed: [] },
    redirect: null,
    multifactor: null,
    saml: {},
    details: { calls: [], tokensIssued: 0, logs: [], notes: [] },
    ...overrides,
  };
}

describe('compareOutcomes', () => {
  it('is empty for equal outcomes', () => {
    expect(compareOutcomes(outcome(), outcome(), {})).toEqual({ differences: [], notes: [] });
  });

  it('names each field that differs', () => {
    const rule = outcome({
      primaryUser: 'auth0|1',
      idTokenClaims: { 'https://x/roles': ['a'] },
      otherUsers: { 'auth0|1': { app_metadata: { merged: true }, user_metadata: {} } },
      multifactor: { provider: 'duo' },
    });
    const { differences } = compareOutcomes(rule, outcome({ idTokenClaims: { 'https://x/role': ['a'] } }), {});
    expect(differences).toEqual([
      'primary user: rule "auth0|1", action (not set)',
      'app_metadata of auth0|1 "merged": rule true, action (not set)',
      'ID token claim "https://x/role": rule (not set), action ["a"]',
      'ID token claim "https://x/roles": rule ["a"], action (not set)',
      'multifactor: rule {"provider":"duo"}, action (not set)',
    ]);
  });

  it('compares deny messages unless the scenario says transport wording may differ', () => {
    const rule = outcome({ result: 'denied', message: 'Conflict' });
    const action = outcome({ result: 'denied', message: 'ConflictError: Status code: 409' });
    expect(compareOutcomes(rule, action, {}).differences).toHaveLength(1);
    const loose = compareOutcomes(rule, action, { denyMessage: 'any' });
    expect(loose.differences).toEqual([]);
    expect(loose.notes).toEqual(['deny message: rule "Conflict", action "ConflictError: Status code: 409"']);
  });

  it('tells denied from failed', () => {
    const { differences } = compareOutcomes(outcome({ result: 'denied', message: 'm' }), outcome({ result: 'error', message: 'm' }), {});
    expect(differences).toEqual(['result: rule denied "m", action failed with "m"']);
  });
});
