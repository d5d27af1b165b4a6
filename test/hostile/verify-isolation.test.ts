/**
 * One pair must never influence another pair's verdict: a tenant's rule or Action may change anything a
 * verify child shares between runs (intrinsics, globals, the packages it loaded and their prototypes,
 * module-level variables, the require cache, the environment, the process's own error handlers, timers).
 * Each row runs a tampering pair and then a probing pair in one verifier with a single child slot, so
 * a child reused across pairs would carry the tampering over; the probe must answer what it answers
 * in a verifier of its own. Every row fails when pool.ts keeps a child after its pair.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createVerifier, genericScenarios, type Outcome, type Scenario } from '../../src/verify/index.js';

const scenarios = (): Scenario[] => genericScenarios().slice(0, 1);
/** Room for loading request and auth0 on a loaded machine: a probe that timed out would fail its row, never pass it. */
const TIMEOUT_MS = 10_000;

/** What both sides of the probe read: each value becomes an ID token claim. */
const PROBES: Record<string, string> = {
  objectPrototype: `String(({}).tampered)`,
  arrayPrototype: `String([].tampered)`,
  globalThis: `typeof globalThis.tampered`,
  env: `String(require('process').env.TAMPERED)`,
  requestPrototype: `String(require('request').Request && require('request').Request.prototype.tampered)`,
  requestExports: `typeof require('request').Request + ' ' + String(require('request').get.tampered)`,
  managementClientPrototype: `String(require('auth0').ManagementClient.prototype.tampered)`,
  moduleVariable: `require('lodash').uniqueId()`,
  builtinModule: `String(require('https').tampered)`,
  lateTimer: `String(globalThis.late) + ' ' + String(Object.prototype.late)`,
};

