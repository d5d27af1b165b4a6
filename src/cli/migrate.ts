// `migrate` as a chain of steps, each taking data and returning data (issue 16):
//   planMigrate(flags) → openInputs → run (stream: each tenant written as its rules are back; --verify:
//   collect → verify → write) → migrationReport → writeReports → formatOutput → deliver → exit code.
// The report entries go to a spool file as they come (src/io/spool.ts): the run holds counts, not rules.
import path from 'node:path';
import pc from 'picocolors';
import type { Emit } from '../emit/layouts.js';
import type { BindingsMode, PlanOptions } from '../emit/plan.js';
import { markdownChunks } from '../format/markdown.js';
import { plural } from '../format/plural.js';
import { buildReport, jsonChunks, type ReportSource } from '../format/report-json.js';
import { sarifChunks } from '../format/sarif.js';
import { formatRun, formatSummary, heldBackSummary } from '../format/text.js';
import { dumpSources, planInputs, plansNoRules, readInputs } from '../inputs/index.js';
import type { Tenant } from '../inputs/types.js';
import { encodeText } from '../io/encoding.js';
import { describeFsError, UsageError, type InputProblem } from '../io/errors.js';
import { dirtyRepositories, gitIgnored } from '../io/git.js';
import { withReadLimits } from '../io/read.js';
import { createSpool, type Spool } from '../io/spool.js';
import { ensureWritableFolder, writeFileAtomic } from '../io/write.js';
import { loadPins, PinsError } from '../pins.js';
import { summarize, type RuleReport, type RuleRun, type Summary } from '../run.js';
import { problemReport, type TenantRuns } from '../tenants.js';
import type { MigrateOptions, SdkMajor } from '../types.js';
import { transforms } from '../../transforms/index.js';
import { gateExit, visibleReport, visibleSummary, type GatingFlags } from './gating.js';
import type { Io } from './main.js';
import { createGrowingProgress, createProgress } from './progress.js';
import { readStdin, STDIN, STDIN_SOURCE } from './stdio.js';
import { collectTenants, reportOnly, streamTenants, writeTenantTo, type RuleEntry, type TenantDone, type TenantHeldBack, type TenantStep } from './stream.js';

export type Format = 'text' | 'json' | 'markdown' | 'sarif';

export interface MigrateFlags extends GatingFlags {
  out?: string;
  /** The report (what --format prints) goes to this file instead of stdout. */
  output?: string;
  format: Format;
  sdk: SdkMajor;
  transforms?: string[];
  diff: boolean;
  guard: boolean;
  color?: boolean;
  emit?: Emit;
  fromTenant: string[];
  verify?: boolean;
  write?: boolean;
  force?: boolean;
  maxSize: number;
  bindings: BindingsMode;
  bindReview?: boolean;
  pins?: string;
  module?: boolean;
}

/** What the run will do, decided from the flags alone. */
export interface MigratePlan {
  /** Paths to read (without `-`). */
  paths: string[];
  fromStdin: boolean;
  flags: MigrateFlags;
  options: MigrateOptions;
  /** Diffs are printed (a text dry run). */
  diff: boolean;
  planOptions: PlanOptions;
  /** --verify needs every run at once; everything else streams. */
  collect: boolean;
  /** The default exit code also fails for a rule to review (a run that writes or verifies). */
  strict: boolean;
}

export function planMigrate(paths: string[], flags: MigrateFlags): MigratePlan {
  const unknown = flags.transforms?.filter((id) => !transforms.some((t) => t.id === id));
  if (unknown?.length) throw new UsageError(`Unknown transform(s): ${unknown.join(', ')} (see --list)`);
  // Diffs are only printed on a text dry run; computing and holding them costs a large run dearly.
  const diff = flags.format === 'text' && flags.diff && !flags.out && !flags.write;
  let pins;
  try {
    pins = loadPins(flags.pins);
  } catch (error) {
    if (error instanceof PinsError) throw new UsageError(error.message);
    throw error;
  }
  if (flags.write && flags.out) throw new UsageError('Use either --write (in place) or --out <dir>, not both.');
  const fromStdin = paths.includes(STDIN);
  if (fromStdin && flags.write) throw new UsageError('--write replaces files in place; a rule from stdin has none: use --out <dir> or a dry run.');
  return {
    paths: paths.filter((p) => p !== STDIN),
    fromStdin,
    flags,
    options: { sdk: flags.sdk, transforms: flags.transforms, guard: flags.guard, diff, ...(pins ? { pins } : {}), ...(flags.module ? { sharedModule: true } : {}) },
    diff,
    planOptions: { bindings: flags.bindings, bindReview: flags.bindReview, module: flags.module },
    collect: Boolean(flags.verify),
    strict: Boolean(flags.out || flags.write || flags.verify),
  };
}

