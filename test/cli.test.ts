// The built binary as a user runs it (npm test builds dist/ first).
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync, existsSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { migrate } from '../src/index.js';

const BIN = path.resolve(import.meta.dirname, '../bin/rules2actions.js');

async function cli(args: string[], cwd: string) {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [BIN, ...args], { cwd, env: { ...process.env, NO_COLOR: '1' } });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

const CLAIMS_METADATA_DENY = `function (user, context, callback) {
  if (context.clientID === 'blocked-app') {
    return callback(new UnauthorizedError('This application is not allowed'));
  }
  console.log('login of', user.email, 'on', context.clientName);
  callback(null, user, context);
}
`;
const BROKEN = `function (user, context, callback) {
  const x = ;
  callback(null, user, context);
}
`;

function workspace(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'r2a-cli-'));
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), content);
  }
  return dir;
}

describe('rules2actions CLI', () => {
  it('teaches its usage with --help', async () => {
    const top = await cli(['--help'], tmpdir());
    expect(top.code).toBe(0);
    expect(top.stdout).toContain('migrate');
    const sub = await cli(['migrate', '--help'], tmpdir());
    expect(sub.code).toBe(0);
    expect(sub.stdout).toMatch(/Examples:/);
    expect(sub.stdout).toMatch(/Exit codes/);
  });

  it('stops quietly when the reader of its output goes away (| head)', async () => {
    // Our end of the pipe closes before the child has written a byte: every write it makes fails with EPIPE.
    const child = spawn(process.execPath, [BIN, 'migrate', '--help'], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const code = await new Promise((resolve) => child.on('close', resolve));
    expect(stderr).toBe('');
    expect(code).toBe(0);
  });

  it('dry run: prints a diff per rule, reports a syntax error at its line, leaves inputs untouched', async () => {
    const dir = workspace({ 'rules/deny.js': CLAIMS_METADATA_DENY, 'rules/nested/broken.js': BROKEN });
    const before = statSync(path.join(dir, 'rules/deny.js')).mtimeMs;
    const run = await cli(['migrate', 'rules'], dir);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('+exports.onExecutePostLogin = async (event, api) => {');
    expect(run.stdout).toContain("+    return api.access.deny('This application is not allowed');");
    expect(run.stdout).toMatch(/failed rules\/nested\/broken\.js/);
    expect(run.stdout).toContain('rules/nested/broken.js:2:13');
    expect(run.stdout).toMatch(/2 rules: 1 migrated, 0 need review, 1 failed/);
    expect(readFileSync(path.join(dir, 'rules/deny.js'), 'utf8')).toBe(CLAIMS_METADATA_DENY);
    expect(statSync(path.join(dir, 'rules/deny.js')).mtimeMs).toBe(before);
    expect(existsSync(path.join(dir, 'actions'))).toBe(false);
  });

  it('--out writes the deploy-cli layout and the report', async () => {
    const dir = workspace({ 'rules/deny app.js': CLAIMS_METADATA_DENY, 'rules/broken.js': BROKEN });
    const run = await cli(['migrate', 'rules', '--out', 'out'], dir);
    expect(run.code).toBe(1);

    const action = JSON.parse(readFileSync(path.join(dir, 'out/actions/deny app.json'), 'utf8'));
    expect(action).toEqual({
      name: 'deny app',
      code: './actions/deny app/code.js',
      runtime: 'node22',
      dependencies: [],
      secrets: [],
      supported_triggers: [{ id: 'post-login', version: 'v3' }],
    });
    const code = readFileSync(path.join(dir, 'out/actions/deny app/code.js'), 'utf8');
    expect(code).toBe(migrate(CLAIMS_METADATA_DENY, { filename: 'rules/deny app.js' }).code);
    expect(existsSync(path.join(dir, 'out/actions/broken.json'))).toBe(false);

    const report = JSON.parse(readFileSync(path.join(dir, 'out/migration-report.json'), 'utf8'));
    expect(report.tool.name).toBe('rules2actions');
    expect(report.summary).toMatchObject({ rules: 2, migrated: 1, review: 0, failed: 1 });
    const byName = Object.fromEntries(report.rules.map((r: { name: string }) => [r.name, r]));
    expect(byName['deny app']).toMatchObject({
      source: 'rules/deny app.js',
      status: 'migrated',
      action: { name: 'deny app', file: 'actions/deny app/code.js' },
      secrets: [],
      dependencies: [],
      scopes: [],
    });
    expect(byName.broken).toMatchObject({ status: 'failed', action: null });
    expect(byName.broken.findings).toEqual([
      expect.objectContaining({ code: 'parse-error', severity: 'error', line: 2, column: 13 }),
    ]);
    expect(readFileSync(path.join(dir, 'out/migration-report.md'), 'utf8')).toContain('## broken — failed');
  });

  it('--format json prints the report contract on stdout; exit 0 when every rule migrated cleanly', async () => {
    const dir = workspace({ 'deny.js': CLAIMS_METADATA_DENY });
    const run = await cli(['migrate', 'deny.js', '--format', 'json'], dir);
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout);
    expect(report.rules[0]).toMatchObject({ source: 'deny.js', name: 'deny', status: 'migrated', action: null });
  });

  it('globs select files', async () => {
    const dir = workspace({ 'a/one.js': CLAIMS_METADATA_DENY, 'b/two.js': CLAIMS_METADATA_DENY, 'b/skip.txt': 'x' });
    const run = await cli(['migrate', '**/*.js', '--format', 'json'], dir);
    expect(JSON.parse(run.stdout).rules.map((r: { source: string }) => r.source)).toEqual(['a/one.js', 'b/two.js']);
  });

  it.each([
    [['migrate', '--bogus', 'x.js'], /unknown option '--bogus'/],
    [['migrate', 'does-not-exist.js'], /No such file or folder: does-not-exist\.js/],
    [['migrate', 'nothing/**/*.js'], /No files match/],
    [['migrate', 'x.js', '--sdk', '5'], /--sdk/],
    [['migrate'], /at least one rule/],
  ])('usage error %j exits 2 with a message and no stack trace', async (args, message) => {
    const dir = workspace({ 'x.js': CLAIMS_METADATA_DENY });
    const run = await cli(args, dir);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });
});
