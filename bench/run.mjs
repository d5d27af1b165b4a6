#!/usr/bin/env node
// npm run bench: migrate a generated portfolio and compare with the parser floor and jscodeshift.
//
//   node bench/run.mjs              1k and 10k rules (10k = 100 tenants × 100 rules)
//   node bench/run.mjs --full       also 50k rules (several more minutes: off by default)
//   node bench/run.mjs --keep       keep the temporary corpus and outputs
//   node bench/run.mjs --rss        only migrate --out at 10k and 50k rules: peak RSS (issue 16's memory target)
//   node bench/run.mjs --corpus <dir>  the real rules for "library per rule" (default: R2A_CORPUS, else
//                                   ../corpus beside the checkout, where ../shared/corpus/extract.sh puts them)
//
// Last, verify per rule over 20 fixture rules (bench/verify.mjs).
//
// Everything runs the built dist/ (npm run bench builds first). Timings are wall clock; CPU time
// (user + system, all threads) is printed beside them because a busy machine inflates wall time.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as babelParser from '@babel/parser';
import * as recast from 'recast';
import { globSync } from 'tinyglobby';
import { generateCorpus } from './corpus.mjs';
import { describeVerify, fixtureSample, measureVerify, sampleFolder } from './verify.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { maskTokens } = await import(path.join(root, 'dist/src/tokens.js'));
const { makeParseable } = await import(path.join(root, 'dist/src/analyze.js'));
const { migrate } = await import(path.join(root, 'dist/src/migrate.js'));

const argv = process.argv.slice(2);
const args = new Set(argv);
const corpusArg = argv.includes('--corpus') ? argv[argv.indexOf('--corpus') + 1] : undefined;
/** The extracted real-world rules (../shared/corpus/README.md), if any. */
const REAL_CORPUS = [corpusArg, process.env.R2A_CORPUS, path.join(root, '../corpus')].find((dir) => dir && existsSync(dir));
const RULES_PER_TENANT = 100;
const MAIN = 10_000;
const VERIFY_SAMPLE = 20;
const RSS_ONLY = args.has('--rss');
const sizes = RSS_ONLY ? [MAIN, 50_000] : [1_000, MAIN, ...(args.has('--full') ? [50_000] : [])];
/** Issue 16: peak RSS at 50k rules at most this, and flat from 10k. */
const RSS_TARGET_MB = 400;
const GNU_TIME = '/usr/bin/time';
const hasGnuTime = existsSync(GNU_TIME) && spawnSync(GNU_TIME, ['-f', '%M', 'true']).status === 0;
const bin = path.join(root, 'bin/rules2actions.js');
const work = mkdtempSync(path.join(tmpdir(), 'r2a-bench-'));

