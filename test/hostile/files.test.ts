/**
 * Hostile exports and output folders: reads stay inside the export, writes never go through a
 * symbolic link, broken files never echo their text, bytes are never changed silently, and names
 * that a file system rejects are renamed with a finding. Each case asserts the safe outcome.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { main, type Io } from '../../src/cli/main.js';
import { decodeText } from '../../src/io/encoding.js';
import { safeFileName } from '../../src/emit/plan.js';
import { BASE_URL_ENV } from '../../src/inputs/live.js';
import { createCertificate } from '../../src/verify/emulator.js';

const RULE = 'function (user, context, callback) {\n  context.idToken["https://x/n"] = 1;\n  callback(null, user, context);\n}\n';
const SECRET = 'sk_live_NEVER_PRINT_ME_4242';

function capture() {
  const out = { stdout: '', stderr: '' };
  const io: Io = { stdout: (t) => void (out.stdout += t), stderr: (t) => void (out.stderr += t), isTTY: false };
  return { io, out };
}
const tmp = () => mkdtempSync(path.join(tmpdir(), 'r2a-hostile-'));
const write = (file: string, text: string | Buffer) => {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
};
const everything = (out: { stdout: string; stderr: string }, dir?: string) =>
  out.stdout + out.stderr + (dir && existsSync(dir) ? readdirSync(dir, { recursive: true }).map(String).filter((f) => !lstatSync(path.join(dir, f)).isDirectory()).map((f) => readFileSync(path.join(dir, f), 'utf8')).join('\n') : '');

/** A deploy-cli directory export with one good rule; `outside` holds a file the export must not read. */
function exportWithOutside() {
  const base = tmp();
  const root = path.join(base, 'tenant');
  const outside = path.join(base, 'outside-secret.js');
  write(outside, `// ${SECRET}\n${RULE}`);
  write(path.join(root, 'rules', 'good.js'), RULE);
  write(path.join(root, 'rules', 'good.json'), JSON.stringify({ name: 'good', script: './good.js', order: 1, enabled: true }));
  return { base, root, outside };
}

describe('reads stay inside the export', () => {
  it('a sidecar script of ../../outside is a located read-error, never read; the rest is migrated', async () => {
    const { root } = exportWithOutside();
    write(path.join(root, 'rules', 'evil.json'), `{\n  "name": "evil",\n  "script": "../../outside-secret.js"\n}\n`);
    const { io, out } = capture();
    const dir = tmp();
    expect(await main(['migrate', root, '--out', dir, '--format', 'json'], io)).toBe(2);
    const report = JSON.parse(out.stdout);
    const evil = report.rules.find((r: { findings: Array<{ code: string }> }) => r.findings.some((f) => f.code === 'read-error'));
    expect(evil.findings[0]).toMatchObject({ code: 'read-error', line: 3, column: 14 });
    expect(evil.findings[0].message).toContain('outside the export folder');
    expect(report.rules.filter((r: { status: string }) => r.status === 'migrated')).toHaveLength(1);
    expect(everything(out, dir)).not.toContain(SECRET);
  });

  it('a tenant.yaml script of ../outside and a script that is a link to outside are not read', async () => {
    const { base, outside } = exportWithOutside();
    const root = path.join(base, 'yaml');
    write(path.join(root, 'rules', 'ok.js'), RULE);
    symlinkSync(outside, path.join(root, 'rules', 'linked.js'));
    write(
      path.join(root, 'tenant.yaml'),
      'rules:\n  - name: ok\n    script: ./rules/ok.js\n  - name: up\n    script: ../outside-secret.js\n  - name: linked\n    script: ./rules/linked.js\n',
    );
    const { io, out } = capture();
    expect(await main(['audit', root, '--format', 'json'], io)).toBe(2);
    expect(everything(out)).not.toContain(SECRET);
    const { io: io2, out: out2 } = capture();
    await main(['migrate', root, '--format', 'json'], io2);
    const report = JSON.parse(out2.stdout);
    const errors = report.rules.flatMap((r: { findings: Array<{ code: string; line: number; message: string }> }) => r.findings.filter((f) => f.code === 'read-error'));
    expect(errors.map((f: { line: number }) => f.line).sort()).toEqual([5, 7]);
    expect(errors.find((f: { line: number }) => f.line === 7).message).toContain('symbolic link');
    expect(report.summary.migrated).toBe(1);
  });

  it('a link inside the export to a file inside it is followed; links in a plain folder to elsewhere are not', async () => {
    const { base, root, outside } = exportWithOutside();
    symlinkSync('good.js', path.join(root, 'rules', 'alias.js'));
    const { io, out } = capture();
    await main(['migrate', root, '--format', 'json'], io);
    expect(JSON.parse(out.stdout).summary.migrated).toBe(2);
    const plain = path.join(base, 'plain');
    write(path.join(plain, 'a.js'), RULE);
    symlinkSync(outside, path.join(plain, 'b.js'));
    const { io: io3, out: out3 } = capture();
    expect(await main(['migrate', plain, '--format', 'json'], io3)).toBe(2);
    expect(out3.stdout).not.toContain(SECRET);
    expect(JSON.parse(out3.stdout).summary).toMatchObject({ migrated: 1, failed: 1 });
  });

  it('a triggers.json that is a link to a file elsewhere is not read, and none of its bytes are printed', async () => {
    const { base, root } = exportWithOutside();
    const target = path.join(base, 'passwd');
    write(target, `root:${SECRET}:0:0\n`);
    mkdirSync(path.join(root, 'triggers'));
    symlinkSync(target, path.join(root, 'triggers', 'triggers.json'));
    const { io, out } = capture();
    const dir = tmp();
    await main(['migrate', root, '--out', dir], io);
    expect(everything(out, dir)).not.toContain(SECRET);
    expect(everything(out)).toContain('symbolic link');
  });
});

