import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import pc from 'picocolors';
import { formatMarkdown } from '../format/markdown.js';
import { buildReport, formatJson } from '../format/report-json.js';
import { formatRun, formatSummary } from '../format/text.js';
import { formatSarif } from '../format/sarif.js';
import { plural } from '../format/plural.js';
import { PACKAGE_ROOT } from '../paths.js';
import { summarize, type RuleReport, type RuleRun } from '../run.js';
import type { MigrateOptions, SdkMajor } from '../types.js';
import { transforms } from '../../transforms/index.js';
import { EMITS, heldBackSummary, writeTenants, type Emit } from '../emit/index.js';
import type { BindingsMode, TenantPlan } from '../emit/plan.js';
import { loadPins, PinsError } from '../pins.js';
import { readTenants } from '../inputs/index.js';
import type { Tenant } from '../inputs/types.js';
import { attachTenantViews, groupRuns, tenantRules, type TenantRuns } from '../tenants.js';
import { auditCommand } from './audit.js';
import { encodeText } from '../io/encoding.js';
import { describeFsError, UsageError } from '../io/errors.js';
import { parseSdk, parseSize } from './flags.js';
import { dirtyRepositories, gitIgnored } from '../io/git.js';
import { DEFAULT_MAX_SIZE, withReadLimits } from '../io/read.js';
import { ensureWritableFolder, writeFileAtomic } from '../io/write.js';
import { createProgress } from './progress.js';
import { gateExit, gatingOptions, visibleReports, type GatingFlags } from './gating.js';
import { checkOutputFile, readStdin, STDIN, STDIN_SOURCE, stdinTenant } from './stdio.js';
import { verifyCommand, verifyRuns } from './verify.js';
import { runAll } from './pool.js';
import { ruleEntry, streamTenants, type RuleEntry } from './stream.js';

export const version: string = JSON.parse(readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')).version;

export interface Io {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** Colours and other terminal niceties. */
  isTTY: boolean;
  /** stderr is a terminal: progress bar on long runs. */
  stderrIsTTY?: boolean;
  /** Reads all of standard input (the `-` path); default: process.stdin. */
  stdin?: () => Promise<string>;
}

const processIo: Io = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  isTTY: Boolean(process.stdout.isTTY) && !process.env.NO_COLOR,
  stderrIsTTY: Boolean(process.stderr.isTTY),
};

type Format = 'text' | 'json' | 'markdown' | 'sarif';

