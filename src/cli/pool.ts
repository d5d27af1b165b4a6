// Spreads rules over worker threads when a run is large enough to pay for starting them.
// Workers call the same pure runRule; this thread only hands out batches and delivers results in input order.
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { runRule, type RuleInput, type RuleRun } from '../run.js';
import type { MigrateOptions } from '../types.js';
import type { Batch } from './worker.js';

/**
 * Below this many rules the pool costs more than it saves (measured on generated rules, 2 threads, CPU time):
 * starting the workers is ~0.7 s of CPU (each loads the parser, recast and every transform, and warms its
 * own JIT) and a rule costs ~1.4× its in-process CPU there, so two free cores pay only from ~200 rules on;
 * a busy machine did not pay even at 400.
 */
export const POOL_THRESHOLD = 200;
/** Rules per task: amortises the message round trip, small enough to keep both threads busy to the end. */
const BATCH_SIZE = 16;
/**
 * Each worker's young generation, in MB (V8's default is 48: 16 MB semi-spaces). A rule's garbage is
 * short-lived; with the default, the worker heaps grew through the run (10k rules: ~100 MB each).
 * Measured on 10,000 generated rules, migrate --out: peak RSS 373 → 296 MB at the same CPU time
 * (50.8 / 52.2 s, load 5–6). Capping the old generation instead (64 MB: 289 MB) cost 10–20% more CPU
 * even when the cap was far above what a run needs (256 MB), and would have failed a 900 KB rule.
 * The rest of the 50k peak was stdout queued in memory behind a slow reader (migrate now awaits its drain).
 */
const WORKER_YOUNG_MB = 12;

export type RuleOutcome = Omit<RuleRun, 'input'>;

export interface PoolOptions {
  /** Worker threads (default: RULES2ACTIONS_THREADS, else one per core). 0 or 1 keeps the in-process path. */
  threads?: number;
  /** Use the pool from this many rules on (default POOL_THRESHOLD). */
  threshold?: number;
}

/**
 * Migrates every input and calls `onRun` once per rule, in input order, as soon as the result and
 * every earlier one are in. Inputs are pulled as the pool has room for them (a lazy source is read
 * as the run goes) and results are not kept: the caller keeps what it needs (the report entry).
 */
export async function runRules(
  inputs: Iterable<RuleInput> | AsyncIterable<RuleInput>,
  options: MigrateOptions,
  onRun: (run: RuleRun) => void | Promise<void>,
  poolOptions: PoolOptions = {},
): Promise<void> {
  const threads = poolOptions.threads ?? threadsFromEnv() ?? availableParallelism();
  const source = toAsyncIterator(inputs);
  const take = async (n: number): Promise<RuleInput[]> => {
    const taken: RuleInput[] = [];
    while (taken.length < n) {
      const next = await source.next();
      if (next.done) break;
      taken.push(next.value);
    }
    return taken;
  };
  // Whether the pool pays is decided on the first POOL_THRESHOLD inputs: a short run never starts it.
  const threshold = poolOptions.threshold ?? POOL_THRESHOLD;
  const head = await take(threshold);
  // One worker thread is this thread's work plus the pool's cost.
  if (threads < 2 || head.length < threshold) {
    for (const input of head) await onRun(runRule(input, options));
    if (threads < 2) for (let next = await source.next(); !next.done; next = await source.next()) await onRun(runRule(next.value, options));
    return;
  }

  const { default: Tinypool } = await import('tinypool');
  const pool = new Tinypool({
    filename: workerFile(),
    minThreads: threads,
    maxThreads: threads,
    resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_MB },
  });
  let buffered = head;
  const nextBatch = async (): Promise<Batch | null> => {
    if (buffered.length < BATCH_SIZE) buffered.push(...(await take(BATCH_SIZE - buffered.length)));
    if (buffered.length === 0) return null;
    const batch = buffered.slice(0, BATCH_SIZE);
    buffered = buffered.slice(BATCH_SIZE);
    return { inputs: batch, options };
  };

  // At most a few batches in flight per thread, so results never pile up while the caller writes them out.
  const window = threads * 3;
  const inFlight: Array<{ batch: Batch; outcomes: Promise<RuleOutcome[]> }> = [];
  const submit = async () => {
    const batch = await nextBatch();
    if (batch) inFlight.push({ batch, outcomes: pool.run(batch) as Promise<RuleOutcome[]> });
  };
  try {
    for (let i = 0; i < window; i++) await submit();
    while (inFlight.length) {
      const { batch, outcomes } = inFlight[0];
      const done = await outcomes;
      inFlight.shift();
      await submit();
      for (let j = 0; j < done.length; j++) await onRun({ input: batch.inputs[j], ...done[j] });
    }
  } finally {
    // A failed write stops the run: do not leave workers behind or rejections unhandled.
    for (const p of inFlight) p.outcomes.catch(() => {});
    await pool.destroy();
  }
}

function toAsyncIterator<T>(items: Iterable<T> | AsyncIterable<T>): AsyncIterator<T> | Iterator<T> {
  return Symbol.asyncIterator in items ? items[Symbol.asyncIterator]() : items[Symbol.iterator]();
}

/** RULES2ACTIONS_THREADS=0 keeps everything in-process (a shared machine, a profile, a measurement). */
function threadsFromEnv(): number | undefined {
  const value = process.env.RULES2ACTIONS_THREADS;
  return value && /^\d+$/.test(value) ? Number(value) : undefined;
}

/** Every run, in input order; `tick` sees each one as it arrives (progress). */
export async function runAll(
  inputs: Iterable<RuleInput> | AsyncIterable<RuleInput>,
  options: MigrateOptions,
  tick: (run: RuleRun) => unknown = () => {},
  poolOptions: PoolOptions = {},
): Promise<RuleRun[]> {
  const runs: RuleRun[] = [];
  await runRules(inputs, options, (run) => {
    runs.push(run);
    tick(run);
  }, poolOptions);
  return runs;
}

/** The compiled worker; under vitest the sources run as .ts, so use the build (npm test builds first). */
function workerFile(): string {
  const beside = new URL('./worker.js', import.meta.url);
  if (existsSync(beside)) return beside.href;
  return new URL('../../dist/src/cli/worker.js', import.meta.url).href;
}
