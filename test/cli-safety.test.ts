// The CLI as a user runs it (a child process on the build): clear errors, limits, safe and
// repeatable writes, keyword tokens and secrets. One in-process test injects a throwing transform.
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { writeFileAtomic } from '../src/io/write.js';
import { main, type Io } from '../src/cli/main.js';
import { migrate } from '../src/migrate.js';
import type { Transform } from '../src/types.js';
import { BIN, ROOT } from './support/dist.js';

// Only for the in-process test below: a transform that throws on rules calling `explode()`.
// The CLI child processes load the real registry from dist/.
vi.mock('../transforms/index.js', async (importOriginal) => {
  const actual = await importOriginal<{ transforms: readonly Transform[] }>();
  const exploding: Transform = {
    id: 'exploding',
    description: 'throws on explode()',
    safety: 'safe',
    messages: {},
    apply(ctx) {
      const calls = ctx.rule.body.body.map((s) => (s.type === 'ExpressionStatement' && s.expression.type === 'CallExpression' ? s.expression.callee : null));
      if (calls.some((c) => c?.type === 'Identifier' && c.name === 'explode')) throw new Error('boom');
    },
  };
  return { ...actual, transforms: [exploding, ...actual.transforms] };
});

const STACK = /\n\s+at\s|node:internal|\.[jt]s:\d+:\d+\)/;
const isRoot = process.getuid?.() === 0;
const hasGit = spawnSync('git', ['--version']).status === 0;

const temporary: string[] = [];
afterAll(() => {
  for (const dir of temporary) rmSync(dir, { recursive: true, force: true });
});
function tempDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'r2a-safety-'));
  temporary.push(dir);
  return dir;
}

function cli(args: string[], cwd: string = ROOT): SpawnSyncReturns<string> & { all: string } {
  const result = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8', timeout: 120_000, env: { ...process.env, NO_COLOR: '1' } });
  return { ...result, all: `${result.stdout}${result.stderr}` };
}

const fixture = (id: string) => readFileSync(path.join(ROOT, 'fixtures', id, 'rule.js'), 'utf8');
const SIMPLE = fixture('callback-to-return/errors-to-deny');
const ACTION = fixture('rule-signature/already-an-action');

/** path relative to root → content, for every file below root. */
function snapshot(root: string): Record<string, string> {
  const files: Record<string, string> = {};
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else files[path.relative(root, full)] = readFileSync(full, 'utf8');
    }
  };
  walk(root);
  return files;
}

function git(cwd: string, ...args: string[]) {
  const result = spawnSync('git', ['-c', 'user.email=test@example.com', '-c', 'user.name=test', ...args], { cwd, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`git ${args.join(' ')}: ${result.stderr}`);
}

describe('clear errors (exit 2, no stack trace)', () => {
  it('rejects an unknown flag', () => {
    const run = cli(['migrate', 'fixtures/e2e', '--no-such-flag']);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain("unknown option '--no-such-flag'");
    expect(run.all).not.toMatch(STACK);
  });

  it('rejects a missing path', () => {
    const run = cli(['migrate', 'no/such/rules']);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('No such file or folder: no/such/rules');
    expect(run.all).not.toMatch(STACK);
  });

  it.skipIf(isRoot)('reports a file it cannot read (chmod 000; skipped as root, which reads it anyway)', () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'a.js'), SIMPLE);
    writeFileSync(path.join(dir, 'locked.js'), SIMPLE);
    chmodSync(path.join(dir, 'locked.js'), 0o000);
    const run = cli(['migrate', dir, '--no-diff']);
    expect(run.status).toBe(2);
    expect(run.stdout).toMatch(/Cannot read .*locked\.js: .*EACCES/);
    expect(run.stdout).toMatch(/✔ migrated .*a\.js/);
    expect(run.all).not.toMatch(STACK);
  });

  it('reports a rule script that cannot be read (a sidecar naming a folder) and goes on', () => {
    const dir = tempDir();
    mkdirSync(path.join(dir, 'rules', 'folder.js'), { recursive: true });
    writeFileSync(path.join(dir, 'rules', 'broken.json'), JSON.stringify({ name: 'broken', script: './folder.js' }));
    writeFileSync(path.join(dir, 'rules', 'good.json'), JSON.stringify({ name: 'good', script: './good.js' }));
    writeFileSync(path.join(dir, 'rules', 'good.js'), SIMPLE);
    const run = cli(['migrate', dir, '--no-diff']);
    expect(run.status).toBe(2);
    expect(run.stdout).toMatch(/folder\.js.*cannot be read \(EISDIR\)/);
    expect(run.stdout).toMatch(/✔ migrated .*good\.js/);
    expect(run.all).not.toMatch(STACK);
  });

  it('refuses an output folder that cannot be written, before migrating anything', () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'a-file'), 'x');
    const run = cli(['migrate', 'fixtures/e2e', '--out', path.join(dir, 'a-file', 'out')]);
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/Cannot write to .*a-file\/out: a part of the path is a file, not a folder \(ENOTDIR\)/);
    expect(run.stdout).toBe('');
    expect(run.all).not.toMatch(STACK);
  });

  it('names the file, line and column of invalid export JSON and YAML', () => {
    const json = cli(['migrate', 'fixtures/tenants/invalid/broken.json', '--no-diff']);
    expect(json.status).toBe(2);
    expect(json.stdout).toMatch(/broken\.json:\d+:\d+: invalid JSON/);
    const yaml = cli(['migrate', 'fixtures/tenants/invalid/broken-yaml', '--no-diff']);
    expect(yaml.status).toBe(2);
    expect(yaml.stdout).toMatch(/tenant\.yaml:\d+:\d+: invalid YAML/);
    expect(json.all + yaml.all).not.toMatch(STACK);
  });

  it('rejects a bad --max-size and --write with --out', () => {
    const size = cli(['migrate', 'fixtures/e2e', '--max-size', 'lots']);
    expect(size.status).toBe(2);
    expect(size.stderr).toContain("--max-size: 'lots' is not a size");
    const both = cli(['migrate', 'fixtures/e2e', '--write', '--out', tempDir()]);
    expect(both.status).toBe(2);
    expect(both.stderr).toContain('either --write');
  });
});