interface MigrateFlags extends GatingFlags {
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

/** Runs the CLI; returns the exit code (0 clean, 1 something needs review or failed, 2 usage or fatal error). */
export async function main(argv: string[], io: Io = processIo): Promise<number> {
  let exitCode = 0;
  const program = new Command('rules2actions')
    .description('Migrate Auth0 Rules into post-login Actions: a reviewable diff, the Actions, and a report.')
    .version(version, '-v, --version')
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText(
      'after',
      `
Start here:
  $ rules2actions migrate fixtures/demo-tenant            dry run over a tenant export: diffs and findings
  $ rules2actions migrate exports/acme --out migrated     deployable Actions, bindings and the report
  $ rules2actions audit exports/ --format html -o a.html  a portfolio of tenants on one page (-o: the report file, in every command)
  $ rules2actions verify exports/acme                     prove each Action behaves like its rule

Run "rules2actions <command> --help" for each command's options.`,
    );

  program
    .command('migrate')
    .description('Migrate rules. Without --out it is a dry run: a unified diff per rule and a summary.')
    .argument('[paths...]', 'rule files (.js), folders, globs, deploy-cli exports (folder or tenant.yaml), rules JSON dumps; - reads one rule from stdin')
    .option('--out <dir>', 'write the Actions (auth0-deploy-cli directory layout) and migration-report.json/.md there')
    .option('-o, --output <file>', 'write the report (--format) to this file instead of stdout (as in audit and verify)')
    .addOption(new Option('--emit <layout>', 'output layout (default: the input\'s: yaml for tenant.yaml, else directory)').choices(EMITS))
    .option('--from-tenant <domain>', 'read the rules of a live tenant (AUTH0_CLIENT_ID/AUTH0_CLIENT_SECRET; repeatable)', collect, [])
    .addOption(new Option('-f, --format <format>', 'what goes to stdout (or --output)').choices(['text', 'json', 'markdown', 'sarif']).default('text'))
    .addOption(new Option('--sdk <major>', 'auth0 SDK major for Management API calls').choices(['7', '4']).default(7 as SdkMajor).argParser(parseSdk))
    .option('-t, --transforms <ids>', 'run only these transforms (comma-separated ids, see --list)', parseList)
    .option('--list', 'list the transforms in execution order and exit')
    .option('--no-diff', 'text format: print only the status and findings')
    .option('--no-guard', 'leave out the api.rules.wasExecuted guard when rule ids are known')
    .option('--no-color', 'no colours even on a terminal')
    .option('-w, --write', 'migrate in place: an export (folder or tenant.yaml) gets its Actions and bindings written into it; a plain rule .js file is replaced by its Action (refuses a dirty git tree unless --force)')
    .option('--force', 'with --write: write even when the git tree has uncommitted changes')
    .option('--max-size <size>', 'skip input files larger than this (bytes, or with k/m: 512k, 2m)', parseSize, DEFAULT_MAX_SIZE)
    .option('--verify', 'also run each rule and its Action over the verify scenarios (see verify --help); a difference makes the rule review')
    .addOption(gatingOptions()[0])
    .addOption(gatingOptions()[1])
    .addOption(gatingOptions()[2])
    .addOption(
      new Option('--bindings <mode>', 'post-login bindings: merge (only when the current list is known: export triggers, output folder, live tenant) or replace (the migrated Actions alone: unbinds the others on import)')
        .choices(['merge', 'replace'])
        .default('merge'),
    )
    .option('--bind-review', 'also deploy and bind Actions held back for an error finding or a verify difference')
    .option('--module', 'write the Management API client helper once, as an Actions Module (actionModules / auth0_action_module), instead of in every Action')
    .option('--pins <file>', 'JSON {"package": "x.y.z"}: versions for modules required without one (default: "dependencies" of ./rules2actions.config.json)')
    .addHelpText(
      'after',
      `
Examples:
  $ rules2actions migrate rules/                     dry run: diffs and findings for every rule
  $ rules2actions migrate "rules/**/*.js" --out out  write out/actions/<name>.json, code.js and the report
  $ rules2actions migrate link.js --sdk 4            emit auth0@4 Management API calls
  $ rules2actions migrate rules/ --format json       the migration report on stdout
  $ rules2actions migrate rules/ --write             replace each rule file with its Action (git tree must be clean)
  $ rules2actions migrate rules/ --verify --out out  the report also says whether each Action behaves like its rule
  $ rules2actions migrate rules/ --format sarif -o r2a.sarif --fail-on warning   for a code-scanning view, gating CI
  $ cat rule.js | rules2actions migrate -            one rule from stdin

Deploy safety:
  Bindings are written only when the tenant's current post-login list is known (the export's triggers,
  the output folder's triggers.json / tenant.yaml, or a live tenant's); otherwise none, and the summary
  says how to add the Actions. Never an empty post-login list. --bindings replace writes the migrated
  list alone. An Action whose rule has an error finding, that verify called different, or with a
  dependency without a version is written with deployed: false and not bound (--bind-review binds the
  first two). Versions are never invented: require('x@1.2.3'), else --pins, else the Action is held back.

Exit codes (as ESLint): 0 nothing at or above --fail-on; 1 findings at or above it, or more than --max-warnings
warnings; 2 usage or fatal error, or no rules found. Without --fail-on/--max-warnings, a dry run exits 1
only when a rule failed (a rule to review is an answer), and --out, --write and --verify exit 1 when a rule
needs review or failed (as --fail-on warning).`,
    )
    .action(async (paths: string[], flags: MigrateFlags & { list?: boolean }) => {
      if (flags.list) {
        for (const t of transforms) io.stdout(`${t.id.padEnd(28)} ${t.safety.padEnd(7)} ${t.description}\n`);
        return;
      }
      if (flags.output) await checkOutputFile(flags.output);
      if (paths.length === 0 && flags.fromTenant.length === 0) throw new UsageError('Give at least one rule file, folder or glob (see --help).');
      exitCode = await migrateCommand(paths, flags, io);
    });

  // Added commands do not inherit exitOverride and the output settings unless told to.
  program.addCommand(auditCommand(io, (code) => (exitCode = code), version).copyInheritedSettings(program));
  program.addCommand(verifyCommand(io, version, (code) => (exitCode = code)).copyInheritedSettings(program));

  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 || error.code === 'commander.helpDisplayed' || error.code === 'commander.version' ? 0 : 2;
    }
    if (error instanceof UsageError) {
      io.stderr(`rules2actions: ${error.message}\n`);
      return 2;
    }
    io.stderr(`rules2actions: internal error: ${error instanceof Error ? error.message : String(error)}\n`);
    return 2;
  }
}

