// The verify command's results: one entry per rule and SDK major. Pure data, shared by the formatters.
import type { Finding, SdkMajor } from '../types.js';

export interface ScenarioResult {
  scenario: string;
  equal: boolean;
  differences: string[];
  notes: string[];
  /** The rule linked accounts (a link request or a primary user) in this scenario. */
  ruleLinked?: boolean;
}

/** equal: every scenario matched and the Action type-checks; different: a scenario or the type check failed; not-verified: nothing could run. */
export type RuleVerdict = 'equal' | 'different' | 'not-verified';

export interface RuleVerification {
  source: string;
  name: string;
  sdk: SdkMajor;
  verdict: RuleVerdict;
  /** Why the pair could not run (not-verified). */
  reason?: string;
  /** Which built-in matrix ran ('none' when only scenario-file scenarios ran or nothing ran). */
  matrix: 'linking' | 'generic' | 'none';
  /** Where the Action came from: migrated now, or a file given with --action. */
  action: 'migrated' | string;
  typeErrors: Finding[];
  scenarios: ScenarioResult[];
  notes: string[];
}

export interface VerifySummary {
  rules: number;
  equal: number;
  different: number;
  notVerified: number;
  scenarios: number;
  scenariosEqual: number;
  scenariosDifferent: number;
  typeErrors: number;
}

export function summarizeVerification(results: RuleVerification[]): VerifySummary {
  const summary: VerifySummary = {
    rules: results.length, equal: 0, different: 0, notVerified: 0, scenarios: 0, scenariosEqual: 0, scenariosDifferent: 0, typeErrors: 0,
  };
  // Counts are per rule: `--sdk both` verifies each rule twice. Any difference makes the rule different;
  // it is equal only when every SDK major is.
  const verdicts = new Map<string, RuleVerdict[]>();
  for (const r of results) verdicts.set(r.source, [...(verdicts.get(r.source) ?? []), r.verdict]);
  summary.rules = verdicts.size;
  for (const list of verdicts.values()) {
    if (list.includes('different')) summary.different++;
    else if (list.every((v) => v === 'equal')) summary.equal++;
    else summary.notVerified++;
  }
  for (const r of results) {
    summary.scenarios += r.scenarios.length;
    summary.scenariosEqual += r.scenarios.filter((s) => s.equal).length;
    summary.scenariosDifferent += r.scenarios.filter((s) => !s.equal).length;
    summary.typeErrors += r.typeErrors.length;
  }
  return summary;
}

/** What `migrate --verify` adds to a rule's report entry. */
export interface VerificationEntry {
  sdk: SdkMajor;
  verdict: RuleVerdict;
  scenarios: number;
  equal: number;
  different: number;
  /** `<scenario>: <difference>` for every difference. */
  differences: string[];
  typeErrors: number;
  /** Why nothing could be compared. */
  reason?: string;
}