describe('writes never go through a symbolic link', () => {
  it('--write into an export whose actions/ and triggers/ are links elsewhere: refused, naming the link, nothing written there', async () => {
    const { base, root } = exportWithOutside();
    const elsewhere = path.join(base, 'elsewhere');
    mkdirSync(path.join(elsewhere, 'actions'), { recursive: true });
    mkdirSync(path.join(elsewhere, 'triggers'), { recursive: true });
    symlinkSync(path.join(elsewhere, 'actions'), path.join(root, 'actions'));
    symlinkSync(path.join(elsewhere, 'triggers'), path.join(root, 'triggers'));
    const { io, out } = capture();
    const code = await main(['migrate', root, '--write', '--force', '--format', 'json'], io);
    expect(readdirSync(path.join(elsewhere, 'actions'))).toEqual([]);
    expect(readdirSync(path.join(elsewhere, 'triggers'))).toEqual([]);
    expect(code).not.toBe(0);
    // Whichever link is met first is named: triggers/ (read before writing) stops the run.
    expect(out.stdout + out.stderr).toContain(`${path.join(root, 'triggers')} is a symbolic link`);
  });

  it('one Action that cannot be written fails alone: the others, the bindings and the report are written', async () => {
    const { base, root } = exportWithOutside();
    write(path.join(root, 'rules', 'second.js'), RULE);
    write(path.join(root, 'rules', 'second.json'), JSON.stringify({ name: 'second', order: 2, enabled: true }));
    write(path.join(root, 'triggers', 'triggers.json'), JSON.stringify({ 'post-login': [] }));
    const out = path.join(base, 'out');
    mkdirSync(path.join(out, 'actions'), { recursive: true });
    symlinkSync(path.join(base, 'elsewhere-code'), path.join(out, 'actions', 'good'));
    const { io } = capture();
    expect(await main(['migrate', root, '--out', out, '--format', 'json'], io)).toBe(1);
    expect(existsSync(path.join(base, 'elsewhere-code'))).toBe(false);
    const report = JSON.parse(readFileSync(path.join(out, 'migration-report.json'), 'utf8'));
    const good = report.rules.find((r: { name: string }) => r.name === 'good');
    expect(good.status).toBe('failed');
    expect(good.findings.at(-1)).toMatchObject({ code: 'write-error', severity: 'error' });
    expect(good.findings.at(-1).message).toContain('is a symbolic link');
    expect(readFileSync(path.join(out, 'actions', 'second', 'code.js'), 'utf8')).toContain('onExecutePostLogin');
    const bound = JSON.parse(readFileSync(path.join(out, 'triggers', 'triggers.json'), 'utf8'))['post-login'].map((b: { action_name: string }) => b.action_name);
    expect(bound).toEqual(['second']);
  });

  it('stale temporary files of a killed run are removed; a live run\'s are kept', async () => {
    const { base, root } = exportWithOutside();
    const out = path.join(base, 'out');
    const dead = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' }).stdout.trim();
    write(path.join(out, 'actions', 'good', `.code.js.${dead}.${Date.now() - 5000}.tmp`), 'half');
    write(path.join(out, 'actions', 'good', `.code.js.${process.ppid}.${Date.now()}.tmp`), 'in progress');
    const { io } = capture();
    await main(['migrate', root, '--out', out], io);
    expect(readdirSync(path.join(out, 'actions', 'good')).sort()).toEqual(['.code.js.' + process.ppid + '.' + readdirSync(path.join(out, 'actions', 'good')).find((f) => f.includes(`.${process.ppid}.`))!.split('.')[4] + '.tmp', 'code.js'].sort());
  });

  it('--write leaves a git-ignored rule alone and says why', async () => {
    const repo = tmp();
    execFileSync('git', ['init', '-q'], { cwd: repo });
    write(path.join(repo, '.gitignore'), 'ignored.js\n');
    write(path.join(repo, 'ignored.js'), RULE);
    write(path.join(repo, 'tracked.js'), RULE);
    execFileSync('git', ['-c', 'user.email=t@example.com', '-c', 'user.name=t', 'add', '.'], { cwd: repo });
    execFileSync('git', ['-c', 'user.email=t@example.com', '-c', 'user.name=t', 'commit', '-qm', 'x'], { cwd: repo });
    const { io, out } = capture();
    await main(['migrate', path.join(repo, 'ignored.js'), path.join(repo, 'tracked.js'), '--write'], io);
    expect(readFileSync(path.join(repo, 'ignored.js'), 'utf8')).toBe(RULE);
    expect(readFileSync(path.join(repo, 'tracked.js'), 'utf8')).toContain('onExecutePostLogin');
    expect(out.stderr).toContain('ignored.js is ignored by git');
  });
});