async function migrateCommand(paths: string[], flags: MigrateFlags, io: Io): Promise<number> {
  const unknown = flags.transforms?.filter((id) => !transforms.some((t) => t.id === id));
  if (unknown?.length) throw new UsageError(`Unknown transform(s): ${unknown.join(', ')} (see --list)`);
  const colors = pc.createColors(io.isTTY && flags.color !== false);
  // Diffs are only printed on a text dry run; computing and holding them costs a large run dearly.
  const diff = flags.format === 'text' && flags.diff && !flags.out && !flags.write;
  let pins;
  try {
    pins = loadPins(flags.pins);
  } catch (error) {
    if (error instanceof PinsError) throw new UsageError(error.message);
    throw error;
  }
  const options: MigrateOptions = { sdk: flags.sdk, transforms: flags.transforms, guard: flags.guard, diff, ...(pins ? { pins } : {}) };
  if (flags.write && flags.out) throw new UsageError('Use either --write (in place) or --out <dir>, not both.');
  const fromStdin = paths.includes(STDIN);
  if (fromStdin && flags.write) throw new UsageError('--write replaces files in place; a rule from stdin has none: use --out <dir> or a dry run.');
  if (flags.out) await ensureWritableFolder(flags.out);
  if (flags.write && !flags.force) {
    // Convention of next-codemod and react-codemod: in-place edits only over committed work.
    const dirty = await dirtyRepositories(paths);
    if (dirty.length) {
      io.stderr(
        `rules2actions: the git tree at ${dirty.join(', ')} has uncommitted changes; --write would mix them with the migration.\n` +
          'Commit or stash them first, or run again with --force.\n',
      );
      return 1;
    }
  }

  const tenants = await withReadLimits({ maxSize: flags.maxSize }, () =>
    readTenants(paths.filter((p) => p !== STDIN), { mergePlain: true, fromTenant: flags.fromTenant }),
  );
  if (fromStdin) stdinTenant(tenants, await (io.stdin ?? readStdin)());
  const dumps = flags.write ? tenants.filter((t) => t.format !== 'plain' && !exportRoot(t)) : [];
  if (dumps.length) {
    throw new UsageError(`--write migrates files in place; ${dumps.map((t) => t.source).join(', ')} is a rules dump with no export folder to write into: use --out <dir>.`);
  }
  attachTenantViews(tenants);
  for (const note of tenants.flatMap((t) => t.notes)) io.stderr(`rules2actions: ${note}\n`);
  const problems = tenants.flatMap((t) => t.problems);
  const rules = tenantRules(tenants);
  // Nothing read at all (an export with an empty rules list is an answer: nothing to migrate).
  if (rules.length === 0 && problems.length === 0 && tenants.every((t) => t.format === 'plain')) {
    throw new UsageError(`No rules found in ${paths.join(', ')}.`);
  }
  const progress = createProgress(io.stderr, rules.length, { tty: Boolean(io.stderrIsTTY) });
  const planOptions = { bindings: flags.bindings, bindReview: flags.bindReview, module: flags.module };
  const problemReports: RuleReport[] = problems.map((p) => ({
    source: p.source,
    name: path.basename(p.source),
    status: 'failed' as const,
    action: null,
    findings: [{ code: p.code ?? 'read-error', transform: 'input', severity: 'error' as const, message: p.message, line: p.line ?? 1, column: p.column ?? 1 }],
    secrets: [],
    dependencies: [],
    scopes: [],
    linking: false,
  }));
  // --out alone streams: each tenant is written as soon as its last rule is back, and only the
  // report entries stay (src/cli/stream.ts). --verify and --write need every run, so they keep them.
  const streamed = flags.out && !flags.verify && !flags.write
    ? await streamTenants(tenants, rules, options, { outDir: flags.out, emit: flags.emit, plan: planOptions, tick: progress.tick })
    : null;
  // Large runs spread over worker threads (src/cli/pool.ts); results come back in input order.
  const groups = streamed ? [] : groupRuns(tenants, await runAll(rules, options, progress.tick));
  progress.done();
  const runs: RuleRun[] = groups.flatMap((g) => g.runs);
  if (flags.verify) {
    const verifying = createProgress(io.stderr, runs.filter((r) => r.report.status !== 'failed' && r.result.status === 'ok').length, { tty: Boolean(io.stderrIsTTY), threshold: 1, label: 'rules verified' });
    await verifyRuns(runs, flags.sdk, () => verifying.tick(null));
    verifying.done();
  }
  const entries: RuleEntry[] = streamed ? streamed.entries : runs.map(ruleEntry);
  const reports = [...entries.map((e) => e.report), ...problemReports];

  const plans: TenantPlan[] = streamed ? [...streamed.plans] : [];
  const notes: string[] = streamed ? [...streamed.notes] : [];
  if (flags.out && !streamed) {
    try {
      const written = await writeTenants(flags.out, groups, flags.emit, planOptions);
      plans.push(...written.plans);
      notes.push(...written.notes);
    } catch (error) {
      if (error instanceof UsageError) throw error;
      throw new UsageError(`Cannot write to ${flags.out}: ${describeFsError(error)}`);
    }
  }
  let written = 0;
  if (flags.write) {
    // An export gets its Actions and bindings beside its rules, in its own format (rules stay: they
    // are switched off at cut-over); plain .js rules are replaced by their Action.
    for (const group of groups) {
      const root = exportRoot(group.tenant);
      if (!root) continue;
      try {
        const written = await writeTenants(root, [group], undefined, planOptions);
        plans.push(...written.plans);
        notes.push(...written.notes);
      } catch (error) {
        if (error instanceof UsageError) throw error;
        throw new UsageError(`Cannot write to ${root}: ${describeFsError(error)}`);
      }
      written += group.runs.filter((r) => r.report.action).length;
    }
    const inPlace = runs.filter((r) => !exportRoot(groupOf(groups, r).tenant) && r.input.source !== STDIN_SOURCE);
    // git would not show the change: say so and leave the file, unless --force.
    const ignored = flags.force ? new Set<string>() : await gitIgnored(inPlace.map((r) => r.input.source));
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
  }
  for (const note of notes) io.stderr(`rules2actions: ${note}\n`);
  // The files written (--out) keep every finding; what is printed follows --quiet.
  const summary = summarize(reports);
  const report = buildReport(version, summary, reports, notes);
  const shown = visibleReports(reports, flags);
  const printed = flags.quiet ? buildReport(version, summarize(shown), shown, notes) : report;
  if (flags.out) {
    await writeFileAtomic(path.join(flags.out, 'migration-report.json'), formatJson(report), { root: flags.out });
    await writeFileAtomic(path.join(flags.out, 'migration-report.md'), formatMarkdown(report), { root: flags.out });
  }

  let text = '';
  const print = (chunk: string) => (flags.output ? (text += chunk) : io.stdout(chunk));
  if (flags.format === 'json') print(formatJson(printed));
  else if (flags.format === 'markdown') print(formatMarkdown(printed));
  else if (flags.format === 'sarif') print(formatSarif(printed));
  else {
    for (const entry of entries) {
      if (entry.alreadyAction) {
        print(`${colors.dim('= already an Action, nothing to migrate:')} ${entry.report.source}\n`);
      } else print(formatRun({ report: flags.quiet ? visibleReports([entry.report], flags)[0] : entry.report, diff: entry.diff }, { diff, colors }));
    }
    for (const p of problems) print(`${colors.red('✖ failed')} ${p.source}\n  ${p.message}\n`);
    print(formatSummary(printed.summary, colors));
    if (flags.out) print(`Wrote ${plural(entries.filter((e) => e.report.action).length, 'Action')} and the report to ${flags.out}\n`);
    for (const line of heldBackSummary(plans)) print(`${line}\n`);
    if (flags.write) print(`Migrated ${plural(written, 'rule')} in place\n`);
  }
  if (flags.output) {
    try {
      await writeFileAtomic(flags.output, text);
    } catch (error) {
      throw new UsageError(`Cannot write ${flags.output}: ${describeFsError(error)}`);
    }
  }
  // Files that could not be read (not those skipped on purpose) make the run fail like a usage error.
  if (problems.some((p) => !p.code)) return 2;
  return gateExit(reports, flags, Boolean(flags.out || flags.write || flags.verify));
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function parseList(value: string): string[] {
  return value.split(',').map((s) => s.trim()).filter(Boolean);
}

/** The folder of a deploy-cli export, where `--write` puts its Actions; null for plain rules and dumps. */
function exportRoot(tenant: Tenant): string | null {
  if (tenant.format === 'directory') return path.basename(tenant.source) === 'rules' ? path.dirname(tenant.source) : tenant.source;
  if (tenant.format === 'yaml') return /\.ya?ml$/i.test(tenant.source) ? path.dirname(tenant.source) : tenant.source;
  return null;
}

function groupOf(groups: TenantRuns[], run: RuleRun): TenantRuns {
  return groups.find((g) => g.runs.includes(run))!;
}
