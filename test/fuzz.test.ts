// Property and fuzz tests: whatever the input, migrate() ends with either an Action that parses or a
// located error finding; it never throws, never hangs, never leaks a stack trace.
// Cases per property: FUZZ_RUNS (default 100; `npm run fuzz` runs 10,000). Seed: FUZZ_SEED.
// FUZZ_VERBOSE=1 prints the time spent and the slowest case (also written to the temp folder).
// Each case runs in a worker thread on the build (dist/), so a case that hangs is stopped after
// FUZZ_TIMEOUT_MS and reported with its input instead of hanging the run.
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import * as babel from '@babel/parser';
import fc from 'fast-check';
import { glob } from 'tinyglobby';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Finding, MigrateOptions } from '../src/types.js';
import { ROOT } from './support/dist.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 100);
const TIMEOUT_MS = Number(process.env.FUZZ_TIMEOUT_MS ?? 5_000);
const SEED = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);
// Budget per property: generous per case, so a slow CI machine fails on hangs only.
const TEST_TIMEOUT = 60_000 + RUNS * 250;

/** Pipeline findings that mean a bug in rules2actions, never a problem of the input. */
const CRASHES = new Set(['transform-crashed', 'print-failed', 'invalid-output']);
const STACK_FRAME = /\n\s*at\s|\bat\s+\S+\s+\(.*:\d+:\d+\)|node:internal|\/(?:src|dist|transforms|node_modules)\/\S+:\d+/;
const TOKEN = /@@[A-Za-z0-9_]+@@|##[A-Za-z0-9_]+##/g;

interface Outcome {
  status: 'ok' | 'nochange' | 'error';
  code: string;
  findings: Finding[];
  /** Babel's message when an 'ok' Action does not parse (checked in the worker). */
  parseProblem: string | null;
}

/** One worker, replaced when a case times out. */
class Runner {
  private worker!: Worker;
  private next = 0;
  constructor() {
    this.start();
  }
  private start() {
    // The CLI migrates on the main thread: give the worker the same stack (about 1 MB).
    this.worker = new Worker(new URL('./support/fuzz-worker.mjs', import.meta.url), { resourceLimits: { stackSizeMb: 1 } });
    this.worker.unref();
  }
  /** The slowest case so far (FUZZ_VERBOSE=1 prints it). */
  slowest = { ms: 0, source: '' };
  total = 0;
  cases = 0;
  async run(source: string, options: MigrateOptions = {}): Promise<Outcome> {
    const started = performance.now();
    const outcome = await this.send(source, options);
    const ms = performance.now() - started;
    this.total += ms;
    this.cases++;
    if (ms > this.slowest.ms) this.slowest = { ms, source };
    return outcome;
  }
  private send(source: string, options: MigrateOptions): Promise<Outcome> {
    const id = this.next++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.worker.off('message', onMessage);
        void this.worker.terminate();
        this.start();
        reject(new Error(`migrate() did not finish within ${TIMEOUT_MS} ms`));
      }, TIMEOUT_MS);
      const onMessage = (message: { id: number; result?: Outcome; thrown?: string }) => {
        if (message.id !== id) return;
        clearTimeout(timer);
        this.worker.off('message', onMessage);
        if (message.thrown !== undefined) reject(new Error(`migrate() threw: ${message.thrown}`));
        else resolve(message.result!);
      };
      this.worker.on('message', onMessage);
      this.worker.postMessage({ id, source, options });
    });
  }
  close() {
    return this.worker.terminate();
  }
}

function parsesAsScript(code: string): string | null {
  try {
    // Tokens are replaced by a0deploy before deploy; as written they are not JavaScript.
    babel.parse(code.replace(TOKEN, (t) => '_'.repeat(t.length)), { sourceType: 'script' });
    return null;
  } catch (error) {
    return (error as Error).message;
  }
}

