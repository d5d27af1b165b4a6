/**
 * The verify child process, started by pool.ts inside Node's permission model: it hosts the emulator
 * (certificate and key arrive over IPC and stay in memory) and runs one Rule/Action pair over every
 * scenario, sending each scenario's Outcomes back over IPC as it finishes. It is given its pair ahead
 * of time (`pair`): it starts the emulator and loads the packages the pair names while other children
 * run theirs, then waits for `go`. A second pair is refused.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runAction } from './action-runner.js';
import { installFrozenClock, setNow } from './clock.js';
import { startEmulator, type Certificate, type Emulator } from './emulator.js';
import { actionSecrets, currentUser, isRedirectCallback, postLoginEvent, requestedScopes, rulesContext } from './login.js';
import { recordLoads, useLoadCache } from './load-cache.js';
import { createModuleLoader, requiredPackages, type RequireFunction } from './modules.js';
import { actionOutcome, ruleOutcome, type Observed } from './outcome.js';
import { callWithTimeLimit, freeGlobalPackages, runRule } from './rule-runner.js';
import { allowEmulator, installNetworkPolicy, takeBlocked, withListening } from './sandbox.js';
import { installTenantRedirect, setRedirectTarget } from './tenant-redirect.js';
import type { Outcome, Scenario, SdkMajor } from './types.js';

export interface ChildJob {
  rule: string;
  action: string;
  sdk: SdkMajor;
  scenarios: Scenario[];
  secrets: Record<string, string>;
  timeoutMs: number;
  certificate: Certificate;
  /** Where `require` looks for packages (the rules2actions install first). */
  resolveFrom: string[];
  /** The shipped packages' resolutions and code cache (load-cache.ts), when the parent has one. */
  loadCache?: string;
}

export interface ChildResult {
  scenario: string;
  rule: Outcome;
  action: Outcome;
  /** Sides that did not finish within the time limit: such a scenario proves nothing. */
  timedOut?: Array<'rule' | 'action'>;
}

/**
 * Parent → child: the pair, once; then `go` when the pair may run (the parent limits how many run at once).
 * Or, instead of a pair, `warm`: load every shipped package and write the load cache (child-caches.ts).
 */
export type ParentMessage = { kind: 'pair'; job: ChildJob } | { kind: 'go' } | { kind: 'warm'; resolveFrom: string[] };

/** Child → parent, in order: `ready` once prepared, a `start` before each side, a `scenario` after each scenario, then `done` (or `failed`). */
export type ChildMessage =
  | { kind: 'ready' }
  | { kind: 'start'; scenario: string; side: 'rule' | 'action' }
  | { kind: 'scenario'; result: ChildResult }
  | { kind: 'done' }
  | { kind: 'warmed'; file: string }
  | { kind: 'failed'; error: string };

/** The limit for one callback a rule or Action scheduled (timers): a loop inside one is stopped there. */
let callbackLimitMs = 5000;

const TIMED_OUT = /^Script execution timed out/;

/** What a pair runs with, made before it runs: the emulator and each side's `require`. */
interface Prepared {
  emulator: Emulator;
  ruleRequire: RequireFunction;
  actionRequire: RequireFunction;
}

/**
 * Packages verify ships that a side names: each is loaded here, before the pair runs, instead of on its
 * first use in the first scenario (request, auth0 v2 and auth0 v7 take about 0.4 s of CPU together, 0.24 s from
 * the load cache).
 * Only these: their loading has no side effect beyond the module cache; a package the rule names in a branch
 * it never takes is loaded for nothing but changes nothing. A rule's free globals are loaded before it runs
 * in any case (rule-runner.ts).
 */
const PRELOADED = new Set(['auth0', 'request', 'lodash', 'async', 'jsonwebtoken']);
const AUTH0_MAJORS: Record<'rule' | SdkMajor, string> = { rule: 'auth0-v2', 4: 'auth0-v4', 7: 'auth0-v7' };

export function preloadedPackages(source: string, freeGlobals: string[] = []): string[] {
  const named = [...freeGlobals, ...requiredPackages(source)];
  return [...new Set(named)].filter((name) => PRELOADED.has(name)).sort();
}

