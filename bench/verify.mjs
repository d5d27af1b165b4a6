#!/usr/bin/env node
// Verify per rule: `rules2actions verify` over a sample of the fixture rules (every rule paired with
// its migrated Action, built-in scenarios, type check), as a child process.
//
//   node bench/verify.mjs [count] [folder]   count fixture rules (default 20, at most all of them),
//                                            or every .js rule of folder
//
// bench/run.mjs prints the same figure. CPU time (GNU time) includes the verify children.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const GNU_TIME = '/usr/bin/time';

/** Every fixture rule, sorted; `count` of them spread evenly over the groups (same sample on every run). */
export function fixtureSample(count) {
  const fixtures = path.join(root, 'fixtures');
  const all = readdirSync(fixtures, { withFileTypes: true })
    .filter((group) => group.isDirectory())
    .map((group) => group.name)
    .sort()
    .flatMap((group) =>
      readdirSync(path.join(fixtures, group))
        .sort()
        .map((name) => path.join(fixtures, group, name, 'rule.js'))
        .filter((file) => existsSync(file)),
    );
  if (count >= all.length) return all;
  return Array.from({ length: count }, (_, i) => all[Math.floor((i * all.length) / count)]);
}

/** The sample as one folder of rules, named <group>__<case>.js. */
export function sampleFolder(files, work) {
  const folder = path.join(work, 'verify-sample');
  rmSync(folder, { recursive: true, force: true });
  mkdirSync(folder, { recursive: true });
  for (const file of files) copyFileSync(file, path.join(folder, path.relative(path.join(root, 'fixtures'), path.dirname(file)).split(path.sep).join('__') + '.js'));
  return folder;
}

/** Runs verify over the rules of `folder`: wall and CPU per rule, the summary, the load average before and after. */
export function measureVerify(folder, work) {
  const rules = readdirSync(folder).filter((f) => f.endsWith('.js')).length;
  const report = path.join(work, 'verify.json');
  const usage = path.join(work, 'verify-usage.txt');
  const command = [path.join(root, 'bin/rules2actions.js'), 'verify', folder, '--format', 'json', '--output', report];
  const timed = existsSync(GNU_TIME) && spawnSync(GNU_TIME, ['-f', '%M', 'true']).status === 0;
  const load = loadavg()[0];
  const started = performance.now();
  const child = timed
    ? spawnSync(GNU_TIME, ['-o', usage, '-f', '%U %S', process.execPath, ...command], { stdio: ['ignore', 'ignore', 'pipe'] })
    : spawnSync(process.execPath, command, { stdio: ['ignore', 'ignore', 'pipe'] });
  const wall = performance.now() - started;
  if (child.status !== 0 && child.status !== 1) throw new Error(`verify exited ${child.status}: ${child.stderr.toString().slice(0, 2000)}`);
  const cpu = timed ? readFileSync(usage, 'utf8').trim().split('\n').pop().split(' ').map(Number).reduce((a, b) => a + b, 0) * 1000 : null;
  const { summary } = JSON.parse(readFileSync(report, 'utf8'));
  return { rules, wall, cpu, summary, load: [load, loadavg()[0]] };
}

export function describeVerify(v) {
  const perRule = (ms) => `${(ms / v.rules / 1000).toFixed(2)} s/rule`;
  return (
    `verify  ${v.rules} rules: ${(v.wall / 1000).toFixed(1)} s wall (${perRule(v.wall)}), ` +
    `cpu ${v.cpu === null ? '?' : `${(v.cpu / 1000).toFixed(1)} s (${perRule(v.cpu)}, children included)`}; ` +
    `${v.summary.equal} equal, ${v.summary.different} different, ${v.summary.notVerified} not verified; ` +
    `load average ${v.load.map((l) => l.toFixed(1)).join(' → ')}`
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [countArg, folder] = process.argv.slice(2);
  const work = mkdtempSync(path.join(tmpdir(), 'r2a-bench-verify-'));
  const rules = folder ?? sampleFolder(fixtureSample(Number(countArg ?? 20)), work);
  try {
    process.stdout.write(describeVerify(measureVerify(rules, work)) + '\n');
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
