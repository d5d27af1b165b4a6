/**
 * Runtime semantics of the two runners, through the child process: how callbacks, errors, timeouts,
 * redirects, MFA, SAML and other users' metadata come out on each side.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createVerifier, genericScenarios, type Scenario, type ScenarioVerdict, type Verifier } from '../src/verify/index.js';

let verifier: Verifier;
beforeAll(async () => {
  verifier = await createVerifier();
});
afterAll(() => verifier?.close());

const returning = (): Scenario => genericScenarios()[0];

async function one(rule: string, action: string, scenario: Scenario = returning(), timeoutMs = 2000): Promise<ScenarioVerdict> {
  const [verdict] = await verifier.verifyPair({ rule, action, sdk: 7, scenarios: [scenario], timeoutMs });
  return verdict;
}

describe.concurrent('Rules runner vs Actions runner', () => {
  it('callback(string), callback(new Error) and UnauthorizedError are all a deny with that message', async () => {
    const action = `exports.onExecutePostLogin = async (event, api) => { api.access.deny('no'); };`;
    const results = await Promise.all([
      one(`function (user, context, callback) { callback('no'); }`, action),
      one(`function (user, context, callback) { return callback(new Error('no')); }`, action),
      one(`function (user, context, callback) { callback(new UnauthorizedError('no')); };`, action),
    ]);
    for (const v of results) {
      expect(v.differences).toEqual([]);
      expect(v.rule).toMatchObject({ result: 'denied', message: 'no' });
    }
  });

  it('a rule that never calls back and an Action that never settles are timeouts, not hung and never equal', async () => {
    const v = await one(
      `function (user, context, callback) { /* forgot the callback */ }`,
      `exports.onExecutePostLogin = () => new Promise(() => {});`,
      returning(),
      300,
    );
    expect(v.rule).toMatchObject({ result: 'error', message: 'callback not called within 300 ms' });
    expect(v.action).toMatchObject({ result: 'error', message: 'onExecutePostLogin did not settle within 300 ms' });
    // Both hung alike, yet that proves nothing (issue 12): the pair is not verified.
    expect(v.equal).toBe(false);
    expect(v.timedOut).toEqual(['rule', 'action']);
  });

  it('an exception thrown inside an async rule callback is an error outcome', async () => {
    const v = await one(
      `function (user, context, callback) { setTimeout(function () { JSON.parse('{'); callback(null, user, context); }, 5); }`,
      `exports.onExecutePostLogin = async (event, api) => {};`,
    );
    expect(v.rule.result).toBe('error');
    expect(v.differences).toEqual([expect.stringMatching(/^result: rule failed with ".*JSON.*", action let the login continue$/)]);
  });

  it('a redirect with a query is the same URL on both sides; the resumed pass runs onContinuePostLogin', async () => {
    const rule = `function (user, context, callback) {
      if (context.protocol === 'redirect-callback') {
        context.idToken['https://example.com/consented'] = context.request.query.consent === 'yes';
        return callback(null, user, context);
      }
      context.redirect = { url: 'https://consent.example.com/ask?client=' + context.clientID };
      callback(null, user, context);
    }`;
    const action = `
      exports.onExecutePostLogin = async (event, api) => {
        api.redirect.sendUserTo('https://consent.example.com/ask', { query: { client: event.client.client_id } });
      };
      exports.onContinuePostLogin = async (event, api) => {
        api.idToken.setCustomClaim('https://example.com/consented', event.request.query.consent === 'yes');
      };`;
    const first = await one(rule, action);
    expect(first.rule.redirect).toBe('https://consent.example.com/ask?client=verify-client-id');
    expect(first.differences).toEqual([]);
    const resumed = await one(rule, action, { ...returning(), login: { protocol: 'redirect-callback', query: { consent: 'yes' } } });
    expect(resumed.action.idTokenClaims).toEqual({ 'https://example.com/consented': true });
    expect(resumed.differences).toEqual([]);
  });

  it('context.multifactor with Duo keys is compared with api.multifactor.enable and its providerOptions', async () => {
    const v = await one(
      `function (user, context, callback) {
        context.multifactor = { provider: 'duo', ikey: 'I', skey: 'S', host: 'api-x.duosecurity.com', allowRememberBrowser: false };
        callback(null, user, context);
      }`,
      `exports.onExecutePostLogin = async (event, api) => {
        api.multifactor.enable('duo', { allowRememberBrowser: true, providerOptions: { ikey: 'I', skey: 'S', host: 'api-x.duosecurity.com' } });
      };`,
    );
    expect(v.differences).toEqual([
      'multifactor: rule {"allowRememberBrowser":false,"provider":"duo","providerOptions":{"host":"api-x.duosecurity.com","ikey":"I","skey":"S"}}, action {"allowRememberBrowser":true,"provider":"duo","providerOptions":{"host":"api-x.duosecurity.com","ikey":"I","skey":"S"}}',
    ]);
  });

  it('a SAML mapping to a user property equals setAttribute with its value', async () => {
    const v = await one(
      `function (user, context, callback) {
        context.samlConfiguration.mappings = { 'http://schemas.example.com/plan': 'app_metadata.plan' };
        context.samlConfiguration.lifetimeInSeconds = 3600;
        callback(null, user, context);
      }`,
      `exports.onExecutePostLogin = async (event, api) => {
        api.samlResponse.setAttribute('http://schemas.example.com/plan', event.user.app_metadata.plan);
        api.samlResponse.setLifetimeInSeconds(3600);
      };`,
    );
    expect(v.rule.saml).toEqual({ 'attribute:http://schemas.example.com/plan': 'gold', lifetimeInSeconds: 3600 });
    expect(v.differences).toEqual([]);
  });

  it("another user's metadata: the Rules helper (callback form) and the v7 SDK's users.update both PATCH it", async () => {
    const other = 'auth0|5f0c8a1e2b3c4d5e6f708099';
    const v = await one(
      `function (user, context, callback) {
        auth0.users.updateUserMetadata('${other}', { invited_by: user.user_id }, function (err) {
          callback(err, user, context);
        });
      }`,
      `const { ManagementClient } = require('auth0');
      exports.onExecutePostLogin = async (event, api) => {
        const management = new ManagementClient({
          domain: event.secrets.AUTH0_DOMAIN, clientId: event.secrets.AUTH0_CLIENT_ID, clientSecret: event.secrets.AUTH0_CLIENT_SECRET,
        });
        await management.users.update('${other}', { user_metadata: { invited_by: event.user.user_id } });
      };`,
    );
    expect(v.rule.otherUsers).toEqual({ [other]: { app_metadata: {}, user_metadata: { invited_by: 'auth0|5f0c8a1e2b3c4d5e6f708091' } } });
    expect(v.differences).toEqual([]);
  });

  it("the logging-in user's metadata: the Rules helper equals a Management API update of that user in the Action", async () => {
    const v = await one(
      `function (user, context, callback) {
        auth0.users.updateAppMetadata(user.user_id, { tier: 'pro' }).then(function () { callback(null, user, context); });
      }`,
      `const { ManagementClient } = require('auth0');
      exports.onExecutePostLogin = async (event, api) => {
        const management = new ManagementClient({
          domain: event.secrets.AUTH0_DOMAIN, clientId: event.secrets.AUTH0_CLIENT_ID, clientSecret: event.secrets.AUTH0_CLIENT_SECRET,
        });
        await management.users.update(event.user.user_id, { app_metadata: { tier: 'pro' } });
      };`,
    );
    expect(v.action.metadata.app_metadata).toEqual({ tier: 'pro' });
    expect(v.action.otherUsers).toEqual({});
    expect(v.differences).toEqual([]);
  });

  it('rewriting metadata to the value it already had is not a change; a real change is', async () => {
    const v = await one(
      `function (user, context, callback) {
        user.app_metadata.plan = 'gold';
        auth0.users.updateAppMetadata(user.user_id, user.app_metadata).then(function () { callback(null, user, context); });
      }`,
      `exports.onExecutePostLogin = async (event, api) => { api.user.setAppMetadata('plan', 'platinum'); };`,
    );
    expect(v.rule.metadata.app_metadata).toEqual({});
    expect(v.differences).toEqual(['app_metadata of the current user "plan": rule (not set), action "platinum"']);
  });

  it('notes a callback called twice and an Action without the handler the scenario needs', async () => {
    const v = await one(
      `function (user, context, callback) { callback(null, user, context); callback(null, user, context); }`,
      `exports.onExecutePostLogin = async () => {};`,
      { ...returning(), login: { protocol: 'redirect-callback' } },
    );
    expect(v.notes).toContain('rule: callback called 2 times');
    expect(v.action).toMatchObject({ result: 'error', message: 'the Action exports no onContinuePostLogin' });
  });
  it('work a rule leaves running after its callback still persists; the login result stays what the callback said', async () => {
    const v = await one(
      `function (user, context, callback) {
        context.idToken['https://example.com/plan'] = 'gold';
        callback(null, user, context);
        context.idToken['https://example.com/late'] = true;
        setTimeout(function () {
          auth0.users.updateAppMetadata(user.user_id, { audited: true }).then(function () {
            callback(new Error('too late to deny'));
          });
        }, 30);
      }`,
      `exports.onExecutePostLogin = async (event, api) => {
        api.idToken.setCustomClaim('https://example.com/plan', 'gold');
        api.user.setAppMetadata('audited', true);
      };`,
    );
    expect(v.rule).toMatchObject({ result: 'ok', idTokenClaims: { 'https://example.com/plan': 'gold' } });
    expect(v.rule.metadata.app_metadata).toEqual({ audited: true });
    expect(v.rule.details.calls.filter((c) => c.method === 'PATCH')).toHaveLength(1);
    expect(v.notes).toContain('rule: callback called 2 times');
    expect(v.differences).toEqual([]);
  });

  it("the child's stdio is nobody's pending work: a rule that first loads assert (which opens stderr) is not held to its time limit", async () => {
    const v = await one(
      `function (user, context, callback) {
        require('assert');
        callback(null, user, context);
      }`,
      `exports.onExecutePostLogin = async () => { require('assert'); };`,
    );
    expect(v.rule.result).toBe('ok');
    expect(v.rule.details.logs).toEqual([]);
    expect(v.differences).toEqual([]);
  });

  it('a rejection a rule leaves behind in one scenario is not charged to the next scenario', async () => {
    const [first, second] = genericScenarios();
    // In the first scenario the rule answers at once and leaves an unref'd timer that rejects later
    // (nothing the run waits for); in the second it takes long enough for that rejection to land in its run.
    const rule = `function (user, context, callback) {
      if (user.user_id === '${first.currentUser}') {
        setTimeout(function () { Promise.reject(new Error('left behind by the first scenario')); }, 60).unref();
        return callback(null, user, context);
      }
      setTimeout(function () { callback(null, user, context); }, 400);
    }`;
    const verdicts = await verifier.verifyPair({
      rule,
      action: `exports.onExecutePostLogin = async () => {};`,
      sdk: 7,
      scenarios: [first, second],
      timeoutMs: 2000,
    });
    expect(verdicts.map((v) => [v.scenario, v.rule.result, v.differences])).toEqual([
      [first.name, 'ok', []],
      [second.name, 'ok', []],
    ]);
  });
  it("what an Action leaves running is recorded in its own run, not in the next scenario's rule", async () => {
    const [first, second] = genericScenarios();
    const verdicts = await verifier.verifyPair({
      rule: `function (user, context, callback) {
        auth0.users.updateAppMetadata(user.user_id, { seen: true }).then(function () { callback(null, user, context); });
      }`,
      action: `const { ManagementClient } = require('auth0');
      exports.onExecutePostLogin = async (event, api) => {
        const management = new ManagementClient({
          domain: event.secrets.AUTH0_DOMAIN, clientId: event.secrets.AUTH0_CLIENT_ID, clientSecret: event.secrets.AUTH0_CLIENT_SECRET,
        });
        // Not awaited, and started after the handler returned.
        setTimeout(() => management.users.update(event.user.user_id, { app_metadata: { seen: true } }), 100);
      };`,
      sdk: 7,
      scenarios: [first, second],
      timeoutMs: 2000,
    });
    expect(verdicts.map((v) => [v.scenario, v.differences])).toEqual([
      [first.name, []],
      [second.name, []],
    ]);
    expect(verdicts[1].rule.details.calls.map((c) => `${c.method} ${c.origin ?? ''}`)).toEqual(['PATCH rules-runtime']);
  });
});