/** The invariant every input must satisfy. `valid`: the input is a well-formed rule. */
function checkOutcome(source: string, outcome: Outcome, valid: boolean): void {
  const lines = source.split(/\r\n|[\r\n\u2028\u2029]/).length;
  for (const f of outcome.findings) {
    expect(CRASHES.has(f.code), `${f.code}: ${f.message}`).toBe(false);
    expect(f.message, 'no stack trace in a finding').not.toMatch(STACK_FRAME);
    expect(Number.isInteger(f.line) && f.line >= 1 && f.line <= lines + 1, `line ${f.line} of ${lines}`).toBe(true);
    expect(Number.isInteger(f.column) && f.column >= 1, `column ${f.column}`).toBe(true);
  }
  if (!STACK_FRAME.test(source)) expect(outcome.code, 'no stack trace in the output').not.toMatch(STACK_FRAME);
  if (outcome.status === 'error') {
    expect(outcome.findings.some((f) => f.severity === 'error'), 'a failed file has an error finding').toBe(true);
    expect(outcome.code, 'a failed file is returned unchanged').toBe(source);
  } else if (outcome.status === 'ok') {
    expect(outcome.parseProblem, 'the Action parses').toBeNull();
    expect(outcome.code).toMatch(/exports\.onExecutePostLogin\s*=/);
  } else {
    expect(outcome.code).toBe(source);
  }
  if (valid && outcome.status === 'error') {
    // A well-formed rule fails only when a keyword token would not survive (a transform dropped the
    // code holding it): a deliberate refusal, never a parse or analysis failure.
    const codes = outcome.findings.map((f) => f.code);
    expect(codes, 'a well-formed rule fails only by refusing to lose a token').toContain('token-lost');
    expect(codes).not.toContain('parse-error');
    expect(codes).not.toContain('not-a-rule');
  }
}

// ---------------------------------------------------------------------------------------------
// A grammar of rule shapes.

interface Names {
  user: string;
  context: string;
  callback: string;
}

const text = fc.string({ unit: 'grapheme', maxLength: 12 });
const str = fc.oneof(
  text.map((s) => JSON.stringify(s)),
  text.map((s) => `'${s.replace(/[\\'\n\r\u2028\u2029]/g, '')}'`),
  fc.constantFrom("'##API_URL##/v1'", '"@@DOMAIN@@"', "'https://example.com/claims/roles'", "'*/'", "'${x}'"),
);
const tokenExpr = fc.constantFrom('@@ENV@@', '##FLAG##', '`##API_URL##/users`', "'@@TENANT@@'");
const claimKey = fc.constantFrom("'https://example.com/roles'", 'namespace + "email"', "'@@NS@@/groups'", '`${namespace}x`');
const field = fc.constantFrom('clientID', 'clientName', 'connection', 'request.ip', 'request.geoip.country_code', 'request.query.prompt', 'stats.loginsCount', 'protocol', 'sso.with_auth0', 'accessToken.scope', 'idToken', 'primaryUser', 'unknownThing');
const userField = fc.constantFrom('email', 'email_verified', 'user_id', 'app_metadata.roles', 'user_metadata', 'identities', 'identities[0].access_token', 'name');

function expr(v: Names): fc.Arbitrary<string> {
  return fc.oneof(
    str,
    tokenExpr,
    field.map((f) => `${v.context}.${f}`),
    userField.map((f) => `${v.user}.${f}`),
    fc.constantFrom('configuration.API_KEY', 'global.cache', 'null', 'undefined', '42', 'true', 'err', 'users[0]', `{ a: 1, @@KEY@@: 2 }`),
    fc.tuple(str, field).map(([s, f]) => `${s} + ${v.context}.${f}`),
  );
}

