// A progress bar on stderr for long runs; silent when stderr is not a terminal or the run is short.
export const PROGRESS_THRESHOLD = 50;

export interface Progress {
  /** Counts one item done; returns its argument so it can wrap a map callback. */
  tick<T>(value: T): T;
  done(): void;
}

export function createProgress(
  write: (text: string) => void,
  total: number,
  options: { tty: boolean; width?: number; label?: string },
): Progress {
  if (!options.tty || total <= PROGRESS_THRESHOLD) return { tick: (value) => value, done: () => {} };
  const width = options.width ?? 30;
  const label = options.label ?? 'rules';
  let count = 0;
  let shown = -1;
  const draw = () => {
    const filled = Math.round((count / total) * width);
    if (filled === shown && count !== total) return; // redraw only when the bar moves
    shown = filled;
    write(`\r[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${count}/${total} ${label}`);
  };
  draw();
  return {
    tick(value) {
      count++;
      draw();
      return value;
    },
    done() {
      write('\r\x1b[2K');
    },
  };
}