const claims = (side: 'rule' | 'action') =>
  Object.entries(PROBES)
    .map(([name, expression]) => `read('${name}', () => ${expression});`)
    .join('\n')
    .replace(/read\(/g, side === 'rule' ? 'readRule(' : 'readAction(');

// The probe waits a little before reading, so what a tamperer scheduled for later has landed.
const PROBE_RULE = `function (user, context, callback) {
  function readRule(name, fn) {
    let value;
    try { value = fn(); } catch (e) { value = 'threw ' + e.message; }
    context.idToken['https://probe/' + name] = value;
  }
  setTimeout(function () {
    ${claims('rule')}
    callback(null, user, context);
  }, 300);
}`;
const PROBE_ACTION = `exports.onExecutePostLogin = async (event, api) => {
  await new Promise((resolve) => setTimeout(resolve, 300));
  const readAction = (name, fn) => {
    let value;
    try { value = fn(); } catch (e) { value = 'threw ' + e.message; }
    api.idToken.setCustomClaim('https://probe/' + name, value);
  };
  ${claims('action')}
};`;

const NOOP_ACTION = `exports.onExecutePostLogin = async () => {};`;
const rule = (body: string) => `function (user, context, callback) {\n${body}\ncallback(null, user, context);\n}`;
const action = (body: string) => `exports.onExecutePostLogin = async (event, api) => {\n${body}\n};`;

/** Tampering pairs: the rule runs with auth0 v2 (Rules), the Action with v7. */
const TAMPERS: Array<{ name: string; rule: string; action: string }> = [
  { name: 'Object.prototype and Array.prototype', rule: rule(`Object.prototype.tampered = 'yes'; Array.prototype.tampered = 'yes';`), action: NOOP_ACTION },
  { name: 'a property of globalThis', rule: rule(`globalThis.tampered = 'yes';`), action: action(`globalThis.tampered = 'yes';`) },
  { name: 'process.env', rule: rule(`require('process').env.TAMPERED = 'yes';`), action: action(`process.env.TAMPERED = 'yes';`) },
  {
    name: "request's exports and Request.prototype",
    rule: rule(`const r = require('request'); r.Request.prototype.tampered = 'yes'; const get = function () {}; get.tampered = 'yes'; r.get = get;`),
    action: NOOP_ACTION,
  },
  {
    name: 'the require cache (an entry replaced)',
    rule: rule(`require('request');
      const cache = require('module')._cache;
      for (const file of Object.keys(cache)) if (/[\\\\/]request[\\\\/]index\\.js$/.test(file)) cache[file].exports = { get: { tampered: 'yes' } };`),
    action: NOOP_ACTION,
  },
  {
    name: "ManagementClient.prototype (auth0 v2 in the rule, v7 in the Action)",
    rule: rule(`require('auth0').ManagementClient.prototype.tampered = 'yes';`),
    action: action(`require('auth0').ManagementClient.prototype.tampered = 'yes';`),
  },
  {
    name: 'a module-level variable of a required module (lodash.uniqueId)',
    rule: rule(`for (let i = 0; i < 5; i++) require('lodash').uniqueId();`),
    action: action(`for (let i = 0; i < 5; i++) require('lodash').uniqueId();`),
  },
  { name: 'a builtin module (https)', rule: rule(`require('https').tampered = 'yes';`), action: NOOP_ACTION },
  {
    name: 'a timer left running that changes shared state later',
    rule: rule(`setInterval(function () { globalThis.late = 'yes'; Object.prototype.late = 'yes'; }, 20).unref();`),
    action: NOOP_ACTION,
  },
  {
    name: "the child's error handlers removed and an unhandled rejection left for later",
    // With no listener left (and none that can be added), the rejection ends the process that holds it.
    rule: rule(`const p = require('process');
      p.removeAllListeners('unhandledRejection'); p.removeAllListeners('uncaughtException');
      p.on = p.addListener = p.prependListener = function () { return p; };
      setTimeout(function () { Promise.reject(new Error('left by the tampering pair')); }, 400).unref();`),
    action: NOOP_ACTION,
  },
];

const probed = (o: Outcome) => ({ result: o.result, message: o.message, idTokenClaims: o.idTokenClaims });

let fresh: { rule: ReturnType<typeof probed>; action: ReturnType<typeof probed> };

beforeAll(async () => {
  const verifier = await createVerifier({ concurrency: 1 });
  try {
    const [v] = await verifier.verifyPair({ rule: PROBE_RULE, action: PROBE_ACTION, sdk: 7, scenarios: scenarios(), timeoutMs: TIMEOUT_MS });
    fresh = { rule: probed(v.rule), action: probed(v.action) };
  } finally {
    await verifier.close();
  }
});

describe('verify isolation between pairs', () => {
  it('the probe itself reads clean values in a verifier of its own', () => {
    expect(fresh.rule.result).toBe('ok');
    expect(fresh.action.result).toBe('ok');
    expect(fresh.rule.idTokenClaims).toMatchObject({
      'https://probe/objectPrototype': 'undefined',
      'https://probe/globalThis': 'undefined',
      'https://probe/env': 'undefined',
      'https://probe/requestExports': 'function undefined',
      'https://probe/moduleVariable': '1',
      'https://probe/lateTimer': 'undefined undefined',
    });
    // The Action's lodash counter is 2: the rule and its Action run in one child and share its packages.
    expect(fresh.action.idTokenClaims).toMatchObject({ 'https://probe/managementClientPrototype': 'undefined', 'https://probe/moduleVariable': '2' });
  });

  it.each(TAMPERS.map((t) => [t.name, t]))('%s: the next pair sees none of it', async (_name, tamper) => {
    const verifier = await createVerifier({ concurrency: 1 });
    try {
      const first = verifier.verifyPair({ rule: tamper.rule, action: tamper.action, sdk: 7, scenarios: scenarios(), timeoutMs: TIMEOUT_MS });
      const second = verifier.verifyPair({ rule: PROBE_RULE, action: PROBE_ACTION, sdk: 7, scenarios: scenarios(), timeoutMs: TIMEOUT_MS });
      // What becomes of the tampering pair itself does not matter here.
      await first.catch(() => undefined);
      const [v] = await second;
      expect({ rule: probed(v.rule), action: probed(v.action) }).toEqual(fresh);
    } finally {
      await verifier.close();
    }
  });
});
