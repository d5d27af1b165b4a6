/**
 * The verify children's caches (src/verify/child-caches.ts: a startup snapshot and the shipped packages' load
 * cache), seen from outside: a verifier given a cache folder builds them there once, writable by this user
 * only; a pair gets the same outcomes with them as without; the code being verified cannot write them; a
 * load cache whose recorded file has changed is rebuilt; a folder others can write is not used.
 */
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createVerifier, linkingScenarios, type ScenarioVerdict, type VerifierOptions } from '../src/verify/index.js';
import { cacheSettingWarning, defaultCacheFolder } from '../src/verify/cache-folder.js';
import { pruneCaches } from '../src/verify/child-caches.js';
import { readLoadCacheHeader } from '../src/verify/load-cache.js';
import { typeCheckOffThread, type TypeCheckInput } from '../src/typecheck.js';

const FIXTURE = join(import.meta.dirname, '..', 'fixtures', 'account-linking', 'current-user-primary');
const RULE = readFileSync(join(FIXTURE, 'rule.js'), 'utf8');
const ACTION = readFileSync(join(FIXTURE, 'expected-action.js'), 'utf8');

let folder: string;
const cacheFiles = () => readdirSync(folder).filter((name) => name.startsWith('verify-load-'));
const cacheFile = () => join(folder, cacheFiles()[0]);
const snapshotFiles = () => readdirSync(folder).filter((name) => name.startsWith('verify-snapshot-'));
const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

async function verify(rule: string, action: string, options: VerifierOptions): Promise<ScenarioVerdict[]> {
  const verifier = await createVerifier({ concurrency: 2, ...options });
  try {
    return await verifier.verifyPair({ rule, action, sdk: 7, scenarios: linkingScenarios(), timeoutMs: 10_000 });
  } finally {
    await verifier.close();
  }
}

beforeAll(() => {
  folder = join(mkdtempSync(join(tmpdir(), 'r2a-load-cache-test-')), 'cache');
});
afterAll(() => {
  rmSync(join(folder, '..'), { recursive: true, force: true });
});

describe('verify child caches', () => {
  let withCache: ScenarioVerdict[];

  it('are built on first use in a folder only this user can write, and used as they are afterwards', async () => {
    withCache = await verify(RULE, ACTION, { cacheFolder: folder });
    expect(statSync(folder).mode & 0o777).toBe(0o700);
    expect(readdirSync(folder).sort()).toEqual([...cacheFiles(), ...snapshotFiles()].sort());
    const files = [cacheFile(), join(folder, snapshotFiles()[0])];
    expect(files.map((file) => statSync(file).mode & 0o777)).toEqual([0o600, 0o600]);
    // Not rewritten (a rewrite renames a new file into place: another inode); used, so its time is now.
    const state = () => files.map((file) => ({ sha: sha(file), ino: statSync(file).ino }));
    const old = new Date(Date.now() - 10 * 24 * 3600 * 1000);
    for (const file of files) utimesSync(file, old, old);
    const before = state();
    await (await createVerifier({ cacheFolder: folder })).close();
    expect(cacheFiles()).toHaveLength(1);
    expect(snapshotFiles()).toHaveLength(1);
    expect(state()).toEqual(before);
    for (const file of files) expect(Date.now() - statSync(file).mtimeMs).toBeLessThan(3600 * 1000);
  }, 60_000);

  it('give every scenario the same outcomes as starting and loading without them', async () => {
    const without = await verify(RULE, ACTION, { cacheFolder: false });
    expect(withCache.map((v) => v.equal)).toEqual(linkingScenarios().map(() => true));
    // Each child's emulator listens on a port of its own.
    const portless = (verdicts: ScenarioVerdict[]) => JSON.parse(JSON.stringify(verdicts).replace(/localhost:\d+/g, 'localhost:PORT'));
    expect(portless(withCache)).toEqual(portless(without));
  }, 60_000);

  it('cannot be written by the rule or Action being verified', async () => {
    const files = [cacheFile(), join(folder, snapshotFiles()[0])];
    const before = files.map(sha);
    const write = files
      .map((file) => `(() => { try { require('fs').writeFileSync(${JSON.stringify(file)}, 'tampered'); return 'written'; } catch (e) { return e.code; } })()`)
      .join(` + ' ' + `);
    const [verdict] = await verify(
      `function (user, context, callback) { require('request'); context.idToken['https://probe/write'] = ${write}; callback(null, user, context); }`,
      `exports.onExecutePostLogin = async (event, api) => { require('auth0'); api.idToken.setCustomClaim('https://probe/write', ${write}); };`,
      { cacheFolder: folder },
    );
    expect(verdict.rule.idTokenClaims['https://probe/write']).toBe('ERR_ACCESS_DENIED ERR_ACCESS_DENIED');
    expect(verdict.action.idTokenClaims['https://probe/write']).toBe('ERR_ACCESS_DENIED ERR_ACCESS_DENIED');
    expect(files.map(sha)).toEqual(before);
  }, 60_000);

  it('a load cache is rebuilt when a file it recorded has changed since', async () => {
    const { header, caches } = readLoadCacheHeader(readFileSync(cacheFile()));
    const changed = { ...header, files: header.files.map((f, i) => (i === 0 ? { ...f, mtimeMs: f.mtimeMs - 1000 } : f)) };
    const json = Buffer.from(JSON.stringify(changed));
    const size = Buffer.alloc(4);
    size.writeUInt32LE(json.length);
    writeFileSync(cacheFile(), Buffer.concat([size, json, caches]));
    await (await createVerifier({ cacheFolder: folder })).close();
    const rebuilt = readLoadCacheHeader(readFileSync(cacheFile())).header;
    expect(rebuilt.files[0]).toMatchObject({ filename: header.files[0].filename, mtimeMs: statSync(header.files[0].filename).mtimeMs });
    expect(rebuilt.files.length).toBe(header.files.length);
  }, 60_000);

  it('are neither built nor used in a folder others can write; verify runs as without them', async () => {
    const open = join(folder, '..', 'open');
    mkdirSync(open);
    chmodSync(open, 0o777);
    const verdicts = await verify(RULE, ACTION, { cacheFolder: open });
    expect(readdirSync(open)).toEqual([]);
    expect(verdicts.map((v) => v.equal)).toEqual(linkingScenarios().map(() => true));
  }, 60_000);

  it("the type check records ts-morph's load cache on first use and checks the same from it", async () => {
    const inputs: TypeCheckInput[] = [
      { file: 'migrated.js', code: ACTION, sdk: 7, rule: RULE },
      { file: 'wrong.js', code: `exports.onExecutePostLogin = async (event, api) => { api.idToken.setCustomClaim(1); event.user.nope.x = 1; };`, sdk: 7 },
    ];
    const typeCheckFiles = () => readdirSync(folder).filter((name) => name.startsWith('typecheck-load-'));
    const without = await typeCheckOffThread(inputs, false);
    expect(without.get('wrong.js')?.errors.length).toBeGreaterThan(0);
    expect(typeCheckFiles()).toEqual([]);
    const recording = await typeCheckOffThread(inputs, folder);
    expect(typeCheckFiles()).toHaveLength(1);
    const file = join(folder, typeCheckFiles()[0]);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const recorded = { sha: sha(file), ino: statSync(file).ino };
    const fromCache = await typeCheckOffThread(inputs, folder);
    expect({ sha: sha(file), ino: statSync(file).ino }).toEqual(recorded);
    expect(recording).toEqual(without);
    expect(fromCache).toEqual(without);
  }, 120_000);
});

