// Values kept on disk instead of in memory: a large run's report entries (issue 16), read back in
// order as many times as the outputs need them.
import { closeSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { StringDecoder } from 'node:string_decoder';

const CHUNK = 1 << 20;

export interface Spool<T> {
  readonly count: number;
  append(value: T): void;
  /** Every value appended so far, in order; each call reads the file again. */
  values(): Generator<T>;
  /** Closes and removes the file. */
  close(): void;
}

/** One JSON line per value in a temporary file, removed as soon as it is open where the system allows it. */
export function createSpool<T>(dir = tmpdir()): Spool<T> {
  const file = path.join(dir, `.rules2actions-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}.ndjson`);
  const fd = openSync(file, 'wx+', 0o600);
  // Unlinked while open (POSIX): nothing is left behind even if the run is killed.
  let removed = false;
  try {
    rmSync(file);
    removed = true;
  } catch {
    // Windows keeps an open file: removed by close().
  }
  let pending: string[] = [];
  let pendingSize = 0;
  let size = 0;
  let count = 0;
  let closed = false;
  const flush = () => {
    if (pendingSize === 0) return;
    const bytes = Buffer.from(pending.join(''), 'utf8');
    let written = 0;
    while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written, size + written);
    size += bytes.length;
    pending = [];
    pendingSize = 0;
  };
  return {
    get count() {
      return count;
    },
    append(value) {
      if (closed) throw new Error('spool is closed');
      const line = JSON.stringify(value) + '\n';
      pending.push(line);
      pendingSize += line.length;
      count++;
      if (pendingSize >= CHUNK) flush();
    },
    *values() {
      flush();
      const buffer = Buffer.alloc(CHUNK);
      const decoder = new StringDecoder('utf8');
      let rest = '';
      for (let position = 0; position < size; ) {
        const read = readSync(fd, buffer, 0, Math.min(CHUNK, size - position), position);
        if (read === 0) break;
        position += read;
        const lines = (rest + decoder.write(buffer.subarray(0, read))).split('\n');
        rest = lines.pop()!;
        for (const line of lines) yield JSON.parse(line) as T;
      }
      rest += decoder.end();
      if (rest) yield JSON.parse(rest) as T;
    },
    close() {
      if (closed) return;
      closed = true;
      closeSync(fd);
      if (!removed) rmSync(file, { force: true });
    },
  };
}
