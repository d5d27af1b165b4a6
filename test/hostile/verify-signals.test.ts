/**
 * Verify children die with the CLI: SIGTERM or SIGINT to the CLI while a rule spins in a promise
 * callback (a loop no timer inside the child can stop) leaves no child running. Linux only: the
 * children are found through /proc.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN } from '../support/dist.js';

const linux = process.platform === 'linux' && existsSync('/proc/self/stat');
const dir = mkdtempSync(path.join(tmpdir(), 'r2a-signals-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Live (not zombie) processes whose parent is `pid`. */
function childrenOf(pid: number): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(ppid) === pid && state !== 'Z') found.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

const alive = (pid: number) => {
  try {
    return !/^\S+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
};

async function until(check: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return check();
}

describe.runIf(linux)('verify children and signals', () => {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`${signal} to the CLI ends a child stuck in an endless loop`, async () => {
      const rule = path.join(dir, `spin-${signal}.js`);
      writeFileSync(rule, 'function (user, context, callback) {\n  Promise.resolve().then(function () { for (;;) {} });\n}\n');
      const cli = spawn(process.execPath, [BIN, 'verify', rule, '--no-typecheck', '--timeout', '60000'], { stdio: 'ignore' });
      const exited = new Promise<void>((resolve) => cli.once('exit', () => resolve()));
      let kids: number[] = [];
      // The child starts, loads the runner and spins.
      expect(await until(() => (kids = childrenOf(cli.pid!)).length > 0, 30_000)).toBe(true);
      await new Promise((resolve) => setTimeout(resolve, 1500));
      cli.kill(signal);
      await exited;
      expect(await until(() => kids.every((pid) => !alive(pid)), 5000)).toBe(true);
    }, 60_000);
  }
});
