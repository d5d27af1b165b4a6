/**
 * The shipped packages' load cache (src/verify/load-cache*.ts), seen from outside: a verifier given a cache
 * folder builds the cache there once, writable by this user only; a pair gets the same outcomes with it as
 * without it; the code being verified cannot write it; a cache whose recorded file has changed is rebuilt.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createVerifier, linkingScenarios, type ScenarioVerdict, type VerifierOptions } from '../src/verify/index.js';
import { readLoadCacheHeader } from '../src/verify/load-cache.js';

const FIXTURE = join(import.meta.dirname, '..', 'fixtures', 'account-linking', 'current-user-primary');
const RULE = readFileSync(join(FIXTURE, 'rule.js'), 'utf8');
const ACTION = readFileSync(join(FIXTURE, 'expected-action.js'), 'utf8');

let folder: string;
const cacheFiles = () => readdirSync(folder).filter((name) => name.startsWith('verify-load-'));
const cacheFile = () => join(folder, cacheFiles()[0]);
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

describe('verify load cache', () => {
  let withCache: ScenarioVerdict[];

  it('is built on first use in a folder only this user can write, and used as it is afterwards', async () => {
    withCache = await verify(RULE, ACTION, { loadCache: folder });
    expect(cacheFiles()).toHaveLength(1);
    expect(statSync(folder).mode & 0o777).toBe(0o700);
    expect(statSync(cacheFile()).mode & 0o777).toBe(0o600);
    const before = { sha: sha(cacheFile()), mtimeMs: statSync(cacheFile()).mtimeMs };
    await (await createVerifier({ loadCache: folder })).close();
    expect(cacheFiles()).toHaveLength(1);
    expect({ sha: sha(cacheFile()), mtimeMs: statSync(cacheFile()).mtimeMs }).toEqual(before);
  }, 60_000);

  it('gives every scenario the same outcomes as loading the packages without it', async () => {
    const without = await verify(RULE, ACTION, { loadCache: false });
    expect(withCache.map((v) => v.equal)).toEqual(linkingScenarios().map(() => true));
    // Each child's emulator listens on a port of its own.
    const portless = (verdicts: ScenarioVerdict[]) => JSON.parse(JSON.stringify(verdicts).replace(/localhost:\d+/g, 'localhost:PORT'));
    expect(portless(withCache)).toEqual(portless(without));
  }, 60_000);

  it('cannot be written by the rule or Action being verified', async () => {
    const file = cacheFile();
    const before = sha(file);
    const write = `(() => { try { require('fs').writeFileSync(${JSON.stringify(file)}, 'tampered'); return 'written'; } catch (e) { return e.code; } })()`;
    const [verdict] = await verify(
      `function (user, context, callback) { require('request'); context.idToken['https://probe/write'] = ${write}; callback(null, user, context); }`,
      `exports.onExecutePostLogin = async (event, api) => { require('auth0'); api.idToken.setCustomClaim('https://probe/write', ${write}); };`,
      { loadCache: folder },
    );
    expect(verdict.rule.idTokenClaims['https://probe/write']).toBe('ERR_ACCESS_DENIED');
    expect(verdict.action.idTokenClaims['https://probe/write']).toBe('ERR_ACCESS_DENIED');
    expect(sha(file)).toBe(before);
  }, 60_000);

  it('is rebuilt when a file it recorded has changed since', async () => {
    const { header, caches } = readLoadCacheHeader(readFileSync(cacheFile()));
    const changed = { ...header, files: header.files.map((f, i) => (i === 0 ? { ...f, mtimeMs: f.mtimeMs - 1000 } : f)) };
    const json = Buffer.from(JSON.stringify(changed));
    const size = Buffer.alloc(4);
    size.writeUInt32LE(json.length);
    writeFileSync(cacheFile(), Buffer.concat([size, json, caches]));
    await (await createVerifier({ loadCache: folder })).close();
    const rebuilt = readLoadCacheHeader(readFileSync(cacheFile())).header;
    expect(rebuilt.files[0]).toMatchObject({ filename: header.files[0].filename, mtimeMs: statSync(header.files[0].filename).mtimeMs });
    expect(rebuilt.files.length).toBe(header.files.length);
  }, 60_000);
});
