// `rules2actions audit <tenant...>`: migrate every rule of every tenant in memory (nothing is written
// but the report) and summarise per tenant and overall.
import { plural } from '../format/plural.js';
import type { AuditFormat } from '../format/audit.js';
import { buildAudit, type AuditReport } from '../format/audit-model.js';
import { readTenants } from '../inputs/index.js';
import type { Tenant } from '../inputs/types.js';
import { groupRuns, tenantRules, withTenantViews, type TenantRuns } from '../tenants.js';
import type { SdkMajor } from '../types.js';
import { UsageError } from '../io/errors.js';
import { writeFileAtomic } from '../io/write.js';
import type { Io } from './main.js';
import { runAll } from './pool.js';
import { createProgress } from './progress.js';

export interface AuditFlags {
  format: AuditFormat;
  output?: string;
  sdk: SdkMajor;
  fromTenant: string[];
  color?: boolean;
}

/** The tenants, read and viewed as their rules run (stages, rules-configs); their notes go to stderr. */
async function readAuditTenants(paths: string[], flags: AuditFlags, io: Io): Promise<Tenant[]> {
  const tenants = (await readTenants(paths, { fromTenant: flags.fromTenant })).map(withTenantViews);
  for (const note of tenants.flatMap((t) => t.notes)) io.stderr(`rules2actions: ${note}\n`);
  // Nothing read at all (an export with an empty rules list is audited: it has nothing to migrate).
  if (tenantRules(tenants).length === 0 && tenants.every((t) => t.problems.length === 0 && t.format === 'plain')) {
    throw new UsageError(`No rules found in ${[...paths, ...flags.fromTenant].join(', ')}.`);
  }
  return tenants;
}

/** Every rule migrated in memory, with a bar on a terminal. */
async function migrateInMemory(tenants: Tenant[], flags: AuditFlags, io: Io): Promise<TenantRuns[]> {
  const rules = tenantRules(tenants);
  const progress = createProgress(io.stderr, rules.length, { tty: Boolean(io.stderrIsTTY) });
  // The HTML report diffs rule and Action itself: no format needs the unified diff.
  const runs = await runAll(rules, { sdk: flags.sdk, diff: false }, progress.tick);
  progress.done();
  return groupRuns(tenants, runs);
}

async function deliver(text: string, report: AuditReport, flags: AuditFlags, io: Io): Promise<void> {
  if (!flags.output) {
    io.stdout(text);
    return;
  }
  try {
    await writeFileAtomic(flags.output, text);
  } catch (error) {
    throw new UsageError(`Cannot write ${flags.output}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  io.stdout(`Wrote the ${flags.format} audit of ${plural(report.overall.tenants, 'tenant')} (${plural(report.overall.rules, 'rule')}) to ${flags.output}\n`);
}

/** As in migrate: an input that could not be read (not one skipped on purpose) fails the run. */
function exitCode(tenants: Tenant[]): number {
  return tenants.some((t) => t.problems.some((p) => !p.code)) ? 2 : 0;
}

/** read the tenants → migrate in memory → build the report once → render → deliver → exit code. */
export async function runAudit(paths: string[], flags: AuditFlags, io: Io, version: string): Promise<number> {
  const tenants = await readAuditTenants(paths, flags, io);
  const report = buildAudit(version, await migrateInMemory(tenants, flags, io), reportDate());
  const { renderAudit } = await import('../format/audit.js');
  await deliver(renderAudit(report, flags.format, !flags.output && io.isTTY && flags.color !== false), report, flags, io);
  return exitCode(tenants);
}

/** Now, or SOURCE_DATE_EPOCH (seconds) when set: the reproducible-builds convention. */
function reportDate(): Date {
  const epoch = process.env.SOURCE_DATE_EPOCH;
  return epoch && /^\d+$/.test(epoch) ? new Date(Number(epoch) * 1000) : new Date();
}
