/**
 * The harness end to end: hand-written Rule/Action pairs from fixtures/verify/pairs run against the emulator
 * with the real `request`, auth0 v2, v4 and v7 packages. Correct Actions must match in every scenario;
 * each deliberately wrong Action must differ exactly where its expected.json says.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createVerifier,
  genericScenarios,
  linkingScenarios,
  loadScenarioFile,
  type RecordedCall,
  type Scenario,
  type ScenarioVerdict,
  type SdkMajor,
  type Verifier,
} from '../src/verify/index.js';

const ROOT = join(import.meta.dirname, '..', 'fixtures', 'verify', 'pairs');

interface Run {
  id: string;
  pair: string;
  sdk: SdkMajor;
  actionFile: string;
  /** For wrong Actions: scenario → prefixes of the differences that must be reported. */
  expected?: Record<string, string[]>;
}

async function scenariosFor(pair: string): Promise<Scenario[]> {
  const meta = JSON.parse(readFileSync(join(ROOT, pair, 'meta.json'), 'utf8')) as { scenarios: string[] };
  const lists = await Promise.all(
    meta.scenarios.map((entry) =>
      entry === 'linking' ? linkingScenarios() : entry === 'generic' ? genericScenarios() : loadScenarioFile(join(ROOT, pair, entry)),
    ),
  );
  return lists.flat();
}

function discoverRuns(): Run[] {
  const runs: Run[] = [];
  for (const pair of readdirSync(ROOT).filter((d) => existsSync(join(ROOT, d, 'rule.js'))).sort()) {
    for (const file of readdirSync(join(ROOT, pair))) {
      const match = /^action\.sdk(4|7)\.js$/.exec(file);
      if (match) runs.push({ id: `${pair} sdk${match[1]}`, pair, sdk: Number(match[1]) as SdkMajor, actionFile: join(ROOT, pair, file) });
    }
    const wrongDir = join(ROOT, pair, 'wrong');
    if (!existsSync(wrongDir)) continue;
    for (const file of readdirSync(wrongDir)) {
      const match = /^(.+)\.sdk(4|7)\.js$/.exec(file);
      if (!match) continue;
      const expected = JSON.parse(readFileSync(join(wrongDir, `${match[1]}.json`), 'utf8')) as { differences: Record<string, string[]> };
      runs.push({
        id: `${pair} wrong/${match[1]} sdk${match[2]}`,
        pair,
        sdk: Number(match[2]) as SdkMajor,
        actionFile: join(wrongDir, file),
        expected: expected.differences,
      });
    }
  }
  return runs;
}

const runs = discoverRuns();
const verdicts = new Map<string, ScenarioVerdict[]>();
let verifier: Verifier;

beforeAll(async () => {
  verifier = await createVerifier();
  // One child per pair, all at once: the suite costs about as much as its slowest pair.
  await Promise.all(
    runs.map(async (run) => {
      const result = await verifier.verifyPair({
        rule: readFileSync(join(ROOT, run.pair, 'rule.js'), 'utf8'),
        action: readFileSync(run.actionFile, 'utf8'),
        sdk: run.sdk,
        scenarios: await scenariosFor(run.pair),
      });
      verdicts.set(run.id, result);
    }),
  );
}, 60_000);

afterAll(() => verifier?.close());

function verdict(id: string, scenario: string): ScenarioVerdict {
  const found = verdicts.get(id)?.find((v) => v.scenario === scenario);
  if (!found) throw new Error(`no verdict for ${id} / ${scenario}`);
  return found;
}

const sent = (calls: RecordedCall[], method: string, pattern: RegExp) =>
  calls.filter((c) => c.method === method && pattern.test(c.path));

describe('correct Actions behave like their Rules', () => {
  const correct = runs.filter((r) => !r.expected);

  it('finds the hand-written pairs for both SDK majors', () => {
    expect(correct.map((r) => r.id)).toEqual(
      expect.arrayContaining(['claims-metadata-deny sdk7', 'linking-auth0-v2 sdk4', 'linking-auth0-v2 sdk7', 'linking-request sdk4', 'linking-request sdk7']),
    );
  });

  it.each(correct.map((r) => [r.id]))('%s: every scenario is equal', (id) => {
    const result = verdicts.get(id) ?? [];
    expect(result.length).toBeGreaterThan(1);
    expect(result.filter((v) => !v.equal).map((v) => `${v.scenario}: ${v.differences.join('; ')}`)).toEqual([]);
  });
});

describe('wrong Actions are caught', () => {
  it.each(runs.filter((r) => r.expected).map((r) => [r.id, r]))('%s', (id, run) => {
    const expected = (run as Run).expected ?? {};
    expect(Object.keys(expected).length).toBeGreaterThan(0);
    for (const v of verdicts.get(id as string) ?? []) {
      const prefixes = expected[v.scenario];
      if (!prefixes) {
        expect(v.differences, `${v.scenario} should be equal`).toEqual([]);
        continue;
      }
      expect(v.equal, `${v.scenario} should differ`).toBe(false);
      for (const prefix of prefixes) {
        expect(v.differences.some((d) => d.startsWith(prefix)), `${v.scenario}: "${prefix}" in ${JSON.stringify(v.differences)}`).toBe(true);
      }
    }
  });
});

