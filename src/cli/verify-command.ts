// `rules2actions verify`: its options and help. What it runs is in verify.ts.
import { Command, Option } from 'commander';
import type { SdkMajor } from '../types.js';
import { parseSdkChoice, parseTimeout } from './flags.js';
import type { Io } from './main.js';
import type { VerifyFlags } from './verify.js';

/** The `verify` subcommand; `setExitCode` receives its exit code. */
export function verifyCommand(io: Io, version: string, setExitCode: (code: number) => void): Command {
  return new Command('verify')
    .description(
      'Run each rule and its migrated Action over the same scenarios against a local Management API (real request, ' +
        'auth0 v2/v4/v7 packages) and compare what they did; the Action is type-checked too.',
    )
    .argument('[paths...]', 'rule files (.js), folders, globs, deploy-cli exports, rules JSON dumps (as for migrate)')
    .option('-s, --scenarios <file>', 'JSON file with one scenario, a list, or {"scenarios": [...]}, run besides the built-in matrix')
    .option('--no-builtin', 'run only the --scenarios file, not the built-in matrix')
    .addOption(new Option('--sdk <major>', 'auth0 SDK major of the Action').choices(['7', '4', 'both']).default(7 as SdkMajor | 'both').argParser(parseSdkChoice))
    .option('-a, --action <file>', 'verify this Action against the single rule given, instead of migrating it')
    .option('-k, --keywords <file>', 'JSON object of keyword-token values (@@KEY@@, ##KEY##), as a0deploy would replace them')
    .option('--timeout <ms>', 'time limit for one side of one scenario (default 5000)', parseTimeout)
    .option('--no-typecheck', 'skip the type check of the Actions (it takes a few seconds)')
    .addOption(new Option('-f, --format <format>', 'what goes to stdout (or --output)').choices(['text', 'json']).default('text'))
    .option('-o, --output <file>', 'write the verdicts to this file instead of stdout (as in migrate and audit)')
    .option('--no-color', 'no colours even on a terminal')
    .addHelpText(
      'after',
      `
Examples:
  $ rules2actions verify rules/                          every rule vs its Action, built-in scenarios, auth0 v7
  $ rules2actions verify link.js --sdk both              the Action emitted for auth0 v7 and for v4
  $ rules2actions verify link.js --scenarios tenant.json add your own tenant states
  $ rules2actions verify link.js --action reviewed.js    check a hand-edited Action against the rule
  $ rules2actions verify rules/ --keywords keywords.json rules with @@KEY@@ / ##KEY## tokens
  $ rules2actions verify rules/ --format json            verdicts as JSON

Account-linking rules (and rules calling the Management API) run over the account-linking matrix,
other rules over a generic one; see the README's Verify section for the scenario file format.

Verdicts: not verified (with the reason) when a module the Action requires is not installed here in
its declared version (or the same major): install it to verify; the type check then treats it as
any, never another version. Type errors the rule's own code already had are notes. Counts are per
rule (--sdk both: one rule, equal only when both majors are).

Start-up caches: the first run records how the shipped packages load (and a start-up snapshot of
Node) in ~/.cache/rules2actions ($XDG_CACHE_HOME/rules2actions), a folder only you can write; the
code being verified can read them, never write them. RULES2ACTIONS_CACHE=<absolute folder> puts
them elsewhere, RULES2ACTIONS_CACHE=off keeps none (every child then loads the packages afresh);
a relative folder is not used (stderr says so).

Exit codes: 0 every scenario of every rule is equal and every Action type-checks; 1 a difference,
a type error or a rule that could not be verified; 2 usage or fatal error.`,
    )
    .action(async (paths: string[], flags: VerifyFlags) => {
      // The verifier and its formatters load when verify runs, not on every start.
      const { runVerifyCommand } = await import('./verify.js');
      setExitCode(await runVerifyCommand(paths, flags, io, version));
    });
}
