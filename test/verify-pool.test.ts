/**
 * The verify pool starts children ahead of their turn (pool.ts): each is given its pair when it starts and
 * waits for `go`. Seen from outside: every pair still has a process of its own, and no more pairs run at
 * once than the verifier's concurrency.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createVerifier, genericScenarios, type ScenarioVerdict, type Verifier } from '../src/verify/index.js';

const PAIRS = 5;

// Each side reports its process and, on the machine's monotonic clock (shared by all processes), when it
// started and when it answered, 150 ms later.
const RULE = `function (user, context, callback) {
  const p = require('process');
  const started = String(p.hrtime.bigint());
  setTimeout(function () {
    context.idToken['https://probe/pid'] = p.pid;
    context.idToken['https://probe/started'] = started;
    context.idToken['https://probe/ended'] = String(p.hrtime.bigint());
    callback(null, user, context);
  }, 150);
}`;
const ACTION = `exports.onExecutePostLogin = async (event, api) => {
  const p = require('process');
  const started = String(p.hrtime.bigint());
  await new Promise((resolve) => setTimeout(resolve, 150));
  api.idToken.setCustomClaim('https://probe/pid', p.pid);
  api.idToken.setCustomClaim('https://probe/started', started);
  api.idToken.setCustomClaim('https://probe/ended', String(p.hrtime.bigint()));
};`;

const claims = (o: ScenarioVerdict['rule']) => ({
  pid: o.idTokenClaims['https://probe/pid'] as number,
  started: BigInt(o.idTokenClaims['https://probe/started'] as string),
  ended: BigInt(o.idTokenClaims['https://probe/ended'] as string),
});

/** Each pair's first start and last answer, and its processes. */
async function runPairs(verifier: Verifier) {
  const verdicts = await Promise.all(
    Array.from({ length: PAIRS }, () => verifier.verifyPair({ rule: RULE, action: ACTION, sdk: 7, scenarios: genericScenarios(), timeoutMs: 10_000 })),
  );
  return verdicts.map((pair) => {
    const sides = pair.flatMap((v) => [claims(v.rule), claims(v.action)]);
    return {
      pids: new Set(sides.map((s) => s.pid)),
      started: sides.reduce((a, s) => (s.started < a ? s.started : a), sides[0].started),
      ended: sides.reduce((a, s) => (s.ended > a ? s.ended : a), sides[0].ended),
    };
  });
}

describe('verify pool', () => {
  let verifier: Verifier;
  beforeAll(async () => {
    verifier = await createVerifier({ concurrency: 1 });
  });
  afterAll(async () => {
    await verifier.close();
  });

  it('runs every pair in a process of its own, both sides and every scenario in that one', async () => {
    const pairs = await runPairs(verifier);
    for (const pair of pairs) expect(pair.pids.size).toBe(1);
    const pids = pairs.map((pair) => [...pair.pids][0]);
    expect(new Set(pids).size).toBe(PAIRS);
    expect(pids).not.toContain(process.pid);
  }, 60_000);

  it('runs no more pairs at once than its concurrency, though children start ahead', async () => {
    const pairs = (await runPairs(verifier)).sort((a, b) => (a.started < b.started ? -1 : 1));
    for (let i = 1; i < pairs.length; i++) expect(pairs[i].started).toBeGreaterThan(pairs[i - 1].ended);
  }, 60_000);
});
