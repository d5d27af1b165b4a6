#!/usr/bin/env node
// npm run corpus -- <folder>...: the real-world scoreboard (issue 11). Migrates every .js below each
// folder with the built library (dist/), verifies the linking rules (scenarios, no type check) and prints
// per folder and in total what bench/scoreboard-analysis.mjs measures.
//
//   npm run corpus -- /work/corpus/linking /work/corpus/general
//   node bench/scoreboard.mjs <folder>... [--json] [--no-verify] [--sdk 7|4] [--timeout <ms>]
//   node bench/scoreboard.mjs --print saved.json      the table of a saved --json run
//   --threads <n>: migrate on n worker threads (default: one per core; 0 = this thread)
//   --tenants-by-repo: each file migrated with its tenant view (src/tenant), a tenant being the files of one
//   source repository (`owner__name__…`) in file-name order
//
// --json prints one JSON document (per rule, per folder, total) for tracking (`npm run -s corpus -- … --json
// > out.json` keeps npm's banner out of it); --no-verify skips the
// verify runs (the "equal" rows are then absent). Everything runs the built dist/: `npm run corpus`
// builds first. Rules are measurement material: nothing of them is written anywhere.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import {
  isLinkingRule,
  isValidJavaScript,
  managementApiCalls,
  metadataSetCalls,
  parseAny,
  ruleParams,
  rulesLeftovers,
} from './scoreboard-analysis.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { runRule } = await import(path.join(root, 'dist/src/run.js'));
const { maskTokens } = await import(path.join(root, 'dist/src/tokens.js'));

/** Finding codes other helpers track (issue 11 / 14 / 17 targets): rules carrying each, and occurrences. */
const TRACKED_CODES = ['callback-bridge', 'global-state', 'whole-object', 'write-has-no-effect', 'implicit-global', 'stale-read', 'transform-crashed', 'parse-error'];

function parseArgs(argv) {
  const options = { folders: [], json: false, verify: true, sdk: 7, timeoutMs: 5000, print: null, threads: availableParallelism(), tenants: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--json') options.json = true;
    else if (arg === '--no-verify') options.verify = false;
    else if (arg === '--sdk') options.sdk = Number(argv[++i]);
    else if (arg === '--timeout') options.timeoutMs = Number(argv[++i]);
    else if (arg === '--print') options.print = argv[++i];
    else if (arg === '--threads') options.threads = Math.max(0, Number(argv[++i]) || 0);
    // Corpus folders are not tenants: group files by source repository (`owner__name__…`), in file-name order.
    else if (arg === '--tenants-by-repo') options.tenants = true;
    else if (arg.startsWith('--')) throw new Error(`unknown option ${arg}`);
    else options.folders.push(arg);
  }
  if (options.folders.length === 0 && !options.print) throw new Error('usage: npm run corpus -- <folder>... [--json] [--no-verify] [--sdk 7|4]');
  if (options.sdk !== 7 && options.sdk !== 4) throw new Error('--sdk is 7 or 4');
  return options;
}

function jsFiles(folder) {
  const out = [];
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile() && entry.name.endsWith('.js')) out.push(full);
    }
  };
  if (!statSync(folder).isDirectory()) throw new Error(`${folder} is not a folder`);
  walk(folder);
  return out;
}