/** Statements of a rule body; `depth` bounds nesting. */
function statements(v: Names, depth: number): fc.Arbitrary<string> {
  const e = expr(v);
  const cb = v.callback;
  const leaf = fc.oneof(
    // callbacks in their forms
    fc.constantFrom(
      `${cb}(null, ${v.user}, ${v.context});`,
      `return ${cb}(null, ${v.user}, ${v.context});`,
      `${cb}();`,
      `${cb}(err);`,
      `${cb}(err, ${v.user}, ${v.context});`,
      `return ${cb}(new UnauthorizedError('Access denied'));`,
      `${cb}(null, other, ${v.context});`,
      `ok && ${cb}(null, ${v.user}, ${v.context});`,
      `setTimeout(${cb}, 0);`,
    ),
    str.map((s) => `return ${cb}(new Error(${s}));`),
    // claims, metadata, redirects, multifactor, primary user
    fc.tuple(claimKey, e).map(([k, x]) => `${v.context}.idToken[${k}] = ${x};`),
    fc.tuple(claimKey, e).map(([k, x]) => `${v.context}.accessToken[${k}] = ${x};`),
    e.map((x) => `${v.user}.app_metadata = ${v.user}.app_metadata || {}; ${v.user}.app_metadata.plan = ${x};`),
    e.map((x) => `${v.user}.user_metadata.color = ${x};`),
    fc.constant(`auth0.users.updateAppMetadata(${v.user}.user_id, ${v.user}.app_metadata).then(function () { ${cb}(null, ${v.user}, ${v.context}); }).catch(function (err) { ${cb}(err); });`),
    fc.constant(`auth0.users.updateUserMetadata(${v.user}.user_id, ${v.user}.user_metadata);`),
    str.map((s) => `${v.context}.redirect = { url: ${s} };`),
    fc.constant(`${v.context}.multifactor = { provider: 'any', allowRememberBrowser: false };`),
    fc.constant(`${v.context}.primaryUser = 'auth0|' + users[0].user_id;`),
    fc.constant(`${v.context}.samlConfiguration.mappings = { 'http://schemas.xmlsoap.org/claims/upn': 'upn' };`),
    // reads, aliases, tokens, configuration, comments
    e.map((x) => `var value = ${x};`),
    e.map((x) => `console.log(${x}, ${v.user}.email);`),
    fc.constantFrom(`var ctx = ${v.context};`, `var { clientID, connection } = ${v.context};`, `var profile = ${v.user};`, `delete ${v.user}.password;`, `${v.context}.foo++;`),
    tokenExpr.map((t) => `var env = ${t};`),
    text.map((s) => `// note: ${s.replace(/[\n\r\u2028\u2029]/g, ' ')} ##TOKEN_IN_COMMENT##`),
    text.map((s) => `/* ${s.replace(/\*\//g, '')} @@IN_BLOCK@@ */`),
    fc.constantFrom("var _ = require('lodash@4.17.21');", "var request = require('request');", 'debugger;', ';'),
  );
  if (depth <= 0) return leaf;
  const block = fc.array(statements(v, depth - 1), { maxLength: 3 }).map((list) => list.join('\n'));
  return fc.oneof(
    { weight: 6, arbitrary: leaf },
    { weight: 1, arbitrary: fc.tuple(e, block, block).map(([c, a, b]) => `if (${c}) {\n${a}\n} else {\n${b}\n}`) },
    { weight: 1, arbitrary: fc.tuple(block, block).map(([a, b]) => `try {\n${a}\n} catch (err) {\n${b}\n}`) },
    { weight: 1, arbitrary: block.map((a) => `function helper(users) {\n${a}\n}`) },
    { weight: 1, arbitrary: block.map((a) => `for (const identity of ${v.user}.identities) {\n${a}\n}`) },
    // linking calls with request and nested callbacks
    { weight: 1, arbitrary: fc.tuple(str, block).map(([u, a]) => `request.get({ url: ${u}, headers: { Authorization: 'Bearer ' + ${v.context}.accessToken }, json: true }, function (err, response, body) {\n${a}\n});`) },
    { weight: 1, arbitrary: fc.tuple(block, block).map(([a, b]) => `request.post({ url: 'https://@@DOMAIN@@/api/v2/users/' + ${v.user}.user_id + '/identities', json: { provider: 'auth0', user_id: users[0].user_id } }, (err, response, body) => {\nif (err) {\n${a}\n}\n${b}\n});`) },
    { weight: 1, arbitrary: block.map((a) => `auth0.users.getUsersByEmail(${v.user}.email).then(function (users) {\n${a}\n}).catch((err) => ${cb}(err));`) },
    { weight: 1, arbitrary: block.map((a) => `setTimeout(function () {\n${a}\n}, 10);`) },
    { weight: 1, arbitrary: block.map((a) => `someLibrary.check(${v.user}.email, async function (err, result) {\n${a}\n});`) },
  );
}

const names = fc.constantFrom<Names>(
  { user: 'user', context: 'context', callback: 'callback' },
  { user: 'u', context: 'ctx', callback: 'cb' },
  { user: 'user', context: 'context', callback: 'done' },
);