describe('limits', () => {
  it('skips files over --max-size and binary files, and migrates the rest', () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'a.js'), SIMPLE);
    writeFileSync(path.join(dir, 'big.js'), `${SIMPLE}\n// ${'x'.repeat(4096)}\n`);
    writeFileSync(path.join(dir, 'binary.js'), Buffer.from([0x66, 0x75, 0x6e, 0x00, 0xff, 0x01]));
    const run = cli(['migrate', dir, '--no-diff', '--max-size', '2k', '--format', 'json']);
    expect(run.status).toBe(1);
    const report = JSON.parse(run.stdout) as { rules: Array<{ source: string; status: string; findings: Array<{ code: string; message: string }> }> };
    const bySource = (name: string) => report.rules.find((r) => r.source.endsWith(name))!;
    expect(bySource('a.js').status).toBe('migrated');
    expect(bySource('big.js')).toMatchObject({ status: 'failed', findings: [{ code: 'too-large' }] });
    expect(bySource('big.js').findings[0].message).toMatch(/over the size limit of 2\.0 KB \(--max-size\)/);
    expect(bySource('binary.js')).toMatchObject({ status: 'failed', findings: [{ code: 'binary-file' }] });
    // The default limit (1 MB) lets the big file through.
    expect(cli(['migrate', path.join(dir, 'big.js'), '--no-diff']).status).toBe(0);
  });

  it('does not follow a symbolic link loop', () => {
    const dir = tempDir();
    mkdirSync(path.join(dir, 'rules', 'nested'), { recursive: true });
    writeFileSync(path.join(dir, 'rules', 'nested', 'a.js'), SIMPLE);
    symlinkSync('..', path.join(dir, 'rules', 'nested', 'up'));
    symlinkSync(path.join(dir, 'rules'), path.join(dir, 'rules', 'self'));
    const run = cli(['migrate', path.join(dir, 'rules'), '--no-diff']);
    expect(run.error, 'no timeout').toBeUndefined();
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('1 rule: 1 migrated');
  });

  it('reports a rule whose transform throws, names the transform, and goes on', async () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'a.js'), SIMPLE);
    writeFileSync(path.join(dir, 'b.js'), 'function (user, context, callback) {\n  explode();\n  callback(null, user, context);\n}\n');
    let stdout = '';
    const io: Io = { stdout: (t) => void (stdout += t), stderr: (t) => void (stdout += t), isTTY: false };
    const code = await main(['migrate', dir, '--no-diff'], io);
    expect(code).toBe(1);
    expect(stdout).toMatch(/✔ migrated .*a\.js/);
    expect(stdout).toMatch(/✖ failed .*b\.js/);
    expect(stdout).toContain('The exploding transform failed on this rule (boom)');
    expect(stdout).toContain('transform-crashed');
    expect(stdout).not.toMatch(STACK);
  });
});