/** One rule: migrate it and measure the rule and its Action. */
function measureRule(file, folder, sdk, tenant) {
  const source = readFileSync(file, 'utf8');
  const input = { source: file, name: path.basename(file, '.js'), script: source, ...(tenant ? { tenant } : {}) };
  const text = maskTokens(source.replace(/^\uFEFF/, '')).masked;
  const valid = isValidJavaScript(text);
  const parsedRule = parseAny(text);

  const started = performance.now();
  let run = null;
  let crash = null;
  try {
    run = runRule(input, { sdk, diff: false });
  } catch (error) {
    crash = error instanceof Error ? error.message.split('\n')[0] : String(error);
  }
  const ms = performance.now() - started;

  const findings = run?.report.findings ?? [];
  const codes = {};
  for (const f of findings) codes[f.code] = (codes[f.code] ?? 0) + 1;
  const status = crash ? 'failed' : run.report.status;
  const hasAction = !crash && run.result.status === 'ok' && status !== 'failed';
  const parsedAction = hasAction ? parseAny(run.result.code.replace(/^\uFEFF/, '')) : null;

  const ruleCalls = managementApiCalls(parsedRule?.ast);
  const actionCalls = hasAction ? managementApiCalls(parsedAction?.ast) : [];
  const leftovers = hasAction ? rulesLeftovers(parsedAction?.ast, ruleParams(parsedRule?.ast)) : [];
  // Management API calls converted. A metadata update on the Rules `auth0.users` object counts when the
  // Action sets metadata through `api.user` and keeps no such update. Any other Rules-style call (see
  // managementApiCalls) counts when the Action has one Rules-style call fewer and one Action-style call
  // more than the rule: a call commented out under a TODO is not converted, and neither is a call that
  // was Action-style in the rule already (a fetch with a configuration token).
  const isMetadata = (c) => c.kind === 'auth0-users' && c.metadata;
  const rulesStyle = (calls) => calls.filter((c) => c.rulesStyle && !isMetadata(c)).length;
  const actionStyle = (calls) => calls.filter((c) => !c.rulesStyle).length;
  const foundMetadata = ruleCalls.filter(isMetadata).length;
  const leftMetadata = actionCalls.filter(isMetadata).length;
  const convertedMetadata = hasAction && leftMetadata === 0 && metadataSetCalls(parsedAction?.ast) > 0 ? foundMetadata : 0;
  const convertedOther = hasAction
    ? Math.max(0, Math.min(rulesStyle(ruleCalls) - rulesStyle(actionCalls), actionStyle(actionCalls) - actionStyle(ruleCalls)))
    : 0;
  const left = hasAction ? actionCalls.filter((c) => c.rulesStyle).length : ruleCalls.filter((c) => c.rulesStyle).length;

  const linking = isLinkingRule(text, parsedRule);
  const rulesTransportLeft = leftovers.some((k) => k.startsWith('auth0') || k === 'request' || k === 'request-to-management-api');
  return {
    folder,
    file: path.relative(folder, file),
    status,
    crash: crash ?? (codes['transform-crashed'] ? findings.find((f) => f.code === 'transform-crashed').message : null),
    validJavaScript: valid,
    parseError: Boolean(codes['parse-error']),
    parseErrorOnValid: valid && Boolean(codes['parse-error']),
    parseErrorMessage: codes['parse-error'] ? findings.find((f) => f.code === 'parse-error').message : undefined,
    hasAction,
    leftovers,
    free: hasAction && leftovers.length === 0,
    managementApi: { found: ruleCalls.length, rulesStyle: ruleCalls.filter((c) => c.rulesStyle).length, converted: convertedMetadata + convertedOther, left },
    linking,
    linkingConverted: linking && hasAction && !rulesTransportLeft && left === 0,
    codes,
    ms,
    run: hasAction ? run : null,
  };
}

/** A difference that may be the machine's load rather than the Action: one side ran out of time. */
const TIMED_OUT = /not called within \d+ ms|timed out|timeout/i;