/** Why the run must not write (an unwritable --out, a dirty git tree under --write), or null. */
async function refusal(plan: MigratePlan): Promise<string | null> {
  const { flags } = plan;
  if (flags.out) await ensureWritableFolder(flags.out);
  if (!flags.write || flags.force) return null;
  // Convention of next-codemod and react-codemod: in-place edits only over committed work.
  const dirty = await dirtyRepositories(plan.paths);
  if (dirty.length === 0) return null;
  return (
    `rules2actions: the git tree at ${dirty.join(', ')} has uncommitted changes; --write would mix them with the migration.\n` +
    'Commit or stash them first, or run again with --force.\n'
  );
}

interface Inputs {
  tenants: AsyncIterable<Tenant>;
  /** How many tenants the inputs hold (one is written at the top of --out, several in sub-folders). */
  count: number;
}

/** The tenants to migrate, read lazily (one at a time, as the run asks for them). */
async function openInputs(plan: MigratePlan, io: Io): Promise<Inputs> {
  const inputs = await planInputs(plan.paths, { mergePlain: true, fromTenant: plan.flags.fromTenant });
  const stdin = plan.fromStdin ? await (io.stdin ?? readStdin)() : null;
  if (stdin !== null && stdin.trim() === '') throw new UsageError('Standard input is empty: pipe one rule into `-`.');
  const dumps = plan.flags.write ? dumpSources(inputs) : [];
  if (dumps.length) {
    throw new UsageError(`--write migrates files in place; ${dumps.join(', ')} is a rules dump with no export folder to write into: use --out <dir>.`);
  }
  // Nothing to read at all (an export with an empty rules list is an answer: nothing to migrate).
  if (stdin === null && plansNoRules(inputs)) throw new UsageError(`No rules found in ${plan.paths.join(', ')}.`);
  const plainUnit = inputs.units.some((u) => u.kind === 'plain');
  return {
    tenants: stdin === null ? readInputs(inputs) : withStdinRule(readInputs(inputs), stdin),
    count: inputs.units.length + (stdin !== null && !plainUnit ? 1 : 0),
  };
}

function countRules(inputs: Inputs, add: (count: number) => void): Inputs {
  async function* counted() {
    for await (const tenant of inputs.tenants) {
      add(tenant.rules.length);
      yield tenant;
    }
  }
  return { ...inputs, tenants: counted() };
}

/** The rule from stdin joins the plain tenant (every plain input is one tenant in migrate), or comes last as one. */
async function* withStdinRule(tenants: AsyncIterable<Tenant>, script: string): AsyncGenerator<Tenant> {
  const rule = { source: STDIN_SOURCE, name: 'stdin', script };
  let added = false;
  for await (const tenant of tenants) {
    if (!added && tenant.format === 'plain') {
      added = true;
      yield { ...tenant, rules: [...tenant.rules, rule] };
    } else yield tenant;
  }
  if (!added) yield { name: 'stdin', source: STDIN_SOURCE, format: 'plain', rules: [rule], configKeys: [], problems: [], notes: [] };
}

/** What a run leaves: report entries (on disk), their counts, and what the summary lines need. */
export interface MigrationRun {
  entries: Spool<RuleEntry>;
  summary: Summary;
  /** Files that could not be read: failed entries after the rules. */
  problems: InputProblem[];
  heldBack: TenantHeldBack[];
  notes: string[];
  /** --write: rules migrated in place. */
  written: number;
}

/** Collects each tenant's outcome into a MigrationRun; the one place entries are counted. */
function runRecorder() {
  const entries = createSpool<RuleEntry>();
  let summary = summarize([]);
  const problems: InputProblem[] = [];
  const heldBack: TenantHeldBack[] = [];
  const notes: string[] = [];
  let written = 0;
  return {
    tenantRead(tenant: Tenant) {
      problems.push(...tenant.problems);
    },
    done(done: TenantDone) {
      for (const entry of done.entries) {
        entries.append(entry);
        summary = addSummary(summary, summarize([entry.report]));
      }
      if (done.heldBack) heldBack.push(done.heldBack);
      notes.push(...done.notes);
      written += done.written ?? 0;
    },
    finish(): MigrationRun {
      for (const problem of problems) summary = addSummary(summary, summarize([problemReport(problem)]));
      return { entries, summary, problems, heldBack, notes, written };
    },
    abort: () => entries.close(),
  };
}

/** What a tenant's reading found worth saying, on stderr as it is read. */
function printNotes(tenant: Tenant, io: Io): void {
  for (const note of tenant.notes) io.stderr(`rules2actions: ${note}\n`);
}

const addSummary = (a: Summary, b: Summary): Summary => ({
  rules: a.rules + b.rules,
  migrated: a.migrated + b.migrated,
  review: a.review + b.review,
  failed: a.failed + b.failed,
  errors: a.errors + b.errors,
  warnings: a.warnings + b.warnings,
});