export async function preparePair(job: ChildJob): Promise<Prepared> {
  callbackLimitMs = job.timeoutMs;
  const emulator = await withListening(() => startEmulator(job.certificate));
  allowEmulator(emulator.port, job.certificate.cert);
  setRedirectTarget('localhost', emulator.port);
  const ruleRequire = createModuleLoader({ resolveFrom: job.resolveFrom, aliases: { auth0: AUTH0_MAJORS.rule } });
  const actionRequire = createModuleLoader({ resolveFrom: job.resolveFrom, aliases: { auth0: AUTH0_MAJORS[job.sdk] } });
  // The clock the first scenario would have loaded them under.
  setNow(job.scenarios[0]?.login?.now);
  const loads: Array<[RequireFunction, string[]]> = [
    [ruleRequire, preloadedPackages(job.rule, freeGlobalPackages(job.rule))],
    [actionRequire, preloadedPackages(job.action)],
  ];
  // Reading the cache (a few MB) only pays when a shipped package is loaded.
  if (job.loadCache && loads.some(([, names]) => names.length > 0)) useLoadCache(job.loadCache);
  for (const [load, names] of loads) {
    for (const name of names) {
      try {
        load(name);
      } catch {
        // The run's own require says what is wrong, where the side can see it.
      }
    }
  }
  return { emulator, ruleRequire, actionRequire };
}

/** The warm-up child: every shipped package of every side loaded once, recorded into `load-cache.bin` in its own folder. */
function warm(resolveFrom: string[]): string {
  const done = recordLoads();
  for (const auth0 of Object.values(AUTH0_MAJORS)) {
    const load = createModuleLoader({ resolveFrom, aliases: { auth0 } });
    for (const name of PRELOADED) {
      try {
        load(name);
      } catch {
        // Not installed: its pairs take Node's path.
      }
    }
  }
  const file = join(process.cwd(), 'load-cache.bin');
  writeFileSync(file, done());
  return file;
}

export async function runJob(job: ChildJob, prepared: Prepared, notify: (message: ChildMessage) => void = () => undefined): Promise<ChildResult[]> {
  const { emulator, ruleRequire, actionRequire } = prepared;
  const tenant = { domain: emulator.domain, clientId: emulator.clientId, clientSecret: emulator.clientSecret };
  const results: ChildResult[] = [];
  try {
    for (const scenario of job.scenarios) {
      const observe = (): Observed => ({
        calls: emulator.calls(),
        tokensIssued: emulator.tokensIssued(),
        users: scenario.users,
        currentUserId: scenario.currentUser,
        requestedScopes: requestedScopes(scenario),
        redirectCallback: isRedirectCallback(scenario),
      });
      const secrets = actionSecrets(scenario, tenant, job.secrets);

      setNow(scenario.login?.now);
      emulator.load(scenario);
      const ruleUser = currentUser(scenario);
      takeBlocked();
      notify({ kind: 'start', scenario: scenario.name, side: 'rule' });
      const ruleRun = await runRule({
        source: job.rule,
        user: ruleUser,
        context: rulesContext(scenario, ruleUser),
        configuration: actionSecrets(scenario, tenant),
        runtime: { baseUrl: emulator.baseUrl, accessToken: emulator.runtimeToken, domain: emulator.domain },
        require: ruleRequire,
        timeoutMs: job.timeoutMs,
        // Requests left running after the answer (fire-and-forget links) still reach the tenant.
        settle: () => emulator.idle(),
      });
      const rule = withSandboxNotes(ruleOutcome(ruleRun, observe()));

      emulator.load(scenario);
      notify({ kind: 'start', scenario: scenario.name, side: 'action' });
      const actionRun = await runAction({
        source: job.action,
        handler: isRedirectCallback(scenario) ? 'onContinuePostLogin' : 'onExecutePostLogin',
        event: postLoginEvent(scenario, currentUser(scenario), secrets),
        require: actionRequire,
        executedRules: scenario.login?.executedRules,
        timeoutMs: job.timeoutMs,
        settle: () => emulator.idle(),
      });
      const action = withSandboxNotes(actionOutcome(actionRun, observe()));
      const timedOut = [
        ...(ruleRun.ending === 'timeout' || TIMED_OUT.test(ruleRun.error?.message ?? '') ? (['rule'] as const) : []),
        ...(actionRun.ending === 'timeout' || TIMED_OUT.test(actionRun.error?.message ?? '') ? (['action'] as const) : []),
      ];
      const result: ChildResult = { scenario: scenario.name, rule, action, ...(timedOut.length ? { timedOut } : {}) };
      notify({ kind: 'scenario', result });
      results.push(result);
    }
  } finally {
    await emulator.stop();
  }
  return results;
}

