/**
 * Verify children, one pair each: a child is stopped once its pair is done, so nothing a tenant's rule
 * or Action changed (intrinsics, globals, the packages it loaded and their module-level state, the
 * require cache, the environment, timers, the process's error handlers) can reach another pair
 * (test/hostile/verify-isolation.test.ts fails on a child kept between pairs). What a fresh process costs
 * is cut where it can be without sharing anything a pair could change (child-caches.ts): children start from
 * a startup snapshot that gives Node back its own code cache, and load the shipped packages from a
 * resolution table and V8 code cache (request + auth0 v2 + v7: 0.43 s -> 0.24 s of CPU); what is left is
 * running those packages' files, which only shared package instances would avoid, and sharing them is what
 * leaks. At most `size` children run at once, because run
 * time limits are wall-clock. Up to `size` more are started ahead, each given the pair it will run: they
 * start Node, the runner and the emulator and load the pair's packages (child.ts) while the others run,
 * and wait for their turn. No child is ever given a second pair.
 *
 * Each child is a sandbox (README, "Security"): Node's permission model (reads limited to the runner and
 * the packages it loads, writes to its own temporary folder, no child processes, no workers), an
 * environment with nothing of the caller's, a capped heap, a watchdog per scenario side, and network
 * rules inside the child (sandbox.ts). Children die with this process, whatever ends it but SIGKILL.
 */
import { fork, type ChildProcess, type StdioOptions } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { ChildMessage, ChildJob, ChildResult, ParentMessage } from './child.js';

/** Where and how long a child stopped before finishing its pair. */
export interface PairStop {
  reason: 'timeout' | 'memory' | 'crashed';
  scenario?: string;
  side?: 'rule' | 'action';
  message: string;
}

export interface PairRun {
  results: ChildResult[];
  /** Set when the child had to be stopped (or died): `results` holds the scenarios finished before. */
  stopped?: PairStop;
}

export interface Budget {
  /** One side of one scenario, watched from outside: a loop that never yields cannot stop its own timers. */
  sideMs: number;
  /** Start-up (Node, the runner, the emulator) before the first scenario. */
  startMs: number;
}

export interface SandboxOptions {
  /** Folders and files the child may read besides its own script folder and temporary folder. */
  readPaths: string[];
  /** V8 old-space limit of each child, in MB. */
  heapMb: number;
  /** Resident memory (heap, buffers, code) at which a child is stopped, in MB; read from /proc (Linux only). */
  rssMb: number;
  /** A startup snapshot built with `v8Flags` (child-caches.ts): children start from it. */
  snapshotBlob?: string;
}

/**
 * The child's V8 flags. Any V8 flag makes V8 refuse the code cache Node ships for its own modules (it was
 * made without flags), so a child compiled https, tls, undici… afresh: 20–40 ms each. A startup snapshot
 * built with these same flags carries a code cache that fits (child-caches.ts).
 */
export function v8Flags(options: Pick<SandboxOptions, 'heapMb'>): string[] {
  return [`--max-old-space-size=${options.heapMb}`];
}

export interface ChildPool {
  run(job: ChildJob, budget: Budget): Promise<PairRun>;
  close(): void;
}

interface Worker {
  child: ChildProcess;
  stderr: string;
  temp: string;
  /** Sends `go`: the pair may run. */
  go?: () => void;
}

interface Task {
  job: ChildJob;
  budget: Budget;
  resolve: (run: PairRun) => void;
  reject: (error: Error) => void;
}

// ---- Children die with this process ------------------------------------------------------------

const live = new Set<Worker>();
const EXIT_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'] as const;

function killAll(): void {
  for (const worker of live) {
    try {
      worker.child.kill('SIGKILL');
    } catch {
      // already gone
    }
    rmSync(worker.temp, { recursive: true, force: true });
  }
  live.clear();
}

function onExitSignal(signal: NodeJS.Signals): void {
  killAll();
  for (const s of EXIT_SIGNALS) process.off(s, onExitSignal);
  // Die of the same signal, as without this handler (other handlers, e.g. io.ts's, run first).
  process.kill(process.pid, signal);
}