describe('no secret text in messages', () => {
  it('broken rules-configs JSON and YAML give file, line, column and kind only', async () => {
    const { root } = exportWithOutside();
    write(path.join(root, 'rules-configs', 'api.json'), `{ "key": "API_KEY", "value": "${SECRET}" oops }`);
    write(path.join(root, 'rules-configs', 'short.json'), `{"value": ${SECRET}}`);
    const { io, out } = capture();
    const dir = tmp();
    expect(await main(['migrate', root, '--out', dir], io)).toBe(2);
    expect(out.stdout).toMatch(/api\.json:1:\d+: invalid JSON: expected ',' or '\}'/);
    expect(out.stdout).toMatch(/short\.json:1:11: invalid JSON: unexpected character/);
    for (const format of ['html', 'json', 'markdown']) {
      const audit = capture();
      await main(['audit', root, '--format', format], audit.io);
      expect(everything(audit.out)).not.toContain(SECRET.slice(0, 8));
    }
    expect(everything(out, dir)).not.toContain(SECRET.slice(0, 8));
    const yaml = path.join(tmp(), 'tenant.yaml');
    write(yaml, `rulesConfigs:\n  - key: K\n    value: "${SECRET}\n  bad: [\n`);
    const y = capture();
    await main(['migrate', yaml], y.io);
    expect(y.out.stdout).toMatch(/tenant\.yaml:\d+:\d+: invalid YAML: [a-z ]+\./);
    expect(everything(y.out)).not.toContain(SECRET.slice(0, 8));
  });

  describe('--from-tenant', () => {
    const saved = { ...process.env };
    let server: Server | undefined;
    afterEach(() => {
      server?.close();
      server = undefined;
      for (const key of ['AUTH0_CLIENT_ID', 'AUTH0_CLIENT_SECRET', BASE_URL_ENV]) {
        if (saved[key] === undefined) delete process.env[key];
        else process.env[key] = saved[key];
      }
    });

    it('an error body that echoes the secret and the token is never printed', async () => {
      server = createServer((req, res) => {
        let body = '';
        req.on('data', (c) => (body += c));
        req.on('end', () => {
          if (req.url === '/oauth/token') return void res.end(JSON.stringify({ access_token: 'tok-NEVER-PRINT' }));
          res.writeHead(403, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ error: 'access_denied', message: `denied for ${req.headers.authorization} ${process.env.AUTH0_CLIENT_SECRET}`, echo: body }));
        });
      });
      await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
      Object.assign(process.env, { AUTH0_CLIENT_ID: 'cid', AUTH0_CLIENT_SECRET: SECRET, [BASE_URL_ENV]: `http://127.0.0.1:${(server.address() as { port: number }).port}` });
      const { io, out } = capture();
      expect(await main(['migrate', '--from-tenant', 'acme.eu.auth0.com'], io)).toBe(2);
      expect(out.stdout).toContain('GET https://acme.eu.auth0.com/api/v2/rules: HTTP 403 Forbidden (access_denied)');
      expect(everything(out)).not.toContain(SECRET);
      expect(everything(out)).not.toContain('tok-NEVER-PRINT');
    });

    it('refuses a plain-http base URL that is not this machine, before sending anything', async () => {
      Object.assign(process.env, { AUTH0_CLIENT_ID: 'cid', AUTH0_CLIENT_SECRET: SECRET, [BASE_URL_ENV]: 'http://tenant.example.com' });
      const { io, out } = capture();
      expect(await main(['migrate', '--from-tenant', 'acme.eu.auth0.com'], io)).toBe(2);
      expect(out.stderr).toContain('is not HTTPS');
    });

    it('says why TLS failed (an untrusted certificate) instead of "fetch failed"', async () => {
      const { cert, key } = await createCertificate();
      server = createHttpsServer({ cert, key }, (_, res) => res.end('{}')) as unknown as Server;
      await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
      Object.assign(process.env, { AUTH0_CLIENT_ID: 'cid', AUTH0_CLIENT_SECRET: SECRET, [BASE_URL_ENV]: `https://localhost:${(server.address() as { port: number }).port}` });
      const { io, out } = capture();
      expect(await main(['migrate', '--from-tenant', 'acme.eu.auth0.com'], io)).toBe(2);
      expect(out.stdout).toMatch(/POST https:\/\/acme\.eu\.auth0\.com\/oauth\/token: the server's TLS certificate .*(self-signed|not trusted)/);
      expect(out.stdout).not.toContain('fetch failed');
    });
  });
});