const fmt = (ms) => (ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`);
const load = () => `load ${loadavg().map((l) => l.toFixed(2)).join(' ')}`;
const log = (line = '') => process.stdout.write(line + '\n');

/** Runs a command; wall time measured here, peak RSS and CPU time from GNU time (else from the child itself). */
function measure(command, commandArgs, { stdout, threads } = {}) {
  const usage = path.join(work, 'usage.txt');
  const threadUsage = path.join(work, 'threads.json');
  rmSync(usage, { force: true });
  rmSync(threadUsage, { force: true });
  const env = { ...process.env, NO_COLOR: '1' };
  let file = command;
  let argv = commandArgs;
  if (threads && command === process.execPath && existsSync('/proc/self/task')) {
    argv = ['--import', new URL('./thread-usage.mjs', import.meta.url).href, ...argv];
    env.R2A_BENCH_THREADS = threadUsage;
  }
  if (hasGnuTime) {
    file = GNU_TIME;
    argv = ['-o', usage, '-f', '%M %U %S', command, ...argv];
  } else if (command === process.execPath) {
    // No GNU time: the node child reports its own resource usage when it exits.
    argv = ['--import', new URL('./report-usage.mjs', import.meta.url).href, ...argv];
    env.R2A_BENCH_USAGE = usage;
  }
  const started = performance.now();
  const child = spawnSync(file, argv, { env, stdio: ['ignore', stdout ? 'pipe' : 'ignore', 'pipe'], maxBuffer: 1 << 30 });
  const wall = performance.now() - started;
  if (child.error) throw child.error;
  let rssMb = null;
  let cpu = null;
  if (existsSync(usage)) {
    const [kb, user, system] = readFileSync(usage, 'utf8').trim().split('\n').pop().split(' ').map(Number);
    rssMb = kb / 1024;
    cpu = (user + system) * 1000;
  }
  // Per thread (Linux): main, the pool's workers (the rest of the total) and V8's/libuv's helper threads.
  let byThread = null;
  if (cpu !== null && existsSync(threadUsage)) {
    const { main, helpers } = JSON.parse(readFileSync(threadUsage, 'utf8'));
    byThread = { main, workers: Math.max(cpu - main - helpers, 0), helpers };
  }
  return { wall, cpu, rssMb, byThread, status: child.status, stdout: child.stdout?.toString() ?? '', stderr: child.stderr.toString() };
}

function cpuTimed(fn) {
  const cpu = process.cpuUsage();
  const started = performance.now();
  const result = fn();
  const used = process.cpuUsage(cpu);
  return { wall: performance.now() - started, cpu: (used.user + used.system) / 1000, result };
}

const babelOptions = { sourceType: 'script', allowReturnOutsideFunction: true, allowAwaitOutsideFunction: true, tokens: true };
const recastParser = { parse: (source) => babelParser.parse(source, babelOptions) };

/** The floor: what any recast codemod must do to every file, single-threaded (files already in memory). */
function measureFloor(files) {
  // The same text our parser sees (tokens masked, anonymous function named): string work, not timed.
  const texts = files.map((file) => makeParseable(maskTokens(readFileSync(file, 'utf8')).masked).text);
  const recastRun = cpuTimed(() => {
    let parsed = 0;
    for (const text of texts) {
      try {
        recast.print(recast.parse(text, { parser: recastParser }));
        parsed++;
      } catch {
        // the few invalid files fail here as they do in migrate
      }
    }
    return parsed;
  });
  const bare = cpuTimed(() => {
    for (const text of texts) {
      try {
        babelParser.parse(text, { ...babelOptions, tokens: false });
      } catch {
        // idem
      }
    }
  });
  return { recast: recastRun, bare, parsed: recastRun.result };
}

/** The library alone on one thread: where the CLI's CPU time goes, compared with the floor's. */
function measureLibrary(files) {
  const sources = files.map((file) => readFileSync(file, 'utf8'));
  return cpuTimed(() => {
    for (const [i, source] of sources.entries()) migrate(source, { filename: files[i] });
  });
}

function runMigrate(corpus, size) {
  const out = path.join(work, `out-${size}`);
  const run = measure(process.execPath, [bin, 'migrate', corpus, '--out', out], { stdout: true, threads: true });
  const summary = /(\d+) rules: .*$/m.exec(run.stdout)?.[0] ?? '(no summary line)';
  if (run.status !== 0 && run.status !== 1) throw new Error(`migrate exited ${run.status}: ${run.stderr.slice(0, 2000)}`);
  rmSync(out, { recursive: true, force: true });
  return { ...run, summary };
}

function auditAvailable() {
  return spawnSync(process.execPath, [bin, 'audit', '--help'], { stdio: 'ignore' }).status === 0;
}

function runJscodeshift(corpus) {
  const jscodeshift = path.join(root, 'node_modules/.bin/jscodeshift');
  // --dry: it writes nothing (we write every Action and the report), so the comparison favours it.
  return measure(jscodeshift, ['-t', path.join(root, 'bench/noop-transform.cjs'), '--parser=babel', '--dry', '--silent', corpus]);
}

function coldStart() {
  const { files } = generateCorpus(path.join(work, 'cold'), { tenants: 1, rulesPerTenant: 20 });
  const one = path.join(work, 'one.js');
  writeFileSync(one, readFileSync(files.find((f) => / link-/.test(f)), 'utf8'));
  const hyperfine = spawnSync('hyperfine', ['--version'], { stdio: 'ignore' }).status === 0;
  if (hyperfine) {
    const json = path.join(work, 'hyperfine.json');
    const result = spawnSync('hyperfine', ['-N', '--warmup', '3', '--runs', '20', '--export-json', json, '-i', `${process.execPath} ${bin} migrate ${one}`], { stdio: 'ignore' });
    if (result.status === 0) {
      const { results } = JSON.parse(readFileSync(json, 'utf8'));
      return { median: results[0].median * 1000, how: 'hyperfine, 20 runs' };
    }
  }
  const times = [];
  for (let i = 0; i < 13; i++) {
    const started = performance.now();
    spawnSync(process.execPath, [bin, 'migrate', one], { stdio: 'ignore' });
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  return { median: times[6], how: '13 runs, median' };
}

log(`rules2actions benchmark — ${availableParallelism()} cores (${cpus()[0]?.model.trim()}), Node ${process.version}, ${load()}`);
log(`work folder: ${work}${args.has('--keep') ? ' (kept)' : ''}`);
log();

const rows = [];
try {
  for (const size of sizes) {
    const corpus = path.join(work, `corpus-${size}`);
    const { files, mix } = generateCorpus(corpus, { tenants: size / RULES_PER_TENANT, rulesPerTenant: RULES_PER_TENANT });
    log(`== ${size} rules (${size / RULES_PER_TENANT} tenants × ${RULES_PER_TENANT}; ${mix.linking} account linking, ${mix.other} other, ${mix.invalid} invalid; ${load()})`);

    if (RSS_ONLY) {
      const ours = runMigrate(corpus, size);
      log(`ours    migrate --out: ${fmt(ours.wall)} wall, cpu ${ours.cpu === null ? '?' : fmt(ours.cpu)}, peak RSS ${ours.rssMb === null ? '?' : `${Math.round(ours.rssMb)} MB`}`);
      log(`        ${ours.summary}`);
      rows.push({ size, ours: ours.wall, oursCpu: ours.cpu, rss: ours.rssMb });
      if (!args.has('--keep')) rmSync(corpus, { recursive: true, force: true });
      log();
      continue;
    }
    const floor = measureFloor(files);
    log(`floor   recast parse+print, 1 thread: ${fmt(floor.recast.wall)} (cpu ${fmt(floor.recast.cpu)}; ${floor.parsed} files parsed)`);
    log(`limit   bare @babel/parser parse, 1 thread: ${fmt(floor.bare.wall)} (recast parse+print = ${(floor.recast.wall / floor.bare.wall).toFixed(1)}× it)`);

    const ours = runMigrate(corpus, size);
    log(
      `ours    migrate --out: ${fmt(ours.wall)} wall, cpu ${ours.cpu === null ? '?' : fmt(ours.cpu)}, ` +
        `${Math.round((size / ours.wall) * 1000)} rules/s, peak RSS ${ours.rssMb === null ? '?' : `${Math.round(ours.rssMb)} MB`}`,
    );
    log(`        ${ours.summary}`);
    if (ours.byThread) {
      const { main, workers, helpers } = ours.byThread;
      log(`        cpu by thread: main ${fmt(main)} (read, tenant pass, write, report), pool workers ${fmt(workers)}, V8/libuv helper threads ${fmt(helpers)} (concurrent GC, JIT)`);
    }
    log(
      `        ours / floor = ${(ours.wall / floor.recast.wall).toFixed(2)}× wall (target ≤ 0.75×)` +
        (ours.cpu === null ? '' : `; ${(ours.cpu / floor.recast.cpu).toFixed(2)}× in CPU time (all threads)`),
    );
    const row = { size, floor: floor.recast.wall, bare: floor.bare.wall, ours: ours.wall, oursCpu: ours.cpu, rss: ours.rssMb };
    if (size === MAIN) {
      const library = measureLibrary(files);
      log(
        `library migrate() in-process, 1 thread: cpu ${fmt(library.cpu)}, ${(library.cpu / size).toFixed(2)} ms/rule ` +
          `(floor ${(floor.recast.cpu / size).toFixed(2)} ms/rule: ${(library.cpu / floor.recast.cpu).toFixed(1)}×)`,
      );
      row.library = library.cpu;
      if (ours.cpu !== null) {
        log(`        CPU outside migrate(): ours ${fmt(ours.cpu)} (all threads) − library ${fmt(library.cpu)} = ${fmt(ours.cpu - library.cpu)} (reading, tenant pass, pool, writing, report)`);
      }
    }

    if (size === MAIN) {
      if (auditAvailable()) {
        const audit = measure(process.execPath, [bin, 'audit', corpus]);
        log(`audit   ${fmt(audit.wall)} wall, cpu ${audit.cpu === null ? '?' : fmt(audit.cpu)}, peak RSS ${audit.rssMb === null ? '?' : `${Math.round(audit.rssMb)} MB`} (exit ${audit.status})`);
      } else {
        log('audit   not available in this build (no `audit` command yet)');
      }
      const jscodeshift = runJscodeshift(corpus);
      const processes = Math.max(cpus().length - 1, 1);
      log(`jscodeshift no-op (--parser=babel, default ${processes} worker process${processes > 1 ? 'es' : ''}): ${fmt(jscodeshift.wall)} (exit ${jscodeshift.status})`);
      log(
        `        jscodeshift / ours = ${(jscodeshift.wall / ours.wall).toFixed(2)}× wall (target > 1×: faster than jscodeshift doing nothing)` +
          `${jscodeshift.cpu === null ? '' : `; cpu ${fmt(jscodeshift.cpu)}`}; jscodeshift / floor = ${(jscodeshift.wall / floor.recast.wall).toFixed(2)}×`,
      );
      row.jscodeshift = jscodeshift.wall;
    }
    rows.push(row);
    if (!args.has('--keep')) rmSync(corpus, { recursive: true, force: true });
    log();
  }

  if (!RSS_ONLY) {
    if (REAL_CORPUS) {
      const real = globSync('**/*.js', { cwd: REAL_CORPUS, absolute: true }).sort();
      const floor = measureFloor(real);
      const library = measureLibrary(real);
      log(
        `== real rules (${real.length} files in ${REAL_CORPUS}; ${load()}): library ${(library.cpu / real.length).toFixed(2)} ms/rule cpu, ` +
          `floor ${(floor.recast.cpu / real.length).toFixed(2)} ms/rule: ${(library.cpu / floor.recast.cpu).toFixed(2)}× the floor (target ≤ 2×)`,
      );
      rows.push({ size: 'real', files: real.length, library: library.cpu, floor: floor.recast.wall, floorCpu: floor.recast.cpu });
    } else {
      log('== real rules: not extracted (see ../shared/corpus/README.md; --corpus <dir> or R2A_CORPUS): library per rule on real rules not measured');
    }
    log();
  }

  const rss = (n) => rows.find((r) => r.size === n)?.rss;
  if (rss(MAIN) != null && rss(50_000) != null) {
    log(
      `== peak RSS, migrate --out: ${Math.round(rss(MAIN))} MB at 10k rules, ${Math.round(rss(50_000))} MB at 50k ` +
        `(50k / 10k = ${(rss(50_000) / rss(MAIN)).toFixed(2)}; target ≤ ${RSS_TARGET_MB} MB at 50k and flat)`,
    );
    log();
  }
  if (!RSS_ONLY) {
    log('== growth (per rule, relative to the smallest run; linear = 1.00)');
    const generated = rows.filter((r) => typeof r.size === 'number');
    const base = generated[0];
    for (const r of generated) {
      log(
        `${String(r.size).padStart(6)} rules: ours ${(r.ours / r.size).toFixed(3)} ms/rule (${(r.ours / r.size / (base.ours / base.size)).toFixed(2)}), ` +
          `floor ${(r.floor / r.size).toFixed(3)} ms/rule (${(r.floor / r.size / (base.floor / base.size)).toFixed(2)}), ` +
          `peak RSS ${r.rss === null ? '?' : `${Math.round(r.rss)} MB`}`,
      );
    }
    log();

    const cold = coldStart();
    log(`cold start: migrate one.js ${fmt(cold.median)} (${cold.how}; target ≤ 300 ms)`);
    // Verify per rule: a child process per rule/Action pair and one type check for the run (bench/verify.mjs).
    const verify = measureVerify(sampleFolder(fixtureSample(VERIFY_SAMPLE), work), work);
    log(describeVerify(verify));
    if (process.env.BENCH_JSON) writeFileSync(process.env.BENCH_JSON, JSON.stringify({ rows, cold, verify }, null, 2) + '\n');
  } else if (process.env.BENCH_JSON) writeFileSync(process.env.BENCH_JSON, JSON.stringify({ rows }, null, 2) + '\n');
} finally {
  if (!args.has('--keep')) rmSync(work, { recursive: true, force: true });
}