function track(worker: Worker): void {
  if (live.size === 0) {
    process.on('exit', killAll);
    for (const s of EXIT_SIGNALS) process.on(s, onExitSignal);
  }
  live.add(worker);
}

function untrack(worker: Worker): void {
  if (!live.delete(worker)) return;
  rmSync(worker.temp, { recursive: true, force: true });
  if (live.size === 0) {
    process.off('exit', killAll);
    for (const s of EXIT_SIGNALS) process.off(s, onExitSignal);
  }
}

// ---- Sandbox flags ------------------------------------------------------------------------------

const real = (p: string) => {
  try {
    return realpathSync(p);
  } catch {
    return null;
  }
};

/** Node's permission model flags; several --allow-fs-read flags, each a file or a folder (with everything below it). */
export function sandboxArgs(script: string, temp: string, options: SandboxOptions): string[] {
  const reads = [dirname(script), temp, ...options.readPaths].map(real).filter((p): p is string => p !== null);
  return [
    // Node 20: --experimental-permission; Node 22.13+ and 23.5+ call it --permission.
    process.allowedNodeEnvironmentFlags.has('--permission') ? '--permission' : '--experimental-permission',
    '--disable-warning=ExperimentalWarning',
    ...[...new Set(reads)].map((p) => `--allow-fs-read=${p}`),
    `--allow-fs-write=${real(temp) ?? temp}`,
    ...v8Flags(options),
    ...(options.snapshotBlob ? [`--snapshot-blob=${options.snapshotBlob}`] : []),
  ];
}

/** A child started in the sandbox, in a temporary folder of its own (its only writable one). */
export function forkSandboxed(script: string, options: SandboxOptions, stdio: StdioOptions): { child: ChildProcess; temp: string } {
  const temp = mkdtempSync(join(tmpdir(), 'rules2actions-verify-child-'));
  const child = fork(script, [], { env: sandboxEnv(temp), execArgv: sandboxArgs(script, temp, options), cwd: temp, stdio });
  return { child, temp };
}

/** Nothing of the caller's environment (client secrets, tokens, NODE_OPTIONS) but the time zone. */
export function sandboxEnv(temp: string): NodeJS.ProcessEnv {
  return { TMPDIR: temp, TMP: temp, TEMP: temp, ...(process.env.TZ ? { TZ: process.env.TZ } : {}) };
}

function residentMb(pid: number | undefined): number | null {
  if (pid === undefined || process.platform !== 'linux') return null;
  try {
    const kb = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb ? Number(kb) / 1024 : null;
  } catch {
    return null;
  }
}

