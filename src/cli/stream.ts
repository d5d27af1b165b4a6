// Rules as a stream (issue 16): tenants are read one at a time, their rules flow through the pool in
// tenant order, each tenant is written (--out, --write) as soon as its last rule is back, and the caller gets
// one report entry per rule (never the Action code), so memory stays flat as the portfolio grows.
import type { Tenant } from '../inputs/types.js';
import type { RuleInput, RuleReport, RuleRun } from '../run.js';
import type { MigrateOptions } from '../types.js';
import type { Emit } from '../emit/layouts.js';
import type { HeldBack, PlanOptions } from '../emit/plan.js';
import { groupRuns, withTenantViews, type TenantRuns } from '../tenants.js';
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

export function ruleEntry(run: RuleRun, report: RuleReport = run.report): RuleEntry {
  return { report, alreadyAction: run.result.findings.some((f) => f.code === 'already-action'), diff: run.result.diff };
}

/** A tenant's Actions held back (the summary lists them); its plan and code are gone. */
export interface TenantHeldBack {
  tenant: { name: string };
  heldBack: HeldBack[];
}

/** One tenant, done: its entries in input order, as written (Action file, deploy flags, write errors). */
export interface TenantDone {
  entries: RuleEntry[];
  /** Null when nothing was written (a dry run). */
  heldBack: TenantHeldBack | null;
  notes: string[];
  /** --write: rules of the tenant migrated in place (Actions written into an export, or .js files replaced). */
  written?: number;
}

/** What becomes of a tenant once its last rule is back: written somewhere, or only reported (a dry run). */
export type TenantStep = (group: TenantRuns) => Promise<TenantDone>;

/** A dry run: the report entries, nothing written. */
export const reportOnly: TenantStep = async (group) => ({ entries: group.runs.map((run) => ruleEntry(run)), heldBack: null, notes: [] });

/** Writes the tenant's Actions into `root/sub` (--out, or an export with --write), in `emit`'s layout (default: the input's). */
export async function writeTenantTo(root: string, sub: string, group: TenantRuns, emit: Emit | undefined, plan: PlanOptions | undefined): Promise<TenantDone> {
  try {
    // The writers load with the first tenant to write: a dry run never needs them.
    const { writeTenant } = await import('../emit/index.js');
    const written = await writeTenant(root, group, sub, emit, plan);
    return {
      entries: group.runs.map((run, i) => ruleEntry(run, written.reports[i])),
      heldBack: { tenant: { name: group.tenant.name }, heldBack: written.plan.heldBack },
      notes: written.notes,
    };
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(`Cannot write to ${root}: ${describeFsError(error)}`);
  }
}

export interface StreamOptions {
  /** What becomes of each tenant (default: reportOnly). */
  finish?: TenantStep;
  tick?: (run: RuleRun) => unknown;
  /** Each tenant as it is read, before its rules run (notes, unreadable files). */
  onTenant?: (tenant: Tenant) => void;
  pool?: PoolOptions;
}

/** Reads, migrates and finishes (writes) each tenant in turn; `onDone` gets each one, in tenant order. */
export async function streamTenants(
  tenants: Iterable<Tenant> | AsyncIterable<Tenant>,
  options: MigrateOptions,
  stream: StreamOptions,
  onDone: (done: TenantDone) => void | Promise<void>,
): Promise<void> {
  const waiting: Tenant[] = [];
  let pending: RuleRun[] = [];
  const finish = stream.finish ?? reportOnly;
  // Finishes every tenant whose rules are all in (tenants without rules included), in tenant order.
  // Chained: the pool (results) and the reader (empty tenants) both call it.
  let flushing = Promise.resolve();
  const flush = () =>
    (flushing = flushing.then(async () => {
      while (waiting.length && pending.length === waiting[0].rules.length) {
        const [group] = groupRuns([waiting.shift()!], pending);
        pending = [];
        await onDone(await finish(group));
      }
    }));
  async function* inputs(): AsyncGenerator<RuleInput> {
    for await (const read of tenants) {
      const tenant = withTenantViews(read);
      stream.onTenant?.(tenant);
      waiting.push(tenant);
      if (tenant.rules.length === 0) await flush();
      yield* tenant.rules;
    }
  }
  await runRules(inputs(), options, async (run) => {
    stream.tick?.(run);
    pending.push(run);
    await flush();
  }, stream.pool);
  await flush();
}

/** Every tenant's runs, held (--verify and --write need them all); read and migrated as streamTenants does. */
export async function collectTenants(
  tenants: Iterable<Tenant> | AsyncIterable<Tenant>,
  options: MigrateOptions,
  stream: Pick<StreamOptions, 'tick' | 'onTenant' | 'pool'>,
): Promise<TenantRuns[]> {
  const read: Tenant[] = [];
  const runs: RuleRun[] = [];
  async function* inputs(): AsyncGenerator<RuleInput> {
    for await (const tenant of tenants) {
      const viewed = withTenantViews(tenant);
      stream.onTenant?.(viewed);
      read.push(viewed);
      yield* viewed.rules;
    }
  }
  await runRules(inputs(), options, (run) => {
    stream.tick?.(run);
    runs.push(run);
  }, stream.pool);
  return groupRuns(read, runs);
}
