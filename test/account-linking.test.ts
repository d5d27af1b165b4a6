// Behaviour, not text: every converted linking fixture's Rule and its emitted Action run against the
// same emulated tenant (real SDKs, src/verify) over the linking scenario matrix of issue 3 §6, and
// must make the same link calls, set the same primary user and deny (or not) alike.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../src/index.js';
import { createVerifier, linkingScenarios, type ScenarioVerdict, type Verifier } from '../src/verify/index.js';
import { discoverFixtures, type FixtureCase } from './support/fixtures.js';

const linking = discoverFixtures(['account-linking']).filter((c) => c.expectedReport.linking === true);
// A rule that logs the Rules token keeps that line (under a TODO, error management-api-token): its Action cannot run.
const converted = linking.filter((c) => !c.expectedReport.findings.some((f) => f.code === 'unsafe-linking-flow' || f.code === 'management-api-token'));
const unconverted = linking.filter((c) => c.expectedReport.findings.some((f) => f.code === 'unsafe-linking-flow'));
/** Flows that could not be flattened: each call replaced where it was, in the rule's own callback or promise shape. */
const kept = linking.filter((c) => c.expectedReport.findings.some((f) => f.code === 'flow-kept'));

/**
 * What the Rules runtime provided that the emulator cannot: the rule keeps its logic, only the
 * values its deploy pipeline or the platform supplied are pointed at the emulated tenant.
 */
const ADAPTERS: Record<string, (rule: string) => string> = {
  // The hard-coded tenant and its API token → the emulated tenant and the runtime's token.
  'hard-coded-tenant-url': (rule) =>
    rule.replace('https://example.eu.auth0.com', "https://' + auth0.domain + '").replace('configuration.AUTH0_API_TOKEN', 'auth0.accessToken'),
  // auth0-deploy-cli replaced the keyword token with the tenant domain before deploying.
  'keyword-token-url': (rule) => rule.replace('##AUTH0_DOMAIN##', "' + auth0.domain + '"),
  // The Rules `auth0` object was a restricted auth0@2 ManagementClient; the emulated runtime only has
  // its metadata helpers, so the two calls this rule makes are lent from a real v2 client.
  'rules-auth0-users': (rule) => `function (user, context, callback) {
  const { ManagementClient } = require('auth0@2.44.1');
  const client = new ManagementClient({ token: auth0.accessToken, domain: auth0.domain });
  auth0.users.getUsersByEmail = client.getUsersByEmail.bind(client);
  auth0.users.linkUsers = client.linkUsers.bind(client);
  return (${rule.trim()})(user, context, callback);
}`,
};

/**
 * Deliberate differences: a rule that returned the primary to the callback never switched the login
 * in Rules either; the Action does it with setPrimaryUser (issue 3 §4), under a warning.
 */
const SWITCHES_PRIMARY: Record<string, string[]> = {
  'returned-user-as-primary': ['new-account-joins-existing', 'passwordless-joins-database'],
};

/**
 * Deliberate differences: a rule that tested only `err` went on after an HTTP error of the link
 * (`request` does not report 4xx/5xx as errors) and still switched the login; the SDK throws, so the
 * Action answers as the rule's `err` check did, under an unchecked-http-status warning.
 */
const DENIES_ON_HTTP_ERROR: Record<string, string[]> = {
  'link-network-errors-only': ['link-conflict', 'link-fails'],
};

const name = (c: FixtureCase) => c.id.slice('account-linking/'.length);
const verdictsOf = (caseName: string, sdk: 7 | 4) => verdicts.get(`account-linking/${caseName}@${sdk}`) ?? [];

let verifier: Verifier;
const verdicts = new Map<string, ScenarioVerdict[]>();

beforeAll(async () => {
  verifier = await createVerifier();
  const jobs = converted.flatMap((c) => ([7, 4] as const).map((sdk) => ({ c, sdk })));
  // A few children at a time: each one hosts an emulator and runs every scenario twice.
  const queue = [...jobs];
  const worker = async () => {
    for (let job = queue.shift(); job; job = queue.shift()) {
      const { c, sdk } = job;
      const action = migrate(c.rule, { filename: 'rule.js', sdk }).code;
      expect(action.trimEnd(), `${c.id}: the emitted Action is the fixture's`).toBe(c.expectedAction[sdk]!.trimEnd());
      const rule = (ADAPTERS[name(c)] ?? ((r: string) => r))(c.rule);
      verdicts.set(`${c.id}@${sdk}`, await verifier.verifyPair({ rule, action, sdk, scenarios: linkingScenarios() }));
    }
  };
  await Promise.all(Array.from({ length: 6 }, worker));
}, 600_000);