describe('the real SDKs reach the emulator', () => {
  const primaryPath = /^\/api\/v2\/users\/auth0%7C5f0c8a1e2b3c4d5e6f708091\/identities$/;

  it('request (Rule) and auth0 v7 (Action) search by email and link the new identity into the existing user', () => {
    const v = verdict('linking-request sdk7', 'new-account-joins-existing');
    for (const calls of [v.rule.details.calls, v.action.details.calls]) {
      expect(sent(calls, 'GET', /^\/api\/v2\/users-by-email$/).map((c) => c.query.email)).toEqual(['alice@example.com']);
      expect(sent(calls, 'POST', primaryPath).map((c) => [c.body, c.status])).toEqual([
        [{ provider: 'google-oauth2', user_id: '108234567890123456789' }, 201],
      ]);
    }
    expect(v.rule.primaryUser).toBe('auth0|5f0c8a1e2b3c4d5e6f708091');
    expect(v.rule.details.tokensIssued).toBe(0); // the Rules runtime supplied auth0.accessToken
    expect(v.action.details.tokensIssued).toBe(1);
  });

  it('the v7 Action caches its client-credentials token in api.cache with a TTL in milliseconds', () => {
    const v = verdict('linking-request sdk7', 'new-account-joins-existing');
    const tokenCall = sent(v.action.details.calls, 'POST', /^\/oauth\/token$/)[0];
    expect(tokenCall.body).toMatchObject({ grant_type: 'client_credentials', audience: expect.stringMatching(/^https:\/\/localhost:\d+\/api\/v2\/$/) });
    const set = v.action.details.apiCalls?.find((c) => c.method === 'cache.set');
    const ttl = (set?.args[2] as { ttl: number }).ttl;
    expect(ttl).toBeGreaterThan(23 * 3600 * 1000);
    expect(ttl).toBeLessThan(24 * 3600 * 1000);
  });

  it('auth0 v4 reaches users-by-email and the link route', () => {
    const calls = verdict('linking-request sdk4', 'passwordless-joins-database').action.details.calls;
    expect(sent(calls, 'GET', /^\/api\/v2\/users-by-email$/)).toHaveLength(1);
    expect(sent(calls, 'POST', primaryPath).map((c) => c.body)).toEqual([{ provider: 'email', user_id: '6650a1b2c3d4e5f6a7b8c9d0' }]);
  });

  it('auth0 v2 (Rule) and v7 (Action, own client credentials) run the same v3 search', () => {
    const v = verdict('linking-auth0-v2 sdk7', 'new-account-joins-existing');
    const q = 'email:"alice@example.com" AND email_verified:true -user_id:"google-oauth2|108234567890123456789"';
    expect(sent(v.rule.details.calls, 'GET', /^\/api\/v2\/users$/).map((c) => c.query.q)).toEqual([q]);
    expect(sent(v.action.details.calls, 'GET', /^\/api\/v2\/users$/).map((c) => c.query.q)).toEqual([q]);
    // ManagementClient fetched its own token, form-encoded.
    expect(sent(v.action.details.calls, 'POST', /^\/oauth\/token$/)[0].body).toMatchObject({ client_id: 'verify-m2m-client' });
  });

  it('several candidates: the v2 rule links the oldest, and so does the Action', () => {
    const v = verdict('linking-auth0-v2 sdk4', 'several-candidates');
    expect(v.rule.links).toEqual([{ primary: 'auth0|legacy-000123', provider: 'google-oauth2', user_id: '108234567890123456789', status: 201 }]);
    expect(v.action.links).toEqual(v.rule.links);
  });

  it('an SDK retry after a 500 is collapsed into one link attempt', () => {
    const v = verdict('linking-request sdk7', 'link-fails');
    expect(sent(v.action.details.calls, 'POST', primaryPath).length).toBe(3); // v7 retries 5xx twice
    expect(sent(v.rule.details.calls, 'POST', primaryPath).length).toBe(1);
    expect(v.action.links).toEqual(v.rule.links);
    expect(v.notes.some((n) => n.startsWith('deny message:'))).toBe(true);
  });

  it('a numeric identity id from a scenario file reaches the link body as a string', () => {
    const v = verdict('linking-request sdk7', 'numeric-identity-id');
    expect(v.action.links).toEqual([{ primary: 'auth0|5f0c8a1e2b3c4d5e6f708091', provider: 'github', user_id: '4711', status: 201 }]);
  });

  it('Rules metadata helper and Action setAppMetadata write the same change', () => {
    const v = verdict('claims-metadata-deny sdk7', 'returning-user');
    expect(v.rule.metadata.app_metadata).toEqual({ last_client: 'Verify App', logins: 7 });
    expect(sent(v.rule.details.calls, 'PATCH', /^\/api\/v2\/users\//)[0].origin).toBe('rules-runtime');
    expect(v.rule.otherUsers).toEqual({});
  });
});
