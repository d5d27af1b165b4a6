import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import { PACKAGE_ROOT } from '../paths.js';
import type { SdkMajor } from '../types.js';
import { transforms } from '../../transforms/index.js';
import { EMITS } from '../emit/layouts.js';
import { UsageError } from '../io/errors.js';
import { DEFAULT_MAX_SIZE } from '../io/read.js';
import { auditCommand } from './audit-command.js';
import { parseSdk, parseSize } from './flags.js';
import { gatingOptions } from './gating.js';
import { migrateCommand, type MigrateFlags } from './migrate.js';
import { checkOutputFile } from './stdio.js';
import { verifyCommand } from './verify-command.js';

export const version: string = JSON.parse(readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')).version;

export interface Io {
  /** Writes to stdout; `false` when the text was queued in memory (a pipe read slower than we write). */
  stdout: (text: string) => boolean | void;
  /** Resolves when stdout takes more: long outputs wait for it instead of queueing in memory. */
  drained?: () => Promise<void>;
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
  drained: () =>
    new Promise((resolve) => {
      const done = () => {
        process.stdout.off('drain', done).off('close', done);
        resolve();
      };
      process.stdout.on('drain', done).on('close', done);
    }),
  stderr: (text) => process.stderr.write(text),
  isTTY: Boolean(process.stdout.isTTY) && !process.env.NO_COLOR,
  stderrIsTTY: Boolean(process.stderr.isTTY),
};

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
    .option('--module', 'write the Management API client helper and the helpers a library rule shares on global once each, as Actions Modules (actionModules / auth0_action_module), instead of in every Action')
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
      exitCode = await migrateCommand(paths, flags, io, version);
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

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function parseList(value: string): string[] {
  return value.split(',').map((s) => s.trim()).filter(Boolean);
}
