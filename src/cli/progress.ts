// A progress bar with an ETA on stderr for long runs (cli-progress); silent when stderr is not a
// terminal or the run is short.
import { lazyModule } from '../lazy-module.js';

const cliProgressLibrary = lazyModule<typeof import('cli-progress')>('cli-progress');

export const PROGRESS_THRESHOLD = 50;

export interface Progress {
  /** Counts one item done; returns its argument so it can wrap a map callback. */
  tick<T>(value: T): T;
  done(): void;
}

/** A progress whose total is learnt as the run goes (tenants read lazily); the bar starts once it is over the threshold. */
export interface GrowingProgress extends Progress {
  /** `count` more items to do. */
  add(count: number): void;
}

export function createGrowingProgress(write: (text: string) => void, options: { tty: boolean; width?: number; label?: string; threshold?: number }): GrowingProgress {
  let total = 0;
  let done = 0;
  let bar: Progress | null = null;
  let update: ((total: number) => void) | null = null;
  return {
    add(count) {
      total += count;
      if (update) update(total);
      else if (options.tty && total > (options.threshold ?? PROGRESS_THRESHOLD)) {
        const started = startBar(write, total, options);
        bar = started;
        update = started.setTotal;
        for (let i = 0; i < done; i++) started.tick(null);
      }
    },
    tick(value) {
      done++;
      bar?.tick(null);
      return value;
    },
    done: () => bar?.done(),
  };
}

/** The terminal stream cli-progress draws on, made of our Io's stderr writer. */
function terminal(write: (text: string) => void) {
  return {
    isTTY: true,
    columns: process.stderr.columns || 80,
    write(text: string, callback?: () => void) {
      write(text);
      callback?.();
      return true;
    },
  };
}

export function createProgress(
  write: (text: string) => void,
  total: number,
  options: { tty: boolean; width?: number; label?: string; threshold?: number },
): Progress {
  if (!options.tty || total <= (options.threshold ?? PROGRESS_THRESHOLD)) return { tick: (value) => value, done: () => {} };
  return startBar(write, total, options);
}

function startBar(write: (text: string) => void, total: number, options: { width?: number; label?: string }): Progress & { setTotal(total: number): void } {
  const cliProgress = cliProgressLibrary();
  const bar = new cliProgress.SingleBar({
    stream: terminal(write) as unknown as NodeJS.WritableStream,
    format: `[{bar}] {value}/{total} ${options.label ?? 'rules'} | {percentage}% | ETA {eta_formatted}`,
    barsize: options.width ?? 30,
    barCompleteChar: '#',
    barIncompleteChar: '-',
    hideCursor: true,
    clearOnComplete: true,
    // The last rules of a run come back in a burst from the worker pool: a longer window steadies the ETA.
    etaBuffer: 50,
    fps: 5,
  });
  bar.start(total, 0);
  let count = 0;
  return {
    setTotal: (n) => bar.setTotal(n),
    tick(value) {
      bar.update(++count);
      return value;
    },
    done() {
      // Draw the final state once (visible in a log of the terminal), then clear it.
      bar.render();
      bar.stop();
    },
  };
}