async function verifyLinking(rules, options) {
  const { verifyTargets, targetFromRun } = await import(path.join(root, 'dist/src/cli/verify.js'));
  const candidates = rules.filter((r) => r.linking && r.run);
  const targetOf = (r) => ({ ...targetFromRun(r.run, options.sdk), linking: true });
  const started = performance.now();
  const record = (r, v, retried) => {
    const different = v.scenarios.filter((s) => !s.equal);
    r.verify = {
      verdict: v.verdict,
      // What the scoreboard counts: every scenario ran and was equal. Verify's verdict may still say
      // `not-verified` when a module's declared version is not installed (issue 13's policy): it is kept
      // beside, and counted in its own row.
      allEqual: v.scenarios.length > 0 && different.length === 0,
      scenarios: v.scenarios.length,
      equal: v.scenarios.length - different.length,
      // Issue 11's denominator: the rule links accounts (a link request or a primary user) in some scenario.
      linksWhenRun: v.scenarios.some((s) => s.ruleLinked === true),
      ...(v.reason ? { reason: v.reason } : {}),
      ...(different.length ? { differences: different.map((s) => `${s.scenario}: ${s.differences.join('; ')}`.slice(0, 300)) } : {}),
      ...(retried ? { retried: true } : {}),
    };
  };
  const results = await verifyTargets(candidates.map(targetOf), { typecheck: false, timeoutMs: options.timeoutMs });
  candidates.forEach((r, i) => record(r, results[i], false));
  // A busy machine can make one side miss its time limit: those pairs run once more, with three times the
  // limit, and the second verdict counts (`retried` in the JSON).
  const slow = candidates.filter((r) => r.verify.differences?.some((d) => TIMED_OUT.test(d)));
  if (slow.length > 0) {
    const again = await verifyTargets(slow.map(targetOf), { typecheck: false, timeoutMs: options.timeoutMs * 3 });
    slow.forEach((r, i) => record(r, again[i], true));
  }
  return performance.now() - started;
}

function tally(rules, verified) {
  const count = (predicate) => rules.filter(predicate).length;
  const codes = {};
  for (const code of TRACKED_CODES) {
    codes[code] = { rules: count((r) => r.codes[code] > 0), occurrences: rules.reduce((sum, r) => sum + (r.codes[code] ?? 0), 0) };
  }
  const leftoverKinds = {};
  for (const r of rules) for (const k of r.leftovers) leftoverKinds[k] = (leftoverKinds[k] ?? 0) + 1;
  const linking = rules.filter((r) => r.linking);
  const migrateMs = rules.reduce((sum, r) => sum + r.ms, 0);
  return {
    rules: rules.length,
    crashes: count((r) => r.crash),
    validJavaScript: count((r) => r.validJavaScript),
    parseErrors: count((r) => r.parseError),
    parseErrorsOnValidJavaScript: count((r) => r.parseErrorOnValid),
    migrated: count((r) => r.status === 'migrated'),
    review: count((r) => r.status === 'review'),
    failed: count((r) => r.status === 'failed'),
    freeOfRulesLeftovers: count((r) => r.free),
    leftoverKinds: Object.fromEntries(Object.entries(leftoverKinds).sort()),
    managementApiCalls: {
      found: rules.reduce((s, r) => s + r.managementApi.found, 0),
      rulesStyle: rules.reduce((s, r) => s + r.managementApi.rulesStyle, 0),
      converted: rules.reduce((s, r) => s + r.managementApi.converted, 0),
      leftInActions: rules.reduce((s, r) => s + (r.hasAction ? r.managementApi.left : 0), 0),
      rulesWithCalls: count((r) => r.managementApi.found > 0),
    },
    linking: {
      found: linking.length,
      converted: count((r) => r.linkingConverted),
      ...(verified
        ? {
            verified: linking.filter((r) => r.verify).length,
            equal: linking.filter((r) => r.verify?.allEqual).length,
            convertedAndEqual: linking.filter((r) => r.linkingConverted && r.verify?.allEqual).length,
            linksWhenRun: linking.filter((r) => r.verify?.linksWhenRun).length,
            linksWhenRunConvertedAndEqual: linking.filter((r) => r.verify?.linksWhenRun && r.linkingConverted && r.verify.allEqual).length,
            notVerifiedForDependencies: linking.filter((r) => r.verify?.verdict === 'not-verified' && /^dependencies /.test(r.verify.reason ?? '')).length,
          }
        : {}),
    },
    callbackBridge: codes['callback-bridge'].rules,
    codes,
    msPerRule: rules.length ? Math.round((migrateMs / rules.length) * 100) / 100 : 0,
  };
}

