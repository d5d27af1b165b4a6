// Runs grouped back into their tenants, with what only the tenant knows: the rule's stage and the
// rules-configs keys it reads. Shared by `migrate` and `audit`.
import type { InputProblem } from './io/errors.js';
import { LOGIN_STAGE, type Tenant } from './inputs/types.js';
import type { RuleInput, RuleReport, RuleRun } from './run.js';
import { analyzeTenant } from './tenant/analyze.js';

export interface TenantRuns {
  tenant: Tenant;
  runs: RuleRun[];
  /** Unreadable inputs, as failed report entries. */
  failures: RuleReport[];
}

/** The rules of every tenant in one list, in tenant order (runs come back in the same order). */
export function tenantRules(tenants: Tenant[]): RuleInput[] {
  return tenants.flatMap((t) => t.rules);
}

/**
 * The tenant-level pass, on the main thread before the rules are migrated (one Babel parse per rule):
 * a copy of the tenant whose rules get what the tenant's other rules share with them as `input.tenant`,
 * plain data that goes to the worker threads with the rule. Rules run in `order` (plain .js files: in
 * file order, which the findings say); disabled rules and other stages do not run, so they share nothing.
 */
export function withTenantViews(tenant: Tenant): Tenant {
  if (tenant.rules.length < 2) return tenant;
  const ordered = tenant.rules
    .map((rule, index) => ({ rule, index }))
    .sort((a, b) => (a.rule.order ?? Infinity) - (b.rule.order ?? Infinity) || a.index - b.index);
  const orderNote = tenant.format === 'plain' ? 'file order' : undefined;
  const { views } = analyzeTenant(
    ordered.map(({ rule }) => ({ source: rule.source, script: rule.script, runs: rule.enabled !== false && (rule.stage ?? LOGIN_STAGE) === LOGIN_STAGE })),
    { orderNote },
  );
  const rules = [...tenant.rules];
  ordered.forEach(({ rule, index }, i) => {
    const view = views[i];
    if (Object.keys(view.globals).length || view.passes.length || view.receives.length) rules[index] = { ...rule, tenant: view };
  });
  const shared = rules.some((rule, i) => rule !== tenant.rules[i]);
  const notes =
    orderNote && shared
      ? [...tenant.notes, `${tenant.source}: plain .js rules have no order; shared state between them is migrated as if they ran in file order (${ordered.map(({ rule }) => rule.name).join(', ')}).`]
      : tenant.notes;
  return { ...tenant, rules, notes };
}

/** Splits runs (in tenantRules order) back per tenant and applies stage and rules-configs. */
export function groupRuns(tenants: Tenant[], runs: RuleRun[]): TenantRuns[] {
  let next = 0;
  return tenants.map((tenant) => {
    const own = runs.slice(next, (next += tenant.rules.length)).map((run) => withConfigSecrets(checkStage(run), tenant.configKeys));
    return { tenant, runs: own, failures: tenant.problems.map(problemReport) };
  });
}

/** Only login_success rules become post-login Actions; other stages fail with `unsupported-stage`. */
function checkStage(run: RuleRun): RuleRun {
  const stage = run.input.stage ?? LOGIN_STAGE;
  if (stage === LOGIN_STAGE) return run;
  const finding = {
    code: 'unsupported-stage',
    transform: 'input',
    severity: 'error' as const,
    message:
      `Rule stage '${stage}' has no post-login Action: only login_success rules are migrated. ` +
      (stage === 'login_failure' ? 'Use a log stream or a post-login deny path instead.' : 'Rebuild it by hand with the matching trigger.'),
    line: 1,
    column: 1,
  };
  const needs = { secrets: [], dependencies: [], scopes: [] };
  return {
    input: run.input,
    result: { code: run.input.script, findings: [finding], diff: '', status: 'error', needs, linking: false },
    report: { ...run.report, status: 'failed', findings: [finding], secrets: [], dependencies: [], scopes: [], linking: false },
  };
}

/**
 * rules-configs keys the rule reads become the Action's secrets (by name). A rule that uses
 * `configuration` as a whole or with a computed key may read any of them: all keys then.
 */
export function configKeysUsed(script: string, keys: string[]): string[] {
  if (keys.length === 0) return [];
  const used = new Set<string>();
  const uses = /(?<![.\w$])configuration\b\s*(\??\.\s*([A-Za-z_$][\w$]*)|\[\s*(['"`])((?:(?!\3)[^\\\n])*)\3\s*\]|\[)?/g;
  for (const match of script.matchAll(uses)) {
    if (match[2]) used.add(match[2]);
    else if (match[4] !== undefined) used.add(match[4]);
    else {
      const before = script.slice(0, match.index);
      const destructured = /\{([^{}]*)\}\s*=\s*$/.exec(before);
      if (!destructured) return [...keys];
      for (const part of destructured[1].split(',')) {
        const key = part.split(':')[0].trim().replace(/^['"]|['"]$/g, '');
        if (key.startsWith('...')) return [...keys];
        if (key) used.add(key);
      }
    }
  }
  return keys.filter((k) => used.has(k));
}

function withConfigSecrets(run: RuleRun, keys: string[]): RuleRun {
  if (run.report.status === 'failed') return run;
  const extra = configKeysUsed(run.input.script, keys);
  if (extra.length === 0) return run;
  const secrets = [...new Set([...run.result.needs.secrets, ...extra])].sort();
  return { ...run, result: { ...run.result, needs: { ...run.result.needs, secrets } }, report: { ...run.report, secrets } };
}

export function problemReport(problem: InputProblem): RuleReport {
  return {
    source: problem.source,
    name: problem.source.split(/[\\/]/).pop() ?? problem.source,
    status: 'failed',
    action: null,
    findings: [
      { code: problem.code ?? 'read-error', transform: 'input', severity: 'error', message: problem.message, line: problem.line ?? 1, column: problem.column ?? 1 },
    ],
    secrets: [],
    dependencies: [],
    scopes: [],
    linking: false,
  };
}
