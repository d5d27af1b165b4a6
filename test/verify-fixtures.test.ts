/**
 * Every fixture of the project through verify: the rule and the Action the codemod emits for it run over
 * the built-in scenario matrix (account linking for linking / Management API rules, generic otherwise)
 * against the emulator, for auth0 v7 and, where the fixture has an sdk4 expectation, v4.
 * Fixtures are discovered from disk; a case may differ only when it is listed in EXPECTED_DIFFERENT.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../src/index.js';
import {
  builtinScenarios,
  configurationKeys,
  createVerifier,
  loadScenarioFile,
  substituteKeywords,
  withPlaceholderSecrets,
  type KeywordValues,
  type ScenarioVerdict,
  type SdkMajor,
  type Verifier,
} from '../src/verify/index.js';
import { discoverFixtures } from './support/fixtures.js';

/**
 * The one place where a fixture's Action may behave differently from its rule, with the reason.
 * Key: `<group>/<case>`; every listed case must really differ (a fixed case is taken off the list).
 */
const EXPECTED_DIFFERENT: Record<string, string> = {
  'context-to-event/no-equivalent':
    'the rule writes user.persistent.flag; user.persistent is not a documented Rules user field, so the emulated rule throws, ' +
    'while the Action has that write commented out under a TODO',
  'multifactor/could-not-convert':
    'context.multifactor = null and then .provider = …: the rule throws; the Action has the unconvertible MFA writes under TODOs',
  'primary-user/assigned-in-expression':
    'TODO-marked: the assignment inside an expression is commented out, so `chosen` is not defined in the Action',
  'saml-configuration/could-not-convert':
    'TODO-marked: SAML settings with no Actions setter are commented out (and the rule writes into mappings the context does not have)',
  'token-claims/could-not-convert': 'TODO-marked: claims built in a way the transform cannot follow are left for a human',
  'rule-signature/function-name-shadowed-in-block':
    'TODO-marked: the rule reads its own function name `greet`, which does not exist in the Action (the block-local `greet` is left alone)',
  'token-claims/claims-and-scopes':
    'the rule pushes onto context.accessToken.scope, which the emulated Rules context leaves unset until a rule sets it, ' +
    'so the rule throws where the Action calls addScope',
  'local-user-fields/must-not-fire':
    'TODO-marked: user.address is changed below its top level, which a local variable cannot carry; the writes are ' +
    'commented out (write-has-no-effect), so the Action reads event.user.address.country from an object it does not have',
  'context-to-event/keys-that-differ':
    'flagged review-field: the method timestamp (a number in Rules, an ISO string in Actions) and the whole geoip object ' +
    '(snake_case keys in Rules, camelCase in Actions) go into claims',
  'rules-auth0/object-passed-in-sync-callback':
    'TODO-marked: the auth0 object is passed inside a callback that is not async, where the M2M token cannot be awaited; ' +
    "it stays under no-equivalent's TODO and is undefined in the Action",
  'user-metadata/other-user-and-untracked':
    "the manager the rule writes to does not exist in the emulator: the Rules auth0 object and the SDK's users.update fail with " +
    'different error messages, so the deny messages differ (and the in-place changes of app_metadata are TODO-marked)',
  'account-linking/not-linking-search-only':
    'flagged unchecked-http-status: when the search answers 500 the rule reads the error body as the user list and throws, ' +
    'while the SDK throws and the Action denies with the error message',
  'no-equivalent/management-api-object':
    'the rule calls auth0.users.getUsersByEmail, which the emulated Rules runtime does not offer, so it fails in every scenario; ' +
    'the Action calls ManagementClient instead (and logs the AUTH0_DOMAIN secret where the rule logged auth0.domain)',
  'account-linking/link-network-errors-only':
    'flagged unchecked-http-status: the rule tested only `err`, so after a 409 or 500 from the link it went on and ' +
    'still switched the login; the SDK throws, so the Action denies as the rule did for a network error',
  'account-linking/returned-user-as-primary':
    'flagged primary-user-from-returned-user: returning the found user from the callback had no effect in Rules ' +
    '(rules-to-actions.md), the Action makes the intended switch with setPrimaryUser',
  'account-linking/rules-auth0-users':
    'the rule calls auth0.users.getUsersByEmail: the Rules auth0 object was documented only for the metadata helpers, ' +
    'so the emulated Rules runtime does not offer it and the rule fails',
};

/**
 * Cases whose rule cannot run in the harness at all (it fails in every scenario, so "equal" proves nothing),
 * with the reason. They still must not differ; every listed case must really fail everywhere.
 */
const RULE_CANNOT_RUN: Record<string, string> = {
  'require-dependencies/could-not-convert': 'requires ./helper and stripe, which do not exist here',
  'require-dependencies/pinned-and-hoisted': 'requires @acme/sdk, a made-up package',
  'require-dependencies/pins-and-sub-paths': 'requires uuid/v1 (uuid 3: the installed uuid 11 has no such path) and moment, which is not installed',
  'callback-to-return/nested-callback-flagged': 'synthetic: calls someLibrary, which is defined nowhere',
  'configuration-to-secrets/whole-object': 'synthetic: calls send, which is defined nowhere',
};

/** Values for keyword tokens, as a0deploy would replace them; unlisted tokens get "verify-<KEY>". */
const KEYWORDS: Record<string, KeywordValues> = {
  // `##FLAG##` stands where an expression goes: a value that is one.
  'rule-signature/keyword-tokens': { FLAG: true },
};