const pct = (part, whole) => (whole ? `${((100 * part) / whole).toFixed(1)}%` : '—');

function printTable(columns, verified, timing) {
  const rows = [
    ['rules', (t) => t.rules],
    ['crashes', (t) => t.crashes],
    ['parse errors on valid JavaScript', (t) => t.parseErrorsOnValidJavaScript],
    ['parse errors (all)', (t) => t.parseErrors],
    ['migrated', (t) => t.migrated],
    ['review', (t) => t.review],
    ['failed', (t) => t.failed],
    ['Actions free of Rules leftovers', (t) => `${t.freeOfRulesLeftovers} (${pct(t.freeOfRulesLeftovers, t.rules)})`],
    ['Management API calls found', (t) => t.managementApiCalls.found],
    ['  with the Rules transport/token', (t) => t.managementApiCalls.rulesStyle],
    ['  converted', (t) => `${t.managementApiCalls.converted} (${pct(t.managementApiCalls.converted, t.managementApiCalls.rulesStyle)})`],
    ['  left in Actions with Rules transport/token', (t) => t.managementApiCalls.leftInActions],
    ['linking rules found', (t) => t.linking.found],
    ['  converted (no Rules transport/token)', (t) => `${t.linking.converted} (${pct(t.linking.converted, t.linking.found)})`],
    ...(verified
      ? [
          ['  equal in every verify scenario', (t) => `${t.linking.equal} (${pct(t.linking.equal, t.linking.found)})`],
          ['  converted and equal', (t) => `${t.linking.convertedAndEqual} (${pct(t.linking.convertedAndEqual, t.linking.found)})`],
          ['  link accounts when run (rule side)', (t) => t.linking.linksWhenRun ?? '—'],
          ['    of those, converted and equal', (t) => t.linking.linksWhenRun === undefined ? '—' : `${t.linking.linksWhenRunConvertedAndEqual} (${pct(t.linking.linksWhenRunConvertedAndEqual, t.linking.linksWhenRun)})`],
          ['  verify: not verified (dependency versions)', (t) => t.linking.notVerifiedForDependencies ?? '—'],
        ]
      : []),
    ['callback bridge', (t) => `${t.callbackBridge} (${pct(t.callbackBridge, t.rules)})`],
    ...TRACKED_CODES.filter((c) => c !== 'callback-bridge' && c !== 'parse-error').map((code) => [
      `${code} (rules / findings)`,
      (t) => `${t.codes[code].rules} / ${t.codes[code].occurrences}`,
    ]),
    ['migrate ms per rule (wall, per thread)', (t) => t.msPerRule],
  ];
  const header = ['', ...columns.map((c) => c.name)];
  const body = rows.map(([label, get]) => [label, ...columns.map((c) => String(get(c.tally)))]);
  const widths = header.map((_, i) => Math.max(...[header, ...body].map((row) => row[i].length)));
  const line = (row) => row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ');
  const out = [line(header), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)];
  const leftovers = columns.at(-1).tally.leftoverKinds;
  out.push('', `leftover kinds (Actions having each, total): ${Object.entries(leftovers).map(([k, v]) => `${k} ${v}`).join(', ') || 'none'}`);
  if (timing.cpuMsPerRule !== undefined) out.push(`CPU per rule, migrate + analysis, all threads: ${timing.cpuMsPerRule} ms (${timing.threads} thread(s); wall times above grow with the machine's load)`);
  out.push(`time: migrate ${(timing.migrate / 1000).toFixed(1)} s${verified ? `, verify ${(timing.verify / 1000).toFixed(1)} s` : ''}, total ${(timing.total / 1000).toFixed(1)} s`);
  process.stdout.write(out.join('\n') + '\n');
}

