/**
 * Hostile rules under verify: every escape a rule (or its Action) can try from the verify child is
 * refused inside the sandbox and shows in the outcome; hangs are timeouts, never "equal"; memory is
 * capped; the emulator's key never touches the disk. Servers bind 127.0.0.1; nothing leaves the machine.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createVerifier, genericScenarios, VerifyStopped, type Scenario, type Verifier } from '../../src/verify/index.js';

const PARENT_SECRET = 'parent-client-secret-7f3a9';
const scenario = (): Scenario[] => genericScenarios().slice(0, 1);

let dir: string;
let secretFile: string;
let outFile: string;
let server: Server;
let port: number;
let hits = 0;
let verifier: Verifier;

/** Tries each escape and records "allowed: …" or "refused: <code>" with `record(name, text)`. */
function probes(record: string, done: string): string {
  return `
  const fs = require('fs');
  const attempt = (name, fn) => {
    try { ${record}(name, 'allowed: ' + String(fn()).slice(0, 60)); } catch (e) { ${record}(name, 'refused: ' + (e.code || e.message)); }
  };
  attempt('read', () => fs.readFileSync(${JSON.stringify(secretFile)}, 'utf8'));
  attempt('read-etc', () => fs.readFileSync('/etc/hostname', 'utf8'));
  attempt('write', () => fs.writeFileSync(${JSON.stringify(outFile)}, 'pwned'));
  attempt('spawn', () => require('child_process').execFileSync('true'));
  attempt('worker', () => new (require('worker_threads').Worker)('1', { eval: true }));
  attempt('env', () => Object.keys(globalThis.process.env).sort().join(',') + ' ' + JSON.stringify(globalThis.process.env).includes(${JSON.stringify(PARENT_SECRET)}));
  attempt('inspector', () => require('inspector').open(0));
  require('http').get('http://127.0.0.1:${'${PORT}'}/', () => { ${record}('net', 'allowed'); ${done} })
    .on('error', (e) => {
      ${record}('net', 'refused: ' + e.code);
      require('dns').lookup('exfiltrate.example.com', (err) => {
        ${record}('dns', err ? 'refused: ' + err.code : 'allowed');
        fetch('https://example.com/').then(() => { ${record}('fetch', 'allowed'); ${done} }, (err) => { ${record}('fetch', 'refused: ' + (err.cause && err.cause.code)); ${done} });
      });
    });`;
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'r2a-hostile-'));
  secretFile = path.join(dir, 'secret.txt');
  outFile = path.join(dir, 'written-by-rule.txt');
  writeFileSync(secretFile, 'TOP-SECRET-FILE-CONTENT');
  server = createServer((_, res) => {
    hits++;
    res.end('reached');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as { port: number }).port;
  process.env.AUTH0_CLIENT_SECRET = PARENT_SECRET;
  verifier = await createVerifier({ concurrency: 2 });
});

afterAll(async () => {
  delete process.env.AUTH0_CLIENT_SECRET;
  await verifier?.close();
  server?.close();
  rmSync(dir, { recursive: true, force: true });
});

function expectSandboxed(claims: Record<string, unknown>, notes: string[]): void {
  expect(claims.read).toBe('refused: ERR_ACCESS_DENIED');
  expect(claims['read-etc']).toBe('refused: ERR_ACCESS_DENIED');
  expect(claims.write).toBe('refused: ERR_ACCESS_DENIED');
  expect(claims.spawn).toBe('refused: ERR_ACCESS_DENIED');
  expect(claims.worker).toBe('refused: ERR_ACCESS_DENIED');
  expect(claims.inspector).toBe('refused: ERR_ACCESS_DENIED');
  // Nothing of the caller's environment: only the child's own temporary folder (and TZ when set).
  expect(String(claims.env)).toMatch(/^allowed: (TEMP,TMP,TMPDIR|TEMP,TMP,TMPDIR,TZ) false$/);
  expect(claims.net).toBe('refused: ERR_VERIFY_SANDBOX');
  expect(claims.dns).toBe('refused: ERR_VERIFY_SANDBOX');
  expect(claims.fetch).toBe('refused: ERR_VERIFY_SANDBOX');
  expect(notes).toContain(`sandbox: a connection to 127.0.0.1:${port} was blocked`);
  expect(notes).toContain('sandbox: a DNS lookup of exfiltrate.example.com was blocked');
  expect(notes).toContain('sandbox: a connection to example.com:443 was blocked');
}