const ruleProgram = names.chain((v) =>
  fc
    .tuple(
      fc.constantFrom(
        `function (${v.user}, ${v.context}, ${v.callback}) {`,
        `function enrich(${v.user}, ${v.context}, ${v.callback}) {`,
        `async function (${v.user}, ${v.context}, ${v.callback}) {`,
        `module.exports = function (${v.user}, ${v.context}, ${v.callback}) {`,
        `'use strict';\nfunction rule(${v.user}, ${v.context}, ${v.callback}) {`,
        `// header ##HEADER##\n/* block */ function (${v.user}, ${v.context}, ${v.callback}) {`,
      ),
      fc.array(statements(v, 3), { maxLength: 6 }),
      fc.constantFrom('\n', '\r\n'),
    )
    .map(([head, body, eol]) => {
      let helpers = 0;
      const source = [head, ...body, '}', ''].join('\n').replace(/function helper\(/g, () => `function helper${helpers++}(`);
      return source.replace(/\n/g, eol);
    }),
);

// ---------------------------------------------------------------------------------------------
// Mutations of the fixture rules.

type Mutation = (source: string) => string;
const at = (source: string, fraction: number) => Math.floor(fraction * (source.length + 1));
const fraction = fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true });

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fraction.map((f) => (s: string) => s.slice(0, at(s, f))),
  fc.tuple(fraction, fc.nat(12)).map(([f, k]) => (s: string) => {
    // delete k lexical tokens from a point
    const parts = s.match(/\w+|\s+|[^\w\s]/g) ?? [];
    const i = Math.floor(f * parts.length);
    return [...parts.slice(0, i), ...parts.slice(i + k)].join('');
  }),
  fc.tuple(fraction, fc.string({ unit: 'binary', minLength: 1, maxLength: 8 })).map(([f, u]) => (s: string) => s.slice(0, at(s, f)) + u + s.slice(at(s, f))),
  fc.tuple(fraction, fc.uint8Array({ minLength: 1, maxLength: 16 })).map(([f, bytes]) => (s: string) =>
    s.slice(0, at(s, f)) + String.fromCharCode(...bytes) + s.slice(at(s, f))),
  fc.tuple(fraction, fc.integer({ min: 10_000, max: 200_000 }), fc.constantFrom('x', ' ', "'a' + ", '/', '(')).map(([f, n, unit]) => (s: string) =>
    s.slice(0, at(s, f)) + unit.repeat(Math.ceil(n / unit.length)) + s.slice(at(s, f))),
  fc.tuple(fraction, fc.integer({ min: 1, max: 400 })).map(([f, depth]) => (s: string) =>
    s.slice(0, at(s, f)) +
      'setTimeout(function () {\n'.repeat(depth) + 'callback(null, user, context);\n' + '}, 1);\n'.repeat(depth) +
      s.slice(at(s, f))),
  fc.tuple(fraction, fraction, fraction).map(([a, b, c]) => (s: string) => {
    // copy a slice elsewhere
    const [from, to] = [at(s, a), at(s, b)].sort((x, y) => x - y);
    return s.slice(0, at(s, c)) + s.slice(from, to) + s.slice(at(s, c));
  }),
  fc.constantFrom<Mutation>((s) => s.replace(/\n/g, '\r'), (s) => '\uFEFF' + s, (s) => '#!/usr/bin/env node\n' + s, (s) => s.replace(/callback/g, '@@CB@@')),
);

// ---------------------------------------------------------------------------------------------

let runner: Runner;
let fixtureRules: Array<{ file: string; source: string }>;

beforeAll(async () => {
  runner = new Runner();
  const files = (await glob('fixtures/**/rule.js', { cwd: ROOT })).sort();
  fixtureRules = files.map((file) => ({ file, source: readFileSync(path.join(ROOT, file), 'utf8') }));
});
afterAll(() => {
  if (process.env.FUZZ_VERBOSE) writeFileSync(path.join(os.tmpdir(), 'rules2actions-fuzz-slowest.js'), runner.slowest.source);
  if (process.env.FUZZ_VERBOSE) console.log(`${runner.cases} cases, ${Math.round(runner.total)} ms in migrate(); slowest case: ${Math.round(runner.slowest.ms)} ms, ${runner.slowest.source.length} chars\n${runner.slowest.source.slice(0, 3000)}`);
  return runner?.close();
});

const params = (runs: number) => ({ numRuns: runs, ...(SEED === undefined ? {} : { seed: SEED }) });