describe('repeatable', () => {
  it('says clearly that an Action is already migrated, and leaves it alone with --write', () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'action.js'), ACTION);
    const dry = cli(['migrate', path.join(dir, 'action.js')]);
    expect(dry.status).toBe(0);
    expect(dry.stdout).toContain('= already an Action, nothing to migrate:');
    const write = cli(['migrate', dir, '--write']);
    expect(write.status).toBe(0);
    expect(write.stdout).toContain('Migrated 0 rules in place');
    expect(readFileSync(path.join(dir, 'action.js'), 'utf8')).toBe(ACTION);
  });

  it('writes byte-identical files when run twice into the same --out', () => {
    const out = tempDir();
    const inputs = ['fixtures/e2e', 'fixtures/tenants/acme-directory', 'fixtures/tenants/globex-yaml'];
    cli(['migrate', ...inputs, '--out', out]);
    const first = snapshot(out);
    expect(Object.keys(first).length).toBeGreaterThan(4);
    cli(['migrate', ...inputs, '--out', out]);
    expect(snapshot(out)).toEqual(first);
  });

  it('migrates every migrated Action to itself, through the CLI', () => {
    const out = tempDir();
    cli(['migrate', 'fixtures/e2e', '--out', out]);
    const again = cli(['migrate', path.join(out, 'actions'), '--no-diff']);
    expect(again.stdout).toMatch(/= already an Action/);
    expect(again.stdout).not.toMatch(/✔ migrated|! review/);
  });
});

