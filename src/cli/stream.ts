// `migrate --out` as a stream (issue 16): rules flow through the pool in tenant order, each tenant is
// written as soon as its last rule is back, and the main thread keeps one report entry per rule
// (never the Action code or the diff), so memory stays flat as the portfolio grows.
import type { Tenant } from '../inputs/types.js';
import type { RuleInput, RuleReport, RuleRun } from '../run.js';
import type { MigrateOptions } from '../types.js';
import { writeTenant, type Emit } from '../emit/index.js';
import type { PlanOptions, TenantPlan } from '../emit/plan.js';
import { groupRuns } from '../tenants.js';
import { describeFsError, UsageError } from '../io/errors.js';
import { runRules, type PoolOptions } from './pool.js';

/** What the CLI keeps of a rule once it is migrated (and written): its report entry and what the text output needs. */
export interface RuleEntry {
  report: RuleReport;
  /** The rule is an Action already: nothing to migrate. */
  alreadyAction: boolean;
  /** The unified diff (only when one was asked for: a text dry run). */
  diff: string;
}

export function ruleEntry(run: RuleRun): RuleEntry {
  return { report: run.report, alreadyAction: run.result.findings.some((f) => f.code === 'already-action'), diff: run.result.diff };
}

export interface Streamed {
  /** One per rule, in input order, as written (Action file, deploy flags, write errors). */
  entries: RuleEntry[];
  /** Each tenant's plan without its Actions (their code is gone): the held-back summary reads these. */
  plans: TenantPlan[];
  notes: string[];
}

export interface StreamOptions {
  outDir: string;
  emit?: Emit;
  plan: PlanOptions;
  tick?: (run: RuleRun) => unknown;
  pool?: PoolOptions;
}

/**
 * Migrates `rules` (tenantRules(tenants) order) and writes each tenant into `outDir` (a sub-folder per
 * tenant when there are several) as soon as its rules are all back; same files as writeTenants.
 */
export async function streamTenants(tenants: Tenant[], rules: RuleInput[], options: MigrateOptions, stream: StreamOptions): Promise<Streamed> {
  const entries: RuleEntry[] = [];
  const plans: TenantPlan[] = [];
  const notes: string[] = [];
  let next = 0;
  let pending: RuleRun[] = [];
  // Writes every tenant whose rules are all in (tenants without rules included), in tenant order.
  const flush = async () => {
    while (next < tenants.length && pending.length === tenants[next].rules.length) {
      const tenant = tenants[next];
      const [group] = groupRuns([tenant], pending);
      pending = [];
      next++;
      let written;
      try {
        written = await writeTenant(stream.outDir, group, tenants.length > 1 ? tenant.name : '', stream.emit, stream.plan);
      } catch (error) {
        if (error instanceof UsageError) throw error;
        throw new UsageError(`Cannot write to ${stream.outDir}: ${describeFsError(error)}`);
      }
      group.runs.forEach((run, i) => entries.push({ ...ruleEntry(run), report: written.reports[i] }));
      plans.push({ ...written.plan, actions: [], bindings: [] });
      notes.push(...written.notes);
    }
  };
  await flush();
  await runRules(rules, options, async (run) => {
    stream.tick?.(run);
    pending.push(run);
    await flush();
  }, stream.pool);
  await flush();
  return { entries, plans, notes };
}