afterAll(async () => {
  await verifier?.close();
});

describe('account-linking fixtures behave like their rules', () => {
  it('covers the catalogue: at least 12 converted linking rules', () => {
    expect(converted.length).toBeGreaterThanOrEqual(12);
  });

  describe.each(converted.flatMap((c) => ([7, 4] as const).map((sdk) => [name(c), sdk, c] as const)))('%s --sdk %s', (_, sdk, c) => {
    const get = () => verdicts.get(`${c.id}@${sdk}`)!;

    it('makes the same link calls, primary user and denials in every scenario', () => {
      for (const verdict of get()) {
        if (DENIES_ON_HTTP_ERROR[name(c)]?.includes(verdict.scenario)) {
          expect(verdict.rule.result, verdict.scenario).toBe('ok');
          expect(verdict.action.result, verdict.scenario).toBe('denied');
          expect(verdict.differences.at(-1)).toMatch(/^primary user: rule "[^"]+", action \(not set\)$/);
          continue;
        }
        const expected = SWITCHES_PRIMARY[name(c)]?.includes(verdict.scenario)
          ? [`primary user: rule (not set), action ${JSON.stringify(verdict.action.links[0]?.primary)}`]
          : [];
        expect(verdict.differences, `${verdict.scenario}: ${verdict.differences.join('; ')}`).toEqual(expected);
      }
    });

    it('links a new account into the existing one, and both sides succeed', () => {
      const joined = get().find((v) => v.scenario === 'new-account-joins-existing')!;
      expect(joined.rule.result).toBe('ok');
      expect(joined.action.result).toBe('ok');
      expect(joined.action.links).toHaveLength(1);
      expect(joined.action.links[0].status).toBe(201);
    });

    it('mints at most one M2M token per login and caches it in api.cache for its lifetime in milliseconds', () => {
      for (const verdict of get()) {
        expect(verdict.action.details.tokensIssued, verdict.scenario).toBeLessThanOrEqual(1);
        const sets = (verdict.action.details.apiCalls ?? []).filter((call) => call.method === 'cache.set');
        expect(sets.length).toBe(verdict.action.details.tokensIssued);
        for (const set of sets) {
          const ttl = (set.args[2] as { ttl: number }).ttl;
          // The emulator's tokens live 86400 s: a TTL in seconds (86340) would be far below an hour.
          expect(ttl).toBeGreaterThan(3600 * 1000);
          expect(ttl).toBeLessThan(86400 * 1000);
        }
      }
    });
  });
});

describe('a kept request callback answers an HTTP error as request did', () => {
  // The rule denies with response.statusMessage: request gave the reason phrase ("Conflict"), not the SDK's error text.
  it.each([7, 4] as const)('--sdk %s: same deny message after a failed link', (sdk) => {
    const list = verdictsOf('kept-flow-status-message', sdk);
    for (const scenario of ['link-conflict', 'link-fails']) {
      const verdict = list.find((v) => v.scenario === scenario);
      if (!verdict) throw new Error(`no ${scenario} verdict for --sdk ${sdk}`);
      expect(verdict.rule.message, scenario).toMatch(/^Link failed: (Conflict|Internal Server Error)$/);
      expect(verdict.action.message, scenario).toBe(verdict.rule.message);
    }
  });
});

describe('account-linking flows that could not be flattened', () => {
  it('are converted in their own shape, none left for a human', () => {
    expect(kept.length).toBeGreaterThan(2);
    expect(unconverted.map(name)).toEqual([]);
  });

  it.each(kept.map((c) => [name(c), c] as const))('%s calls ManagementClient where the rule called the API, with a warning', (_, c) => {
    const result = migrate(c.rule, { filename: 'rule.js' });
    expect(result.linking).toBe(true);
    expect(result.findings.some((f) => f.code === 'flow-kept' && f.severity === 'warning')).toBe(true);
    expect(result.code).toContain('managementClient(event, api)');
    expect(result.code).not.toMatch(/require\('request|auth0\.baseUrl/);
  });
});
