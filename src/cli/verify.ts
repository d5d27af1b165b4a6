// `rules2actions verify` and `migrate --verify`: each rule and its Action run over the same scenarios
// against the local Management API emulator (src/verify/), plus a type check of the Action.
// The verify engine, ts-morph and the SDKs are loaded only when a verification runs.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import pc from 'picocolors';
import { formatVerifyJson } from '../format/verify-json.js';
import { summarizeVerification, type RuleVerification, type ScenarioResult, type VerifySummary } from '../format/verify-model.js';
import { formatVerification, formatVerifySummary } from '../format/verify-text.js';
import { readTenants } from '../inputs/index.js';
import { runRule, type RuleInput, type RuleReport, type RuleRun } from '../run.js';
import { groupRuns, tenantRules } from '../tenants.js';
import type { TypeCheckResult } from '../typecheck.js';
import type { Dependency, Finding, SdkMajor } from '../types.js';
import { cacheSettingWarning } from '../verify/cache-folder.js';
import { checkAvailability, RESOLVE_FROM } from '../verify/dependencies.js';
import type { KeywordValues, Scenario } from '../verify/index.js';
import { describeFsError, UsageError, type InputProblem } from '../io/errors.js';
import { writeFileAtomic } from '../io/write.js';
import { createProgress } from './progress.js';
import type { Io } from './main.js';

export interface VerifyTarget {
  input: RuleInput;
  sdk: SdkMajor;
  /** The Action text; null when there is none to run (`reason` says why). */
  action: string | null;
  /** 'migrated' or the --action file. */
  actionSource: string;
  reason?: string;
  linking: boolean;
  /** Secret names the Action reads: each gets a placeholder value unless a scenario sets it. */
  secrets: string[];
  /** The Action's declared dependencies; undefined for an Action file (--action), which declares none. */
  dependencies?: Dependency[];
}

export interface VerifyOptions {
  /** Scenarios added to the built-in matrix (or run alone with builtin: false). */
  scenarios?: Scenario[];
  builtin?: boolean;
  /** Values for keyword tokens (a0deploy AUTH0_KEYWORD_REPLACE_MAPPINGS). */
  keywords?: KeywordValues;
  timeoutMs?: number;
  /** Default true: type-check each Action (ts-morph, a few seconds per SDK major). */
  typecheck?: boolean;
  /** Told once per target done (the progress bar). */
  onTargetDone?: () => void;
}

const TYPECHECK_KEY = (i: number) => `#${i}`;