describe('bytes are never changed silently', () => {
  it('a Latin-1 rule is a located encoding error and is not rewritten by --write', async () => {
    const dir = tmp();
    const bytes = Buffer.concat([Buffer.from('function (user, context, callback) {\n  // caf'), Buffer.from([0xe9]), Buffer.from('\n  callback(null, user, context);\n}\n')]);
    write(path.join(dir, 'latin1.js'), bytes);
    const { io, out } = capture();
    await main(['migrate', path.join(dir, 'latin1.js'), '--write', '--format', 'json'], io);
    expect(readFileSync(path.join(dir, 'latin1.js')).equals(bytes)).toBe(true);
    const [rule] = JSON.parse(out.stdout).rules;
    expect(rule.status).toBe('failed');
    expect(rule.findings[0]).toMatchObject({ code: 'encoding', line: 2, column: 9 });
  });

  it('a UTF-16 rule with a BOM is migrated and written back in UTF-16 (LE and BE)', async () => {
    for (const encoding of ['utf16le', 'utf16be'] as const) {
      const dir = tmp();
      const le = Buffer.from(`\uFEFF${RULE.replace('1;', "'é ✓';")}`, 'utf16le');
      const bytes = encoding === 'utf16le' ? le : Buffer.from(le).swap16();
      write(path.join(dir, 'wide.js'), bytes);
      const { io } = capture();
      expect(await main(['migrate', path.join(dir, 'wide.js'), '--write'], io)).toBe(0);
      const after = readFileSync(path.join(dir, 'wide.js'));
      expect([...after.subarray(0, 2)]).toEqual(encoding === 'utf16le' ? [0xff, 0xfe] : [0xfe, 0xff]);
      const text = decodeText('wide.js', after);
      expect(text.encoding).toBe(encoding);
      expect(text.text).toContain('exports.onExecutePostLogin');
      expect(text.text).toContain("'é ✓'");
    }
  });
});