interface Pair {
  id: string;
  caseId: string;
  sdk: SdkMajor;
  rule: string;
  action: string;
  matrix: 'linking' | 'generic';
  /** Secret / configuration names given placeholder values, as `verify` does. */
  secrets: string[];
  /** The case's own scenarios (`scenarios.json` in its folder), run after the built-in ones. */
  extraScenarios: string | null;
}

function keywordValues(caseId: string, source: string): KeywordValues {
  const values: KeywordValues = {};
  for (const token of source.match(/@@[A-Za-z0-9_]+@@|##[A-Za-z0-9_]+##/g) ?? []) values[token.slice(2, -2)] = `verify-${token.slice(2, -2)}`;
  return { ...values, ...KEYWORDS[caseId] };
}

const cases = discoverFixtures();
const pairs: Pair[] = [];
/** Cases with no Action to compare (the rule must fail, or the input is already an Action). */
const notRunnable: string[] = [];
for (const c of cases) {
  for (const sdk of [7, 4] as const) {
    if (sdk === 4 && c.expectedAction[4] === undefined) continue;
    const result = migrate(c.rule, { filename: 'rule.js', ...c.options, sdk });
    if (result.status !== 'ok') {
      notRunnable.push(`${c.id} (${result.status})`);
      continue;
    }
    const keywords = keywordValues(c.id, c.rule);
    const { kind } = builtinScenarios({ script: c.rule, linking: result.linking });
    pairs.push({
      id: `${c.id} sdk${sdk}`,
      caseId: c.id,
      sdk,
      rule: substituteKeywords(c.rule, keywords).code,
      action: substituteKeywords(result.code, keywords).code,
      matrix: kind,
      secrets: [...result.needs.secrets, ...configurationKeys(c.rule)],
      extraScenarios: existsSync(path.join(c.dir, 'scenarios.json')) ? path.join(c.dir, 'scenarios.json') : null,
    });
  }
}

const verdicts = new Map<string, ScenarioVerdict[]>();
/** A pair whose harness run failed (child crash, timeout): reported by its own test. */
const failures = new Map<string, string>();
let verifier: Verifier;
let elapsedMs = 0;

beforeAll(async () => {
  const started = Date.now();
  verifier = await createVerifier();
  // The verifier runs as many children at once as there are cores.
  await Promise.all(
    pairs.map(async (pair) => {
      const builtin = builtinScenarios({ script: pair.rule, linking: pair.matrix === 'linking' }).scenarios;
      try {
        const own = pair.extraScenarios ? await loadScenarioFile(pair.extraScenarios) : [];
        const scenarios = withPlaceholderSecrets([...builtin, ...own], pair.secrets);
        verdicts.set(pair.id, await verifier.verifyPair({ rule: pair.rule, action: pair.action, sdk: pair.sdk, scenarios }));
      } catch (error) {
        failures.set(pair.id, String(error));
      }
    }),
  );
  elapsedMs = Date.now() - started;
  console.log(`verify-fixtures: ${pairs.length} pairs (${verdicts.size} verified) in ${elapsedMs} ms; not runnable: ${notRunnable.join(', ') || 'none'}`);
}, 240_000);

afterAll(() => verifier?.close());

const describeDifferences = (list: ScenarioVerdict[]) =>
  list.filter((v) => !v.equal).map((v) => `${v.scenario}: ${v.differences.join('; ')}`);

describe('every fixture Action behaves like its rule', () => {
  it('finds fixtures of several transforms, for both SDK majors', () => {
    expect(new Set(pairs.map((p) => p.caseId.split('/')[0])).size).toBeGreaterThan(2);
    expect(pairs.some((p) => p.sdk === 7)).toBe(true);
  });

  it.each(pairs.filter((p) => !(p.caseId in EXPECTED_DIFFERENT)).map((p) => [p.id, p]))('%s: every scenario is equal', (_id, pair) => {
    expect(failures.get((pair as Pair).id)).toBeUndefined();
    const list = verdicts.get((pair as Pair).id) ?? [];
    expect(list.length).toBeGreaterThan(1);
    expect(describeDifferences(list)).toEqual([]);
    // Two runs that both crash are "equal" without proving anything.
    const ruleErrors = list.filter((v) => v.rule.result === 'error').map((v) => `${v.scenario}: ${v.rule.message}`);
    if ((pair as Pair).caseId in RULE_CANNOT_RUN) expect(ruleErrors.length, RULE_CANNOT_RUN[(pair as Pair).caseId]).toBe(list.length);
    else expect(ruleErrors.length, `the rule fails in every scenario: ${ruleErrors.join('; ')}`).toBeLessThan(list.length);
  });

  it.each(pairs.filter((p) => p.caseId in EXPECTED_DIFFERENT).map((p) => [p.id, p]))('%s: differs as documented', (_id, pair) => {
    const list = verdicts.get((pair as Pair).id) ?? [];
    expect(describeDifferences(list).length, EXPECTED_DIFFERENT[(pair as Pair).caseId]).toBeGreaterThan(0);
  });

  it('only cases that must fail, or whose input is already an Action, have no Action to verify', () => {
    const unexpected = cases.filter(
      (c) => notRunnable.some((n) => n.startsWith(`${c.id} `)) && c.expectedReport.status !== 'failed' && c.expectedAction[7]?.trim() !== c.rule.trim(),
    );
    expect(unexpected.map((c) => c.id)).toEqual([]);
  });

  it('every case listed as expected to differ or as not runnable exists', () => {
    const ids = new Set(cases.map((c) => c.id));
    expect([...Object.keys(EXPECTED_DIFFERENT), ...Object.keys(RULE_CANNOT_RUN)].filter((id) => !ids.has(id))).toEqual([]);
  });
});