/** Type-checks and runs every target; results in target order. */
export async function verifyTargets(targets: VerifyTarget[], options: VerifyOptions = {}): Promise<RuleVerification[]> {
  const { createVerifier, builtinScenarios, configurationKeys, substituteKeywords, withPlaceholderSecrets } = await import('../verify/index.js');
  const runnable = targets.map((t, i) => ({ t, i })).filter(({ t }) => t.action !== null);
  const verifier = runnable.length > 0 ? await createVerifier() : null;
  try {
    const runs = Promise.all(
      targets.map((target) => (async (): Promise<RuleVerification> => {
        const builtin = builtinScenarios({ script: target.input.script, linking: target.linking });
        const base: RuleVerification = {
          source: target.input.source,
          name: target.input.name,
          sdk: target.sdk,
          verdict: 'not-verified',
          matrix: options.builtin === false ? 'none' : builtin.kind,
          action: target.actionSource,
          typeErrors: [],
          scenarios: [],
          notes: [],
        };
        if (target.action === null || !verifier) return { ...base, matrix: 'none', reason: target.reason ?? 'no Action to run' };

        const keywords = options.keywords ?? {};
        const rule = substituteKeywords(target.input.script, keywords);
        const action = substituteKeywords(target.action, keywords);
        const missing = [...new Set([...rule.missing, ...action.missing])];
        if (missing.length > 0) {
          return {
            ...base,
            reason:
              `cannot run: keyword tokens ${missing.join(', ')} have no value, and the rule is not runnable JavaScript ` +
              'until a0deploy replaces them (give values with --keywords <file>)',
          };
        }
        const scenarios = [...(options.builtin === false ? [] : builtin.scenarios), ...(options.scenarios ?? [])];
        if (scenarios.length === 0) return { ...base, reason: 'no scenarios to run (--no-builtin without --scenarios)' };
        try {
          const verdicts = await verifier.verifyPair({
            rule: rule.code,
            action: action.code,
            sdk: target.sdk,
            scenarios: withPlaceholderSecrets(scenarios, [...target.secrets, ...configurationKeys(target.input.script)]),
            timeoutMs: options.timeoutMs,
          });
          const results: ScenarioResult[] = verdicts.map((v) => ({
            scenario: v.scenario,
            equal: v.equal,
            differences: v.differences,
            notes: v.notes,
            ...(v.rule.links.length > 0 || v.rule.primaryUser !== null ? { ruleLinked: true } : {}),
          }));
          const { scenarios: withNotes, common } = liftCommonNotes(results);
          const hung = verdicts.filter((v) => v.timedOut);
          if (hung.length > 0) {
            const limit = options.timeoutMs ?? 5000;
            const which = hung.map((v) => `${v.scenario} (${v.timedOut!.join(' and ')})`).join(', ');
            return { ...base, scenarios: withNotes, notes: common, reason: `timeout: did not finish within ${limit} ms in ${which}` };
          }
          return { ...base, verdict: withNotes.every((s) => s.equal) ? 'equal' : 'different', scenarios: withNotes, notes: common };
        } catch (error) {
          // VerifyStopped: a loop that never yields or too much memory; its message starts with the reason.
          if (error instanceof Error && error.name === 'VerifyStopped') return { ...base, reason: error.message };
          return { ...base, reason: `verify failed: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}` };
        }
      })().finally(() => options.onTargetDone?.())),
    );
    // The type check runs on a thread of its own while the pairs run in their children: building its
    // program takes seconds, during which this thread must still answer the children.
    const typeCheck: Promise<Map<string, TypeCheckResult>> =
      runnable.length === 0 || options.typecheck === false
        ? Promise.resolve(new Map())
        : import('../typecheck.js').then(({ typeCheckOffThread }) =>
            typeCheckOffThread(
              runnable.map(({ t, i }) => ({ file: TYPECHECK_KEY(i), code: t.action!, sdk: t.sdk, dependencies: t.dependencies, rule: t.input.script })),
            ),
          );
    // Awaited below; a failure must not count as unhandled while the pairs run.
    typeCheck.catch(() => undefined);

    const [results, typeChecks] = await Promise.all([runs, typeCheck]);
    return results.map((r, i) => {
      const check = typeChecks.get(TYPECHECK_KEY(i));
      const errors = check?.errors ?? [];
      const notes = [...r.notes];
      if (check?.fromRule.length) {
        notes.push(
          `${check.fromRule.length} type error(s) are in the rule's own code too (not counted): ${check.fromRule[0].message.replace(/^Type check \(auth0 v\d\): /, '')}`,
        );
      }
      const target = targets[i];
      // Modules verify cannot load in the declared version: neither the run nor the type check says anything about the Action.
      const availability = target.action === null ? null : checkAvailability(target.action, target.dependencies, RESOLVE_FROM);
      notes.push(...(availability?.notes ?? []));
      if (availability?.problems.length && r.verdict !== 'not-verified') {
        const reason =
          `dependencies not available to the type check and the run: ${availability.problems.join('; ')}. ` +
          'Install the declared versions next to rules2actions (or in the current folder) to verify.';
        return { ...r, typeErrors: errors, notes, verdict: 'not-verified', reason };
      }
      // A type error fails a pair that behaved the same.
      return { ...r, typeErrors: errors, notes, ...(errors.length > 0 && r.verdict === 'equal' ? { verdict: 'different' as const } : {}) };
    });
  } finally {
    await verifier?.close();
  }
}

/** A note several scenarios carry (a redirected tenant, a helper the runtime lacks) is said once per rule. */
function liftCommonNotes(scenarios: ScenarioResult[]): { scenarios: ScenarioResult[]; common: string[] } {
  const counts = new Map<string, number>();
  for (const s of scenarios) for (const n of new Set(s.notes)) counts.set(n, (counts.get(n) ?? 0) + 1);
  const lifted = [...counts].filter(([, count]) => count > 1);
  const common = lifted.map(([note, count]) => (count === scenarios.length ? note : `${note} (${count} of ${scenarios.length} scenarios)`));
  const liftedNotes = new Set(lifted.map(([note]) => note));
  return { scenarios: scenarios.map((s) => ({ ...s, notes: s.notes.filter((n) => !liftedNotes.has(n)) })), common };
}

/** What the migration produced for one rule, as a target. */
export function targetFromRun(run: RuleRun, sdk: SdkMajor, action?: { file: string; code: string }): VerifyTarget {
  const base = {
    input: run.input,
    sdk,
    linking: run.result.linking,
    secrets: [...new Set([...run.result.needs.secrets, ...run.report.secrets])],
  };
  if (action) return { ...base, action: action.code, actionSource: action.file };
  // A migrated Action declares what the migration found.
  const migrated = { ...base, dependencies: run.result.needs.dependencies };
  if (run.report.status === 'failed' || run.result.status === 'error') {
    const first = run.report.findings.find((f) => f.severity === 'error');
    return { ...migrated, action: null, actionSource: 'migrated', reason: `migration failed${first ? `: ${first.message}` : ''}` };
  }
  if (run.result.status === 'nochange') {
    return { ...migrated, action: null, actionSource: 'migrated', reason: 'nothing to compare: the input is already an Action' };
  }
  return { ...migrated, action: run.result.code, actionSource: 'migrated' };
}