/**
 * What becomes of each tenant once its rules are back: its Actions written into --out (a sub-folder per
 * tenant when there are several), or with --write into the export it came from (rules stay: they are
 * switched off at cut-over) and plain .js rules replaced; a dry run only reports.
 */
function tenantStep(plan: MigratePlan, tenantCount: number, io: Io): TenantStep {
  const { flags } = plan;
  return async (group) => {
    if (flags.out) return writeTenantTo(flags.out, tenantCount > 1 ? group.tenant.name : '', group, flags.emit, plan.planOptions);
    if (!flags.write) return reportOnly(group);
    const root = exportRoot(group.tenant);
    if (!root) return { ...(await reportOnly(group)), written: await writeInPlace(plan, group, io) };
    const done = await writeTenantTo(root, '', group, undefined, plan.planOptions);
    return { ...done, written: done.entries.filter((e) => e.report.action).length };
  };
}

/** A dry run, --out or --write: tenants flow through, each finished as soon as its rules are back. */
async function streamRun(plan: MigratePlan, inputs: Inputs, io: Io, tick: (run: RuleRun) => unknown): Promise<MigrationRun> {
  const record = runRecorder();
  try {
    const onTenant = (tenant: Tenant) => {
      printNotes(tenant, io);
      record.tenantRead(tenant);
    };
    await streamTenants(inputs.tenants, plan.options, { finish: tenantStep(plan, inputs.count, io), tick, onTenant }, (done) => record.done(done));
  } catch (error) {
    record.abort();
    throw error;
  }
  return record.finish();
}

/** --verify: each Action run against its rule; new runs, with verify's verdicts and findings. */
async function verifyStep(groups: TenantRuns[], plan: MigratePlan, io: Io): Promise<TenantRuns[]> {
  const { isVerifiable, verifiedRuns, warnAboutCacheSetting } = await import('./verify.js');
  warnAboutCacheSetting(io);
  const runs = groups.flatMap((g) => g.runs);
  const verifying = createProgress(io.stderr, runs.filter(isVerifiable).length, {
    tty: Boolean(io.stderrIsTTY),
    threshold: 1,
    label: 'rules verified',
  });
  const verified = await verifiedRuns(runs, plan.flags.sdk, () => verifying.tick(null));
  verifying.done();
  let next = 0;
  return groups.map((g) => ({ ...g, runs: g.runs.map(() => verified[next++]) }));
}

/** --verify: every run is held and verified, then each tenant finished as in a streamed run. */
async function verifiedRun(plan: MigratePlan, groups: TenantRuns[], io: Io): Promise<MigrationRun> {
  const record = runRecorder();
  const finish = tenantStep(plan, groups.length, io);
  try {
    for (const group of groups) {
      record.tenantRead(group.tenant);
      record.done(await finish(group));
    }
  } catch (error) {
    record.abort();
    throw error;
  }
  return record.finish();
}

/** A tenant's plain .js rules replaced by their Action (--write); returns how many. */
async function writeInPlace(plan: MigratePlan, group: TenantRuns, io: Io): Promise<number> {
  const inPlace = group.runs.filter((r) => r.input.source !== STDIN_SOURCE);
  // git would not show the change: say so and leave the file, unless --force.
  const ignored = plan.flags.force ? new Set<string>() : await gitIgnored(inPlace.map((r) => r.input.source));
  let written = 0;
  for (const run of inPlace) {
    // Failed rules stay as they are; an Action already (nochange) is not rewritten.
    // A library rule (its helpers moved into the Actions using them) is not replaced by an empty Action.
    if (run.result.status !== 'ok' || run.report.status === 'failed' || run.result.noAction) continue;
    if (ignored.has(run.input.source)) {
      io.stderr(`rules2actions: ${run.input.source} is ignored by git, so the rewrite would not show in git status; not written (use --out, or --force).\n`);
      continue;
    }
    try {
      // Written back in the encoding it was read in (UTF-16 stays UTF-16), never through a symbolic link.
      await writeFileAtomic(run.input.source, encodeText(run.result.code, run.input.encoding));
    } catch (error) {
      if (error instanceof UsageError) throw error;
      throw new UsageError(`Cannot write ${run.input.source}: ${describeFsError(error)}`);
    }
    written++;
  }
  return written;
}

/** The folder of a deploy-cli export, where `--write` puts its Actions; null for plain rules and dumps. */
function exportRoot(tenant: Tenant): string | null {
  if (tenant.format === 'directory') return path.basename(tenant.source) === 'rules' ? path.dirname(tenant.source) : tenant.source;
  if (tenant.format === 'yaml') return /\.ya?ml$/i.test(tenant.source) ? path.dirname(tenant.source) : tenant.source;
  return null;
}