describe('the cache folder', () => {
  it.each([
    [{ RULES2ACTIONS_CACHE: '/srv/cache', XDG_CACHE_HOME: '/xdg', HOME: '/home/u' }, '/srv/cache'],
    [{ RULES2ACTIONS_CACHE: 'off', XDG_CACHE_HOME: '/xdg', HOME: '/home/u' }, false],
    // A relative folder would depend on where the command runs: none rather than a surprise.
    [{ RULES2ACTIONS_CACHE: 'cache', HOME: '/home/u' }, false],
    [{ RULES2ACTIONS_CACHE: '', XDG_CACHE_HOME: '/xdg', HOME: '/home/u' }, '/xdg/rules2actions'],
    [{ XDG_CACHE_HOME: 'relative', HOME: '/home/u' }, join(homedir(), '.cache', 'rules2actions')],
  ])('%o → %s', (env, expected) => {
    expect(defaultCacheFolder(env)).toBe(expected);
  });

  it.each([
    [{ RULES2ACTIONS_CACHE: 'cache' }, true],
    [{ RULES2ACTIONS_CACHE: './cache' }, true],
    [{ RULES2ACTIONS_CACHE: '/srv/cache' }, false],
    [{ RULES2ACTIONS_CACHE: 'off' }, false],
    [{ RULES2ACTIONS_CACHE: '' }, false],
    [{}, false],
  ])('%o: warned %s', (env, warned) => {
    expect(cacheSettingWarning(env) !== null).toBe(warned);
  });
});

describe('pruning the cache folder', () => {
  const DAY = 24 * 3600 * 1000;
  it.each([
    // [name, age in days, removed]
    ['verify-load-aaaa-bbbb.bin', 40, true],
    ['verify-load-aaaa-cccc.bin', 10, false],
    ['typecheck-load-dddd.bin', 31, true],
    ['verify-snapshot-eeee.blob', 29, false],
    ['verify-snapshot-eeee.blob.123.x1.tmp', 2, true],
    ['verify-load-aaaa-bbbb.bin.123.x2.tmp', 0.5, false],
    ['verify-snapshot-entry.123.x3.js', 2, true],
    // Not ours: never touched, however old.
    ['notes.txt', 400, false],
    ['verify-load.bin', 400, false],
  ])('%s, %d days old: removed %s', (name, days, removed) => {
    const folder = mkdtempSync(join(tmpdir(), 'r2a-prune-'));
    chmodSync(folder, 0o700);
    const file = join(folder, name);
    writeFileSync(file, 'x');
    const when = new Date(Date.now() - days * DAY);
    utimesSync(file, when, when);
    expect(pruneCaches(folder)).toEqual(removed ? [file] : []);
    expect(readdirSync(folder)).toEqual(removed ? [] : [name]);
  });

  it('leaves a link with a cache name, and a folder others can write, alone', () => {
    const folder = mkdtempSync(join(tmpdir(), 'r2a-prune-'));
    chmodSync(folder, 0o700);
    const target = join(mkdtempSync(join(tmpdir(), 'r2a-prune-target-')), 'kept');
    writeFileSync(target, 'x');
    symlinkSync(target, join(folder, 'verify-load-aaaa-bbbb.bin'));
    const old = new Date(Date.now() - 100 * DAY);
    expect(pruneCaches(folder, Date.now() + 100 * DAY)).toEqual([]);
    const shared = mkdtempSync(join(tmpdir(), 'r2a-prune-shared-'));
    writeFileSync(join(shared, 'typecheck-load-dddd.bin'), 'x');
    utimesSync(join(shared, 'typecheck-load-dddd.bin'), old, old);
    chmodSync(shared, 0o777);
    expect(pruneCaches(shared)).toEqual([]);
    expect(readdirSync(shared)).toEqual(['typecheck-load-dddd.bin']);
  });
});