/** A run verify pairs with its Action: migrated, with an Action to run. */
export const isVerifiable = (run: RuleRun): boolean => run.report.status !== 'failed' && run.result.status === 'ok';

/**
 * `migrate --verify`: each migrated rule's report entry with its `verification`; a rule whose Action
 * differs, fails the type check or could not run becomes `review`, with a finding saying why. New runs
 * and reports; the ones given are left as they are.
 */
export async function verifiedRuns(runs: RuleRun[], sdk: SdkMajor, onTargetDone?: () => void): Promise<RuleRun[]> {
  const candidates = runs.filter(isVerifiable);
  const results = await verifyTargets(candidates.map((r) => targetFromRun(r, sdk)), { onTargetDone });
  const verified = new Map(candidates.map((run, i) => [run, { ...run, report: reportWithVerification(run.report, results[i], sdk) }]));
  return runs.map((run) => verified.get(run) ?? run);
}

/** The report entry with verify's verdict and, unless equal, its findings and the `review` status. */
function reportWithVerification(report: RuleReport, v: RuleVerification, sdk: SdkMajor): RuleReport {
  const different = v.scenarios.filter((s) => !s.equal);
  const verification: RuleReport['verification'] = {
    sdk,
    verdict: v.verdict,
    scenarios: v.scenarios.length,
    equal: v.scenarios.length - different.length,
    different: different.length,
    differences: different.flatMap((s) => s.differences.map((d) => `${s.scenario}: ${d}`)),
    typeErrors: v.typeErrors.length,
    ...(v.reason ? { reason: v.reason } : {}),
  };
  if (v.verdict === 'equal') return { ...report, verification };
  const added: Finding[] = [
    ...v.typeErrors,
    ...different.map((s) => verifyFinding('behaviour-differs', `Verify (auth0 v${sdk}): scenario ${s.scenario} differs: ${s.differences.join('; ')}`)),
    ...(v.reason ? [verifyFinding('not-verified', `Verify (auth0 v${sdk}): ${v.reason}`)] : []),
  ];
  return { ...report, verification, findings: [...report.findings, ...added], status: report.status === 'migrated' ? 'review' : report.status };
}


function verifyFinding(code: string, message: string): Finding {
  return { code, transform: 'verify', severity: 'warning', message, line: 1, column: 1 };
}

type Format = 'text' | 'json';

export interface VerifyFlags {
  scenarios?: string;
  builtin: boolean;
  sdk: SdkMajor | 'both';
  format: Format;
  action?: string;
  keywords?: string;
  timeout?: number;
  typecheck: boolean;
  color?: boolean;
  output?: string;
}

/** What the run will do, decided from the flags alone (usage errors first, before anything is read). */
interface VerifyPlan {
  paths: string[];
  flags: VerifyFlags;
  majors: SdkMajor[];
}

function planVerify(paths: string[], flags: VerifyFlags): VerifyPlan {
  if (paths.length === 0) throw new UsageError('Give at least one rule file, folder or glob (see verify --help).');
  if (flags.action && flags.sdk === 'both') throw new UsageError('--action verifies one Action: give --sdk 7 or --sdk 4, the major it was written for.');
  return { paths, flags, majors: flags.sdk === 'both' ? [7, 4] : [flags.sdk] };
}

/** The files the flags name: scenarios, keyword values, the Action. */
interface VerifyFiles {
  scenarios: Scenario[];
  keywords?: KeywordValues;
  action?: { file: string; code: string };
}