/** What the sandbox refused during a run goes into that side's notes (and the error it saw into its outcome). */
function withSandboxNotes(outcome: Outcome): Outcome {
  const blocked = [...new Set(takeBlocked())];
  if (blocked.length) outcome.details.notes.push(...blocked.map((what) => `sandbox: ${what} was blocked`));
  return outcome;
}

/**
 * Timer callbacks run under the same time limit as the rule's first call, so a loop inside a
 * `setTimeout` is stopped in the child (and the child can still hear its parent go away).
 */
function limitTimerCallbacks(): void {
  for (const name of ['setTimeout', 'setInterval', 'setImmediate'] as const) {
    const original = globalThis[name] as (handler: unknown, ...rest: unknown[]) => unknown;
    const limited = (handler: unknown, ...rest: unknown[]) =>
      original(
        typeof handler === 'function'
          ? function (this: unknown, ...args: unknown[]) {
              return callWithTimeLimit(() => (handler as (...a: unknown[]) => unknown).apply(this, args), callbackLimitMs);
            }
          : handler,
        ...rest,
      );
    (globalThis as Record<string, unknown>)[name] = Object.assign(limited, original);
  }
}

/**
 * SDK retry back-off (v7: 1 s then 2 s on 5xx; v4: from 0.5 s on 429) only costs wall-clock time: the
 * emulator still receives every retry. Timers set directly by those two files fire at once; nothing else changes.
 */
function skipSdkRetryBackoff(): void {
  const original = globalThis.setTimeout;
  const retryFrames = /[\\/]core[\\/]fetcher[\\/]requestWithRetries\.js|[\\/]dist[\\/]cjs[\\/]lib[\\/]retry\.js/;
  // Only the immediate caller counts: request timeouts are also set while a retry loop is on the stack.
  const caller = () => (new Error().stack ?? '').split('\n')[3] ?? '';
  const patched = (handler: (...args: unknown[]) => void, ms?: number, ...args: unknown[]) =>
    original(handler, (ms ?? 0) > 0 && retryFrames.test(caller()) ? 0 : ms, ...args);
  globalThis.setTimeout = Object.assign(patched, original) as typeof globalThis.setTimeout;
}

function main(): void {
  // Node opens process.stdout/stderr on first use (loading `assert` does, through its colours); opened
  // inside a run, the pipe to the parent counted as that run's pending work and held it to its time limit.
  void process.stdout;
  void process.stderr;
  installNetworkPolicy();
  // First: skipSdkRetryBackoff looks at its immediate caller's stack frame.
  limitTimerCallbacks();
  skipSdkRetryBackoff();
  installTenantRedirect();
  installFrozenClock();
  // A rule's fire-and-forget request may fail after the run that started it ended: keep the process alive.
  process.on('uncaughtException', (err) => process.stderr.write(`verify child: stray error: ${String(err)}\n`));
  process.on('unhandledRejection', (err) => process.stderr.write(`verify child: stray rejection: ${String(err)}\n`));
  // One pair: prepared when it arrives, run on `go` (pool.ts).
  let pair: { job: ChildJob; prepared: Promise<Prepared> } | null = null;
  const failed = (err: unknown) => reply({ kind: 'failed', error: err instanceof Error ? (err.stack ?? err.message) : String(err) });
  process.on('message', (message: ParentMessage) => {
    if (message.kind === 'pair') {
      if (pair) return failed(new Error('a verify child runs one pair only'));
      const prepared = preparePair(message.job);
      pair = { job: message.job, prepared };
      prepared.then(() => reply({ kind: 'ready' }), failed);
    } else if (message.kind === 'warm') {
      if (pair) return failed(new Error('a verify child that runs a pair does not warm up'));
      try {
        reply({ kind: 'warmed', file: warm(message.resolveFrom) });
      } catch (err) {
        failed(err);
      }
    } else if (message.kind === 'go' && pair) {
      const { job, prepared } = pair;
      prepared.then((p) => runJob(job, p, reply)).then(() => reply({ kind: 'done' }), failed);
    }
  });
  // SDK keep-alive sockets and rule timers must not hold the process once the parent is gone.
  process.once('disconnect', () => process.exit(0));
}

function reply(message: ChildMessage): void {
  process.send?.(message);
}

if (process.send && process.argv[1] === fileURLToPath(import.meta.url)) main();