export function createChildPool(script: string, size: number, options: SandboxOptions): ChildPool {
  const workers = new Set<Worker>();
  const queue: Task[] = [];
  /** Children given their pair, waiting for `go`, oldest first. */
  const waiting: Worker[] = [];
  let running = 0;
  let closed = false;

  const spawn = (): Worker => {
    const { child, temp } = forkSandboxed(script, options, ['ignore', 'pipe', 'pipe', 'ipc']);
    const worker: Worker = { child, stderr: '', temp };
    child.stderr?.on('data', (chunk: Buffer) => {
      worker.stderr = (worker.stderr + chunk.toString('utf8')).slice(-4000);
    });
    child.stdout?.resume();
    child.once('exit', () => {
      workers.delete(worker);
      untrack(worker);
    });
    // A child that cannot start (EPERM, ENOMEM) reports through 'exit' as well.
    child.on('error', () => undefined);
    workers.add(worker);
    track(worker);
    return worker;
  };

  // At most `size` pairs running; as many children started ahead, each with the pair it will run.
  const dispatch = () => {
    while (!closed) {
      if (running < size && waiting.length > 0) waiting.shift()!.go!();
      else if (queue.length > 0 && waiting.length < size) waiting.push(assign(spawn(), queue.shift()!));
      else return;
    }
  };

  const assign = (worker: Worker, task: Task): Worker => {
    const { child } = worker;
    const results: ChildResult[] = [];
    let current: { scenario: string; side: 'rule' | 'action' } | undefined;
    let settled = false;
    let started = false;
    let timer: NodeJS.Timeout | undefined;
    const send = (message: ParentMessage) => child.send(message);

    const finish = (outcome: { stopped?: PairStop; error?: Error }) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearInterval(memoryWatch);
      child.off('message', onMessage);
      child.off('exit', onExit);
      // One pair per child: async work a pair left behind (a late request, a stray rejection) dies with its
      // process instead of landing in the next pair's run, where the runners would blame that pair's rule.
      workers.delete(worker);
      child.kill('SIGKILL');
      if (started) running--;
      else if (waiting.includes(worker)) waiting.splice(waiting.indexOf(worker), 1);
      if (outcome.error) task.reject(outcome.error);
      else task.resolve({ results, ...(outcome.stopped ? { stopped: outcome.stopped } : {}) });
      dispatch();
    };
    const watch = (ms: number) => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        const where = current ? `scenario ${current.scenario}: the ${current.side}` : 'the verify child';
        finish({
          stopped: {
            reason: 'timeout',
            ...current,
            message: `${where} did not finish within ${ms} ms (an endless loop or a blocked event loop); its process was stopped`,
          },
        });
      }, ms);
    };
    const onMessage = (message: ChildMessage) => {
      if (message.kind === 'ready') {
        // Waiting for its turn runs nothing: only a pair that runs is watched.
        if (!started) clearTimeout(timer);
      } else if (message.kind === 'start') {
        current = { scenario: message.scenario, side: message.side };
        watch(task.budget.sideMs);
      } else if (message.kind === 'scenario') {
        results.push(message.result);
      } else if (message.kind === 'done') {
        finish({});
      } else if (message.kind === 'failed') {
        finish({ error: new Error(`verify child failed: ${message.error}\n${worker.stderr}`) });
      }
    };
    const onExit = (code: number | null, signal: string | null) => {
      const memory = /heap limit|out of memory|Allocation failed/i.test(worker.stderr);
      const where = current ? `scenario ${current.scenario}: the ${current.side}` : 'the verify child';
      finish({
        stopped: memory
          ? { reason: 'memory', ...current, message: `${where} ran out of memory (heap limit ${options.heapMb} MB); its process was stopped` }
          : { reason: 'crashed', ...current, message: `${where} ended the verify child (${signal ?? `exit code ${code}`}) before answering` },
      });
    };
    const memoryWatch = setInterval(() => {
      const mb = residentMb(child.pid);
      if (mb === null || mb <= options.rssMb) return;
      const where = current ? `scenario ${current.scenario}: the ${current.side}` : 'the verify child';
      finish({ stopped: { reason: 'memory', ...current, message: `${where} used ${Math.round(mb)} MB of memory (limit ${options.rssMb} MB); its process was stopped` } });
    }, 250);
    memoryWatch.unref();
    worker.go = () => {
      started = true;
      running++;
      // Start-up left (the child may still be preparing), then one side at a time.
      watch(task.budget.startMs);
      send({ kind: 'go' });
    };
    watch(task.budget.startMs);
    child.on('message', onMessage);
    child.once('exit', onExit);
    send({ kind: 'pair', job: task.job });
    return worker;
  };

  return {
    run(job, budget) {
      if (closed) return Promise.reject(new Error('the verifier is closed'));
      return new Promise<PairRun>((resolve, reject) => {
        queue.push({ job, budget, resolve, reject });
        dispatch();
      });
    },
    close() {
      closed = true;
      for (const task of queue.splice(0)) task.reject(new Error('the verifier was closed'));
      // Every child holds a pair; its task ends through 'exit'.
      for (const worker of workers) worker.child.kill('SIGKILL');
      workers.clear();
    },
  };
}

/**
 * Folders a child must read: the packages it loads (request, auth0 v2/v4/v7, …) wherever npm put
 * them — every node_modules from the package up (an npx or project install hoists them beside it) —
 * the package.json that scopes the runner, and ./node_modules for a rule's own packages.
 */
export function packageReadPaths(packageRoot: string, cwd: string): string[] {
  const paths = [join(packageRoot, 'package.json')];
  for (let dir = packageRoot; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'node_modules'))) paths.push(join(dir, 'node_modules'));
    if (dirname(dir) === dir) break;
  }
  const local = join(cwd, 'node_modules');
  if (existsSync(local)) paths.push(local);
  return paths;
}