async function readVerifyFiles(plan: VerifyPlan): Promise<VerifyFiles> {
  const { flags } = plan;
  const { loadScenarioFile } = await import('../verify/index.js');
  let scenarios: Scenario[] = [];
  if (flags.scenarios) {
    try {
      scenarios = await loadScenarioFile(flags.scenarios);
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
  }
  if (!flags.builtin && scenarios.length === 0) throw new UsageError('--no-builtin needs --scenarios <file>.');
  const keywords = flags.keywords ? await readKeywords(flags.keywords) : undefined;
  const action = flags.action ? await readActionFile(flags.action) : undefined;
  return { scenarios, keywords, action };
}

/** The rules, read and migrated as `migrate` does (stages, rules-configs secrets): one target per rule and SDK major. */
interface VerifyInputs {
  targets: VerifyTarget[];
  problems: InputProblem[];
}

async function readTargets(plan: VerifyPlan, files: VerifyFiles, io: Io): Promise<VerifyInputs> {
  const tenants = await readTenants(plan.paths, { mergePlain: true });
  for (const note of tenants.flatMap((t) => t.notes)) io.stderr(`rules2actions: ${note}\n`);
  const inputs = tenantRules(tenants);
  const problems = tenants.flatMap((t) => t.problems);
  if (inputs.length + problems.length === 0 && tenants.every((t) => t.format === 'plain')) throw new UsageError(`No rules found in ${plan.paths.join(', ')}.`);
  if (files.action && inputs.length + problems.length !== 1) {
    throw new UsageError(`--action needs exactly one rule, got ${inputs.length + problems.length}.`);
  }
  const targets = plan.majors.flatMap((sdk) => {
    const runs = groupRuns(tenants, inputs.map((input) => runRule(input, { sdk }))).flatMap((g) => g.runs);
    return runs.map((run) => targetFromRun(run, sdk, files.action));
  });
  return { targets, problems };
}

/** Verify takes seconds per rule: a bar from two rules on (stderr on a terminal). */
async function verifyWithProgress(plan: VerifyPlan, files: VerifyFiles, targets: VerifyTarget[], io: Io): Promise<RuleVerification[]> {
  const progress = createProgress(io.stderr, targets.length, { tty: Boolean(io.stderrIsTTY), threshold: 1 });
  const results = await verifyTargets(targets, {
    scenarios: files.scenarios,
    builtin: plan.flags.builtin,
    keywords: files.keywords,
    timeoutMs: plan.flags.timeout,
    typecheck: plan.flags.typecheck,
    onTargetDone: () => progress.tick(null),
  });
  progress.done();
  return results;
}

/** The verdicts, then an unreadable input per SDK major as not verified. */
function withProblems(plan: VerifyPlan, files: VerifyFiles, results: RuleVerification[], problems: InputProblem[]): RuleVerification[] {
  const unreadable = problems.flatMap((p) =>
    plan.majors.map(
      (sdk): RuleVerification => ({
        source: p.source, name: path.basename(p.source), sdk, verdict: 'not-verified', reason: p.message,
        matrix: 'none', action: files.action?.file ?? 'migrated', typeErrors: [], scenarios: [], notes: [],
      }),
    ),
  );
  return [...results, ...unreadable];
}

function formatVerifyOutput(plan: VerifyPlan, results: RuleVerification[], summary: VerifySummary, version: string, io: Io): string {
  const { flags } = plan;
  if (flags.format === 'json') return formatVerifyJson({ tool: { name: 'rules2actions', version }, summary, rules: results });
  const colors = pc.createColors(!flags.output && io.isTTY && flags.color !== false);
  return results.map((r) => formatVerification(r, colors)).join('') + formatVerifySummary(summary, colors);
}

async function deliver(text: string, file: string | undefined, io: Io): Promise<void> {
  if (!file) {
    io.stdout(text);
    return;
  }
  try {
    await writeFileAtomic(file, text);
  } catch (error) {
    throw new UsageError(`Cannot write ${file}: ${describeFsError(error)}`);
  }
}

/** A setting verify cannot use is said once, on stderr; the run goes on without the caches. */
export function warnAboutCacheSetting(io: Io, env: NodeJS.ProcessEnv = process.env): void {
  const warning = cacheSettingWarning(env);
  if (warning) io.stderr(`rules2actions: ${warning}\n`);
}

/** plan → read the files → read and migrate the rules → verify → add unreadable inputs → summarise → format → deliver → exit code. */
export async function runVerifyCommand(paths: string[], flags: VerifyFlags, io: Io, version: string): Promise<number> {
  const plan = planVerify(paths, flags);
  warnAboutCacheSetting(io);
  const files = await readVerifyFiles(plan);
  const { targets, problems } = await readTargets(plan, files, io);
  const results = withProblems(plan, files, await verifyWithProgress(plan, files, targets, io), problems);
  const summary = summarizeVerification(results);
  await deliver(formatVerifyOutput(plan, results, summary, version, io), flags.output, io);
  return summary.equal === summary.rules ? 0 : 1;
}

async function readActionFile(file: string): Promise<{ file: string; code: string }> {
  try {
    return { file, code: await fs.readFile(file, 'utf8') };
  } catch (error) {
    throw new UsageError(`Cannot read the Action ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
}

async function readKeywords(file: string): Promise<KeywordValues> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await fs.readFile(file, 'utf8'));
  } catch (error) {
    throw new UsageError(`${file}: cannot read keyword values (${(error as Error).message})`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new UsageError(`${file}: keyword values must be a JSON object, e.g. {"ENV": "prod", "API_URL": "https://api.example.com"}`);
  }
  return parsed as KeywordValues;
}