/** Rules read from the spool each time they are iterated, then the unreadable inputs. */
function reportRules(run: MigrationRun, view: (report: RuleReport) => RuleReport = (r) => r): Iterable<RuleReport> {
  return {
    *[Symbol.iterator]() {
      for (const entry of run.entries.values()) yield view(entry.report);
      for (const problem of run.problems) yield view(problemReport(problem));
    },
  };
}

interface Reports {
  /** Every finding: the files written with --out. */
  full: ReportSource;
  /** What --format prints: --quiet keeps errors only. */
  printed: ReportSource;
}

/** The report, built once from the run; the printed view differs only under --quiet. */
export function migrationReport(version: string, run: MigrationRun, flags: GatingFlags): Reports {
  const full = buildReport(version, run.summary, reportRules(run), run.notes);
  const printed = flags.quiet ? buildReport(version, visibleSummary(run.summary, flags), reportRules(run, (r) => visibleReport(r, flags)), run.notes) : full;
  return { full, printed };
}

async function writeReports(plan: MigratePlan, reports: Reports): Promise<void> {
  const out = plan.flags.out;
  if (!out) return;
  await writeFileAtomic(path.join(out, 'migration-report.json'), jsonChunks(reports.full), { root: out });
  await writeFileAtomic(path.join(out, 'migration-report.md'), markdownChunks(reports.full), { root: out });
}

/** What --format prints, in pieces (a large report is never one string). */
function* formatOutput(plan: MigratePlan, reports: Reports, run: MigrationRun, colors: ReturnType<typeof pc.createColors>): Generator<string> {
  const { flags } = plan;
  if (flags.format === 'json') return yield* jsonChunks(reports.printed);
  if (flags.format === 'markdown') return yield* markdownChunks(reports.printed);
  if (flags.format === 'sarif') return yield* sarifChunks(reports.printed);
  let actions = 0;
  for (const entry of run.entries.values()) {
    if (entry.report.action) actions++;
    if (entry.alreadyAction) yield `${colors.dim('= already an Action, nothing to migrate:')} ${entry.report.source}\n`;
    else yield formatRun({ report: visibleReport(entry.report, flags), diff: entry.diff }, { diff: plan.diff, colors });
  }
  for (const p of run.problems) yield `${colors.red('✖ failed')} ${p.source}\n  ${p.message}\n`;
  yield formatSummary(reports.printed.summary, colors);
  if (flags.out) yield `Wrote ${plural(actions, 'Action')} and the report to ${flags.out}\n`;
  for (const line of heldBackSummary(run.heldBack)) yield `${line}\n`;
  if (flags.write) yield `Migrated ${plural(run.written, 'rule')} in place\n`;
}

/** To stdout, or to the --output file (atomically). */
async function deliver(output: Iterable<string>, file: string | undefined, io: Io): Promise<void> {
  if (!file) {
    // A report of 50k rules is ~70 MB of text: written as the reader takes it, not queued (issue 16).
    for (const chunk of output) if (io.stdout(chunk) === false) await io.drained?.();
    return;
  }
  try {
    await writeFileAtomic(file, output);
  } catch (error) {
    throw new UsageError(`Cannot write ${file}: ${describeFsError(error)}`);
  }
}

/** Files that could not be read (not those skipped on purpose) fail the run like a usage error; else the gate. */
function exitCode(plan: MigratePlan, run: MigrationRun): number {
  if (run.problems.some((p) => !p.code)) return 2;
  return gateExit(run.summary, plan.flags, plan.strict);
}

export async function migrateCommand(paths: string[], flags: MigrateFlags, io: Io, version: string): Promise<number> {
  const plan = planMigrate(paths, flags);
  const refused = await refusal(plan);
  if (refused) {
    io.stderr(refused);
    return 1;
  }
  const run = await withReadLimits({ maxSize: flags.maxSize }, async () => {
    const inputs = await openInputs(plan, io);
    // Tenants are read as the run goes: the bar's total grows with them.
    const progress = createGrowingProgress(io.stderr, { tty: Boolean(io.stderrIsTTY) });
    const counted = countRules(inputs, progress.add);
    if (!plan.collect) {
      const streamed = await streamRun(plan, counted, io, progress.tick);
      progress.done();
      return streamed;
    }
    const groups = await collectTenants(counted.tenants, plan.options, { tick: progress.tick, onTenant: (t) => printNotes(t, io) });
    progress.done();
    return verifiedRun(plan, await verifyStep(groups, plan, io), io);
  });
  try {
    for (const note of run.notes) io.stderr(`rules2actions: ${note}\n`);
    const reports = migrationReport(version, run, flags);
    await writeReports(plan, reports);
    await deliver(formatOutput(plan, reports, run, pc.createColors(io.isTTY && flags.color !== false)), flags.output, io);
    return exitCode(plan, run);
  } finally {
    run.entries.close();
  }
}