describe('--write', () => {
  it('writes the Actions and post-login bindings into a deploy-cli export, leaving its rules alone', () => {
    const dir = tempDir();
    cpSync(path.join(ROOT, 'fixtures/tenants/acme-directory'), dir, { recursive: true });
    const ruleBefore = readFileSync(path.join(dir, 'rules', 'Add Claims.js'), 'utf8');
    const run = cli(['migrate', dir, '--write']);
    expect(run.status).toBe(1); // the export holds a login_failure rule, which fails
    expect(readFileSync(path.join(dir, 'rules', 'Add Claims.js'), 'utf8')).toBe(ruleBefore);
    const action = JSON.parse(readFileSync(path.join(dir, 'actions', 'Add Claims.json'), 'utf8'));
    expect(action.code).toBe('./actions/Add Claims/code.js');
    expect(readFileSync(path.join(dir, 'actions', 'Add Claims', 'code.js'), 'utf8')).toContain('exports.onExecutePostLogin');
    const bindings = JSON.parse(readFileSync(path.join(dir, 'triggers', 'triggers.json'), 'utf8'))['post-login'];
    expect(bindings.map((b: { action_name: string }) => b.action_name).slice(0, 3)).toEqual(['Zeta Runs First', 'Add Claims', 'Enrich Profile']);
  });

  it('writes actions: into a tenant.yaml export, keeping its rules; triggers: only when its bindings are known or with --bindings replace', () => {
    const dir = tempDir();
    cpSync(path.join(ROOT, 'fixtures/tenants/globex-yaml'), dir, { recursive: true });
    cli(['migrate', path.join(dir, 'tenant.yaml'), '--write']);
    const yaml = readFileSync(path.join(dir, 'tenant.yaml'), 'utf8');
    expect(yaml).toMatch(/^rules:/m);
    expect(yaml).toMatch(/^actions:/m);
    // This export has no triggers: key, so the tenant's current bindings are unknown.
    expect(yaml).not.toMatch(/^triggers:/m);
    cli(['migrate', path.join(dir, 'tenant.yaml'), '--write', '--force', '--bindings', 'replace']);
    expect(readFileSync(path.join(dir, 'tenant.yaml'), 'utf8')).toMatch(/^triggers:\n {2}post-login:\n {4}- action_name: /m);
  });

  it('refuses a rules dump, which has no folder layout to write into (exit 2)', () => {
    const dir = tempDir();
    cpSync(path.join(ROOT, 'fixtures/tenants/initech-api.json'), path.join(dir, 'rules.json'));
    const run = cli(['migrate', path.join(dir, 'rules.json'), '--write']);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('use --out');
  });

  const setup = () => {
    const dir = tempDir();
    mkdirSync(path.join(dir, 'rules'));
    writeFileSync(path.join(dir, 'rules', 'a.js'), SIMPLE);
    return dir;
  };

  it.skipIf(!hasGit)('refuses a dirty git tree unless --force (exit 1, names --force)', () => {
    const dir = setup();
    git(dir, 'init', '-q');
    git(dir, 'add', '-A');
    git(dir, 'commit', '-qm', 'rules');
    writeFileSync(path.join(dir, 'notes.txt'), 'uncommitted');
    const refused = cli(['migrate', 'rules', '--write'], dir);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain('uncommitted changes');
    expect(refused.stderr).toContain('--force');
    expect(readFileSync(path.join(dir, 'rules', 'a.js'), 'utf8')).toBe(SIMPLE);

    const forced = cli(['migrate', 'rules', '--write', '--force'], dir);
    expect(forced.status).toBe(0);
    expect(readFileSync(path.join(dir, 'rules', 'a.js'), 'utf8')).toBe(migrate(SIMPLE).code);
  });

  it.skipIf(!hasGit)('writes over a clean git tree', () => {
    const dir = setup();
    git(dir, 'init', '-q');
    git(dir, 'add', '-A');
    git(dir, 'commit', '-qm', 'rules');
    const run = cli(['migrate', path.join(dir, 'rules', 'a.js'), '--write'], os.tmpdir());
    expect(run.status).toBe(0);
    expect(readFileSync(path.join(dir, 'rules', 'a.js'), 'utf8')).toBe(migrate(SIMPLE).code);
  });

  it('does not check outside a git repository, and keeps the file mode', () => {
    const dir = setup();
    chmodSync(path.join(dir, 'rules', 'a.js'), 0o640);
    const run = cli(['migrate', 'rules', '--write'], dir);
    expect(run.status).toBe(0);
    expect(readFileSync(path.join(dir, 'rules', 'a.js'), 'utf8')).toBe(migrate(SIMPLE).code);
    expect(statSync(path.join(dir, 'rules', 'a.js')).mode & 0o777).toBe(0o640);
    expect(readdirSync(path.join(dir, 'rules'))).toEqual(['a.js']);
  });

  it('never leaves a partial or temporary .js file when killed mid-run (SIGKILL)', { timeout: 120_000 }, async () => {
    const sources = [SIMPLE, fixture('context-to-event/renamed-fields'), fixture('callback-to-return/success-forms')];
    const expected = sources.map((s) => migrate(s).code);
    let killedMidRun = 0;
    for (const delay of [0, 10]) {
      const dir = tempDir();
      const names: string[] = [];
      for (let i = 0; i < 400; i++) {
        const name = `rule-${String(i).padStart(4, '0')}.js`;
        names.push(name);
        writeFileSync(path.join(dir, name), sources[i % sources.length]);
      }
      const child = spawn(process.execPath, [BIN, 'migrate', dir, '--write', '--format', 'json'], { stdio: 'ignore' });
      const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
      // Kill as soon as the first file has been replaced, so the writes are under way.
      const first = path.join(dir, names[0]);
      const deadline = Date.now() + 60_000;
      while (readFileSync(first, 'utf8') === sources[0] && Date.now() < deadline) await new Promise((r) => setTimeout(r, 2));
      await new Promise((r) => setTimeout(r, delay));
      child.kill('SIGKILL');
      const signal = await exited;

      const left = readdirSync(dir);
      const visible = left.filter((f) => !f.startsWith('.'));
      expect(visible.sort()).toEqual(names);
      for (const hidden of left.filter((f) => f.startsWith('.'))) expect(hidden).toMatch(/^\.rule-\d+\.js\.\d+\.\d+\.tmp$/);
      let replaced = 0;
      names.forEach((name, i) => {
        const content = readFileSync(path.join(dir, name), 'utf8');
        const original = sources[i % sources.length];
        if (content !== original) {
          expect(content, `${name} is either the rule or its complete Action`).toBe(expected[i % sources.length]);
          replaced++;
        }
      });
      expect(replaced).toBeGreaterThan(0);
      if (signal === 'SIGKILL' && replaced < names.length) killedMidRun++;
    }
    expect(killedMidRun, 'at least one run was killed between its first and last write').toBeGreaterThan(0);
  });

  it('removes its temporary file when the write fails', async () => {
    const dir = tempDir();
    mkdirSync(path.join(dir, 'in-the-way.js'));
    await expect(writeFileAtomic(path.join(dir, 'in-the-way.js'), 'x')).rejects.toThrow();
    expect(readdirSync(dir)).toEqual(['in-the-way.js']);
  });

  it('removes its temporary files when stopped with SIGTERM', { timeout: 120_000 }, async () => {
    const dir = tempDir();
    for (let i = 0; i < 400; i++) writeFileSync(path.join(dir, `rule-${i}.js`), SIMPLE);
    const child = spawn(process.execPath, [BIN, 'migrate', dir, '--write', '--format', 'json'], { stdio: 'ignore' });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
    const deadline = Date.now() + 60_000;
    while (readFileSync(path.join(dir, 'rule-0.js'), 'utf8') === SIMPLE && Date.now() < deadline) await new Promise((r) => setTimeout(r, 2));
    child.kill('SIGTERM');
    await exited;
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
});

describe('keyword tokens and secrets', () => {
  const RULE = [
    '// Uses ##API_URL## and @@ENV@@ in a comment',
    '/* block @@BLOCK@@ */',
    'function tokens(user, context, callback) {',
    '  const env = @@ENV@@;',
    "  const url = '##API_URL##/v1';",
    "  const tpl = `${'##API_URL##'}/x/@@ENV@@`;",
    "  const map = { @@KEY@@: \"##VALUE##\", '##QKEY##': 1 };",
    "  console.log(env, url, tpl, map, ##FLAG##); // trailing @@ENV@@",
    '  callback(null, user, context);',
    '}',
    '',
  ].join('\n');
  const PRESERVED = [
    '// Uses ##API_URL## and @@ENV@@ in a comment',
    '/* block @@BLOCK@@ */',
    '  const env = @@ENV@@;',
    "  const url = '##API_URL##/v1';",
    "  const tpl = `${'##API_URL##'}/x/@@ENV@@`;",
    "  const map = { @@KEY@@: \"##VALUE##\", '##QKEY##': 1 };",
    "  console.log(env, url, tpl, map, ##FLAG##); // trailing @@ENV@@",
  ];
  const count = (text: string, token: string) => text.split(token).length - 1;
  const TOKENS = ['##API_URL##', '@@ENV@@', '@@BLOCK@@', '@@KEY@@', '##VALUE##', '##QKEY##', '##FLAG##'];

  it('keeps every token byte for byte through migrate()', () => {
    const result = migrate(RULE);
    expect(result.status).toBe('ok');
    for (const line of PRESERVED) expect(result.code).toContain(line);
    for (const token of TOKENS) expect(count(result.code, token), token).toBe(count(RULE, token));
  });

  it('keeps every token byte for byte through the CLI --out', () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'tokens.js'), RULE);
    const out = path.join(dir, 'out');
    expect(cli(['migrate', path.join(dir, 'tokens.js'), '--out', out]).status).toBe(0);
    const code = readFileSync(path.join(out, 'actions', 'tokens', 'code.js'), 'utf8');
    expect(code).toBe(migrate(RULE).code);
    for (const line of PRESERVED) expect(code).toContain(line);
    for (const token of TOKENS) expect(count(code, token), token).toBe(count(RULE, token));
  });

  it('never writes a rules-configs secret value anywhere', () => {
    const dir = tempDir();
    cpSync(path.join(ROOT, 'fixtures/tenants/acme-directory'), path.join(dir, 'acme'), { recursive: true });
    const values = readdirSync(path.join(dir, 'acme', 'rules-configs')).map(
      (f) => (JSON.parse(readFileSync(path.join(dir, 'acme', 'rules-configs', f), 'utf8')) as { value: string }).value,
    );
    const plain = values.filter((v) => !/^(##|@@)/.test(v));
    expect(plain.length).toBeGreaterThan(0);
    const out = path.join(dir, 'out');
    const runs = [
      cli(['migrate', path.join(dir, 'acme'), '--out', out]),
      cli(['migrate', path.join(dir, 'acme')]),
      cli(['migrate', path.join(dir, 'acme'), '--format', 'json']),
      cli(['migrate', path.join(dir, 'acme'), '--format', 'markdown']),
    ];
    const everything = [...runs.map((r) => r.all), ...Object.values(snapshot(out))].join('\n');
    expect(existsSync(out)).toBe(true);
    for (const value of plain) expect(everything).not.toContain(value);
  });
});