/** --tenants-by-repo: the tenant view of every file, its tenant being the files of its repository (src/tenant). */
async function tenantViews(folders) {
  const { analyzeTenant } = await import(path.join(root, 'dist/src/tenant/analyze.js'));
  const groups = new Map();
  for (const folder of folders) {
    for (const file of jsFiles(folder)) {
      const repo = path.basename(file).split('__').slice(0, 2).join('__');
      if (!groups.has(repo)) groups.set(repo, []);
      groups.get(repo).push(file);
    }
  }
  const views = new Map();
  for (const files of groups.values()) {
    files.sort((a, b) => (path.basename(a) < path.basename(b) ? -1 : 1));
    const result = analyzeTenant(files.map((file) => ({ source: file, script: readFileSync(file, 'utf8') })), { orderNote: 'file order' });
    files.forEach((file, i) => views.set(file, result.views[i]));
  }
  return views;
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  if (options.print) {
    const saved = JSON.parse(readFileSync(options.print, 'utf8'));
    printTable(saved.folders, saved.verify, saved.timing);
    return;
  }
  const started = performance.now();
  const cpuStarted = process.cpuUsage();
  const folders = options.folders.map((f) => path.resolve(f));
  const views = options.tenants ? await tenantViews(folders) : new Map();
  const jobs = folders.flatMap((folder) => jsFiles(folder).map((file) => ({ file, folder, tenant: views.get(file) })));
  const rules = await measureAll(jobs, options);
  const migrateMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuStarted);
  // CPU of every thread of this process (not the machine's load): migrate plus the scoreboard's own analysis.
  const cpuMsPerRule = rules.length ? Math.round(((cpu.user + cpu.system) / 1000 / rules.length) * 100) / 100 : 0;
  const verifyMs = options.verify ? await verifyLinking(rules, options) : 0;
  const timing = { migrate: migrateMs, verify: verifyMs, total: performance.now() - started, cpuMsPerRule, threads: Math.min(options.threads, rules.length) };

  const columns = folders.map((folder) => ({ name: path.basename(folder), tally: tally(rules.filter((r) => r.folder === folder), options.verify) }));
  if (folders.length > 1) columns.push({ name: 'total', tally: tally(rules, options.verify) });
  if (options.json) {
    const perRule = rules.map(({ run, folder, ...r }) => ({ folder: path.basename(folder), ...r, ms: Math.round(r.ms * 100) / 100 }));
    process.stdout.write(
      JSON.stringify({ sdk: options.sdk, verify: options.verify, timing, folders: columns, rules: perRule }, null, 2) + '\n',
    );
  } else printTable(columns, options.verify, timing);
}

/**
 * Every rule through measureRule, in input order: on `threads` worker threads (each takes every
 * threads-th rule), or in this thread with --threads 0. Per-rule times are each thread's own.
 */
async function measureAll(jobs, options) {
  const threads = Math.min(options.threads, jobs.length);
  if (threads <= 1) return jobs.map(({ file, folder, tenant }) => measureRule(file, folder, options.sdk, tenant));
  const results = new Array(jobs.length);
  await Promise.all(
    Array.from({ length: threads }, (_, t) => {
      const indexes = jobs.map((_, i) => i).filter((i) => i % threads === t);
      return new Promise((resolve, reject) => {
        const worker = new Worker(fileURLToPath(import.meta.url), { workerData: { jobs: indexes.map((i) => jobs[i]), sdk: options.sdk } });
        worker.once('message', (measured) => {
          measured.forEach((r, k) => (results[indexes[k]] = r));
          resolve();
        });
        worker.once('error', reject);
        worker.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`a scoreboard worker exited with ${code}`))));
      });
    }),
  );
  return results;
}

if (!isMainThread) {
  parentPort.postMessage(workerData.jobs.map(({ file, folder, tenant }) => measureRule(file, folder, workerData.sdk, tenant)));
} else main().catch((error) => {
  process.stderr.write(`scoreboard: ${error.message}\n`);
  process.exit(2);
});
