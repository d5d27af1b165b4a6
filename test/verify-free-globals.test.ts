/**
 * The Rules runtime's free globals (request, async, _, jwt) are loaded only when the rule's text can
 * reach them: each load costs the verify child time, and a rule that names one must still get it.
 */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { freeGlobalNames, runRule } from '../src/verify/rule-runner.js';

const realRequire = createRequire(import.meta.url);

async function run(source: string) {
  const loaded: string[] = [];
  const result = await runRule({
    source,
    user: { user_id: 'auth0|1', email: 'a@example.com' },
    context: { idToken: {}, accessToken: {} },
    configuration: {},
    runtime: { baseUrl: 'https://tenant.invalid/api/v2', accessToken: 't', domain: 'tenant.invalid' },
    require: (specifier) => {
      loaded.push(specifier);
      return realRequire(specifier);
    },
    timeoutMs: 2000,
  });
  return { result, loaded };
}

describe('free globals of the Rules runtime', () => {
  it('loads none for a rule that names none', async () => {
    const { result, loaded } = await run(`function (user, context, callback) {
      // longer names that start with one do not count
      const requests = 1, _private = 2, asyncJob = 3, jwtClaims = 4;
      context.idToken['https://example.com/n'] = requests + _private + asyncJob + jwtClaims;
      callback(null, user, context);
    }`);
    expect(loaded).toEqual([]);
    expect(result.ending).toBe('callback');
    expect(result.context.idToken).toEqual({ 'https://example.com/n': 10 });
  });

  it('gives a rule the globals it names, and only those', async () => {
    const { result, loaded } = await run(`function (user, context, callback) {
      context.idToken['https://example.com/k'] = _.keys({ a: 1, b: 2 }).join(',');
      callback(null, user, context);
    }`);
    expect(loaded).toEqual(['lodash']);
    expect(result.context.idToken).toEqual({ 'https://example.com/k': 'a,b' });
  });

  it('gives all of them when the text may name one without spelling it (eval, unicode escapes)', async () => {
    const escaped = await run(`function (user, context, callback) {
      context.idToken['https://example.com/k'] = \\u005f.keys({ c: 1 }).join(',');
      callback(null, user, context);
    }`);
    expect(escaped.result.error).toBeUndefined();
    expect(escaped.result.context.idToken).toEqual({ 'https://example.com/k': 'c' });
    const evaluated = await run(`function (user, context, callback) {
      context.idToken['https://example.com/t'] = typeof eval('requ' + 'est');
      callback(null, user, context);
    }`);
    expect(evaluated.result.context.idToken).toEqual({ 'https://example.com/t': 'function' });
    expect(freeGlobalNames('eval("x")').sort()).toEqual(['_', 'async', 'jwt', 'request']);
  });

  it('matches whole identifiers only', () => {
    expect(freeGlobalNames('request(url, cb); async.each(a, f, done)')).toEqual(['request', 'async']);
    expect(freeGlobalNames('$request; request_; user.jwt_id; a_b; x._y')).toEqual([]);
    expect(freeGlobalNames('_.get(user, "a"); jwt.sign({}, k)')).toEqual(['_', 'jwt']);
  });
});