describe('verify sandbox', () => {
  it('a rule and an Action that try to read, write, spawn, read the env and reach the network are refused, and it shows', async () => {
    const rule = `function (user, context, callback) {
      const record = (k, v) => { context.idToken[k] = v; };
      ${probes('record', 'callback(null, user, context);').replaceAll('${PORT}', String(port))}
    }`;
    const action = `exports.onExecutePostLogin = (event, api) => new Promise((resolve) => {
      const record = (k, v) => api.idToken.setCustomClaim(k, v);
      ${probes('record', 'resolve();').replaceAll('${PORT}', String(port))}
    });`;
    const [v] = await verifier.verifyPair({ rule, action, sdk: 7, scenarios: scenario() });
    expectSandboxed(v.rule.idTokenClaims, v.rule.details.notes);
    expectSandboxed(v.action.idTokenClaims, v.action.details.notes);
    expect(v.equal).toBe(true);
    expect(hits).toBe(0);
    expect(existsSync(outFile)).toBe(false);
    expect(JSON.stringify(v)).not.toContain('TOP-SECRET-FILE-CONTENT');
    expect(JSON.stringify(v)).not.toContain(PARENT_SECRET);
  }, 60_000);

  it('a rule that spins inside setTimeout and an Action that never settles: a timeout, never equal', async () => {
    const [v] = await verifier.verifyPair({
      rule: `function (user, context, callback) { setTimeout(() => { for (;;) {} }, 0); }`,
      action: `exports.onExecutePostLogin = () => new Promise(() => {});`,
      sdk: 7,
      scenarios: scenario(),
      timeoutMs: 500,
    });
    expect(v.equal).toBe(false);
    expect(v.timedOut).toEqual(['rule', 'action']);
  }, 60_000);

  it('a loop that never yields (in a promise callback) is stopped from outside: the pair is not verified (timeout)', async () => {
    const run = verifier.verifyPair({
      rule: `function (user, context, callback) { Promise.resolve().then(() => { for (;;) {} }); }`,
      action: `exports.onExecutePostLogin = async () => {};`,
      sdk: 7,
      scenarios: scenario(),
      timeoutMs: 300,
    });
    const error = await run.then(() => null, (e: unknown) => e);
    expect(error).toBeInstanceOf(VerifyStopped);
    expect((error as VerifyStopped).stop).toMatchObject({ reason: 'timeout', side: 'rule' });
    expect((error as Error).message).toMatch(/^timeout: scenario .*: the rule did not finish within 5300 ms/);
  }, 60_000);

  it('a rule that fills the heap or allocates buffers is stopped: not verified (out of memory)', async () => {
    const small = await createVerifier({ concurrency: 1, heapMb: 64, rssMb: 400 });
    try {
      for (const grow of [
        'const keep = []; for (;;) keep.push(new Array(100000).fill({ a: 1 }));',
        'const keep = []; const step = () => { for (let i = 0; i < 20; i++) keep.push(Buffer.alloc(16 * 1024 * 1024, 1)); setImmediate(step); }; step();',
      ]) {
        const error = await small
          .verifyPair({ rule: `function (user, context, callback) { ${grow} }`, action: 'exports.onExecutePostLogin = async () => {};', sdk: 7, scenarios: scenario(), timeoutMs: 20_000 })
          .then(() => null, (e: unknown) => e);
        expect(error).toBeInstanceOf(VerifyStopped);
        expect((error as VerifyStopped).stop.reason).toBe('memory');
        expect((error as Error).message).toMatch(/^out of memory: scenario .*: the rule/);
      }
    } finally {
      await small.close();
    }
  }, 120_000);

  it('no key material on disk: the certificate is made in memory and the children leave no temporary folder', async () => {
    // A temporary folder of its own: other verify runs on the machine (other test files, other checkouts) also make child folders.
    const privateTmp = mkdtempSync(path.join(tmpdir(), 'rules2actions-sandbox-test-'));
    const previous = process.env.TMPDIR;
    process.env.TMPDIR = privateTmp;
    try {
      const v = await createVerifier({ concurrency: 1 });
      const during = readdirSync(privateTmp);
      await v.verifyPair({ rule: 'function (u, c, cb) { cb(null, u, c); }', action: 'exports.onExecutePostLogin = async () => {};', sdk: 7, scenarios: scenario() });
      const children = readdirSync(privateTmp).filter((f) => f.startsWith('rules2actions-verify-child-'));
      expect(children.length).toBeGreaterThanOrEqual(1);
      for (const f of children) expect(readdirSync(path.join(privateTmp, f)).filter((n) => /\.pem$|key|cert/i.test(n))).toEqual([]);
      expect(during.filter((f) => f.startsWith('rules2actions-tls-'))).toEqual([]);
      await v.close();
      await new Promise((resolve) => setTimeout(resolve, 2500));
      // (what is left is the child script transpiled from source for vitest, a cache keyed by its content)
      expect(readdirSync(privateTmp).filter((f) => f.startsWith('rules2actions-verify-child-'))).toEqual([]);
    } finally {
      if (previous === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = previous;
      rmSync(privateTmp, { recursive: true, force: true });
    }
  }, 60_000);
});