describe('names', () => {
  it('overlong, reserved and colliding names are renamed deterministically, each with an info finding; nothing aborts', async () => {
    const base = tmp();
    const root = path.join(base, 'tenant');
    const long = 'Very long rule name '.repeat(20).trim();
    const names = [long, 'CON', 'aux', 'Claims', 'claims', 'ok'];
    names.forEach((name, i) => {
      write(path.join(root, 'rules', `r${i}.js`), RULE);
      write(path.join(root, 'rules', `r${i}.json`), JSON.stringify({ name, script: `./r${i}.js`, order: i }));
    });
    const out = path.join(base, 'out');
    const { io } = capture();
    expect(await main(['migrate', root, '--out', out], io)).toBe(0);
    const report = JSON.parse(readFileSync(path.join(out, 'migration-report.json'), 'utf8'));
    const renamed = (name: string) => report.rules.find((r: { name: string }) => r.name === name).findings.filter((f: { code: string }) => f.code === 'action-renamed');
    expect(report.rules.every((r: { status: string }) => r.status === 'migrated')).toBe(true);
    const longFile = safeFileName(long).file;
    expect(Buffer.byteLength(longFile)).toBeLessThanOrEqual(200);
    expect(longFile).toMatch(/-[0-9a-f]{8}$/);
    expect(existsSync(path.join(out, 'actions', `${longFile}.json`))).toBe(true);
    expect(renamed(long)[0]).toMatchObject({ severity: 'info' });
    expect(renamed(long)[0].message).toContain('longer than 200 bytes');
    expect(safeFileName('CON').file).toMatch(/^CON-[0-9a-f]{8}$/);
    expect(safeFileName('CON')).toEqual(safeFileName('CON'));
    expect(renamed('CON')[0].message).toContain('device name Windows reserves');
    expect(renamed('aux')).toHaveLength(1);
    expect(renamed('claims')[0].message).toContain('the Action is named "claims-2"');
    expect(renamed('claims')[0].message).toContain('"claims"');
    expect(renamed('Claims')).toHaveLength(0);
    expect(renamed('ok')).toHaveLength(0);
    expect(readdirSync(path.join(out, 'actions')).some((f) => /^(con|aux)(\.json)?$/i.test(f))).toBe(false);
  });
});

describe('special files', () => {
  it('a FIFO, a broken link and a link loop named directly say what they are; inside a folder they are reported, not skipped', async () => {
    const dir = tmp();
    write(path.join(dir, 'rules', 'ok.js'), RULE);
    execFileSync('mkfifo', [path.join(dir, 'rules', 'pipe.js')]);
    symlinkSync('missing.js', path.join(dir, 'rules', 'broken.js'));
    symlinkSync('loop-b.js', path.join(dir, 'rules', 'loop-a.js'));
    symlinkSync('loop-a.js', path.join(dir, 'rules', 'loop-b.js'));
    const named = async (file: string) => {
      const { io, out } = capture();
      const code = await main(['migrate', path.join(dir, 'rules', file), '--format', 'json'], io);
      return { code, text: out.stdout + out.stderr };
    };
    const pipe = await named('pipe.js');
    expect(pipe.text).toContain('not a regular file (a named pipe (FIFO))');
    expect((await named('broken.js')).text).toContain('broken.js is a broken symbolic link (to missing.js)');
    expect((await named('loop-a.js')).text).toContain('loop-a.js is a symbolic link loop');
    const { io, out } = capture();
    await main(['migrate', path.join(dir, 'rules'), '--format', 'json'], io);
    const report = JSON.parse(out.stdout);
    const bySource = Object.fromEntries(report.rules.map((r: { source: string; status: string; findings: Array<{ message: string }> }) => [path.basename(r.source), r]));
    expect(bySource['ok.js'].status).toBe('migrated');
    expect(bySource['pipe.js'].findings[0].code).toBe('not-a-file');
    expect(bySource['broken.js'].findings[0].message).toContain('broken symbolic link');
    expect(bySource['loop-a.js'].findings[0].message).toContain('symbolic link loop');
  }, 30_000);
});