describe('fuzz', () => {
  it('migrates every generated rule program to an Action that parses', { timeout: TEST_TIMEOUT }, async () => {
    await fc.assert(
      fc.asyncProperty(ruleProgram, fc.constantFrom<MigrateOptions>({}, { sdk: 4 }, { ruleId: 'rul_123' }), async (source, options) => {
        expect(parsesAsScript(source.replace(/^(.*?)function \(/m, '$1function rule(')), 'the generator emits valid JavaScript').toBeNull();
        checkOutcome(source, await runner.run(source, options), true);
      }),
      params(RUNS),
    );
  });

  it('handles every mutation of every fixture rule', { timeout: TEST_TIMEOUT }, async () => {
    expect(fixtureRules.length).toBeGreaterThan(0);
    const fixture = fc.nat().map((i) => fixtureRules[i % fixtureRules.length]);
    await fc.assert(
      fc.asyncProperty(fixture, fc.array(mutation, { minLength: 1, maxLength: 3 }), async ({ source }, mutations) => {
        const mutated = mutations.reduce((s, m) => m(s), source);
        checkOutcome(mutated, await runner.run(mutated), false);
      }),
      params(RUNS),
    );
  });

  it('handles arbitrary text and bytes', { timeout: TEST_TIMEOUT }, async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.string({ unit: 'binary', maxLength: 200 }), fc.string({ maxLength: 200 })), async (source) => {
        checkOutcome(source, await runner.run(source), false);
      }),
      params(Math.ceil(RUNS / 3)),
    );
  });

  it('keeps a line separator inside commented-out code within the comment (found by fuzzing)', async () => {
    // The statement is kept only as a comment; U+2028 in its string would end a `//` comment.
    for (const separator of ['\u2028', '\u2029']) {
      const source = `function (user, context, callback) {\n  user.app_metadata.plan = "a${separator}b" + context.clientID;\n  callback(null, user, context);\n}\n`;
      const outcome = await runner.run(source);
      expect(outcome.status).toBe('ok');
      expect(outcome.code).toContain(`a${separator}// b`);
      checkOutcome(source, outcome, true);
    }
  });

  it('comments out the rule’s own text whatever its line breaks and indentation (found by fuzzing)', async () => {
    // recast parses a copy with tabs expanded and CR/CRLF made LF: the unused `apiCall` wrapper kept as
    // a comment was cut at the wrong offsets (CRLF, tabs) or left as code after its first line (CR).
    const source = fixtureRules.find((r) => r.file.includes('request-promise-wrapper'))!.source;
    const commentedOut = (code: string) => code.split(/\r\n|\r|\n/).filter((line) => /^\s*\/\/ /.test(line)).map((line) => line.trim());
    const plain = await runner.run(source);
    expect(commentedOut(plain.code)).toContain('// function apiCall(options) {');
    const variants = [
      { text: source.replace(/\n/g, '\r\n'), eol: '\r\n' },
      { text: source.replace(/\n/g, '\r'), eol: '\r' },
      { text: source.replace(/^(?: {2})+/gm, (indent) => '\t'.repeat(indent.length / 2)), eol: '\n' },
    ];
    for (const { text, eol } of variants) {
      const outcome = await runner.run(text);
      checkOutcome(text, outcome, true);
      expect(outcome.status).toBe('ok');
      expect(outcome.code.split(eol).length, 'every line ends as the rule’s lines do').toBe(outcome.code.split(/\r\n|\r|\n/).length);
      expect(commentedOut(outcome.code).map((line) => line.replace(/\s+/g, ' '))).toEqual(commentedOut(plain.code).map((line) => line.replace(/\s+/g, ' ')));
    }
  });

  it('survives very deep nesting and very long lines', { timeout: TEST_TIMEOUT }, async () => {
    const deep = (n: number) =>
      `function (user, context, callback) {\n${'setTimeout(function () {\n'.repeat(n)}callback(null, user, context);\n${'}, 1);\n'.repeat(n)}}\n`;
    const long = `function (user, context, callback) {\n  const s = '${'x'.repeat(2_000_000)}';\n  callback(null, user, context);\n}\n`;
    const wide = `function (user, context, callback) {\n  const n = ${'1 + '.repeat(20_000)}1;\n  callback(null, user, context);\n}\n`;
    for (const source of [deep(50), deep(1_000), deep(20_000), long, wide]) checkOutcome(source, await runner.run(source), false);
  });
});
