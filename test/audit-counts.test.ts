// Issue 13.6: audit counts rules, not errors. Inputs that could not be read are listed as such;
// effort is for enabled rules only; a tenant with no rules costs 0 h; a live tenant refused the
// deprecated Rules feature says exactly that.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { main, type Io } from '../src/cli/main.js';
import { EFFORT, type AuditReport } from '../src/format/audit-model.js';
import { BASE_URL_ENV } from '../src/inputs/live.js';

async function audit(args: string[]) {
  let stdout = '';
  let stderr = '';
  const io: Io = { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t), isTTY: false };
  const code = await main(['audit', ...args], io);
  return { code, stdout, stderr };
}

const json = async (args: string[]) => {
  const run = await audit([...args, '--format', 'json']);
  return { ...run, report: JSON.parse(run.stdout) as AuditReport };
};

const CLAIM = `function (user, context, callback) {\n  context.idToken['https://example.com/a'] = user.email;\n  callback(null, user, context);\n}\n`;

function directoryExport(rules: Array<{ name: string; enabled?: boolean }>, extra: Record<string, string> = {}): string {
  const root = mkdtempSync(path.join(tmpdir(), 'r2a-audit-counts-'));
  mkdirSync(path.join(root, 'rules'));
  rules.forEach((r, i) => {
    writeFileSync(path.join(root, 'rules', `${r.name}.js`), CLAIM);
    writeFileSync(path.join(root, 'rules', `${r.name}.json`), JSON.stringify({ name: r.name, order: i + 1, enabled: r.enabled ?? true }));
  });
  for (const [file, text] of Object.entries(extra)) writeFileSync(path.join(root, file), text);
  return root;
}

describe('audit counts rules, not errors', () => {
  it('a broken sidecar is an input that could not be read: 5 rules stay 5', async () => {
    const root = directoryExport(['a', 'b', 'c', 'd', 'e'].map((name) => ({ name })), { 'rules/broken.json': '{ "name": "broken", ' });
    const { code, report, stdout } = await json([root]);
    expect(code).toBe(2);
    const [t] = report.tenants;
    expect(t.counts.rules).toBe(5);
    expect(t.counts.unreadable).toBe(1);
    expect(t.unreadable[0].source).toMatch(/broken\.json$/);
    expect(t.counts.failed).toBe(0);
    expect(report.overall).toMatchObject({ rules: 5, unreadable: 1 });
    // The effort is that of the 5 rules, nothing for the file.
    expect(t.counts.effortHours).toBeCloseTo(EFFORT.tenant + 5 * EFFORT.status.migrated, 2);
    expect(stdout).toContain('"unreadable"');
    const table = await audit([root]);
    expect(table.stdout).toMatch(/✖ could not be read: .*broken\.json/);
  });

  it('effort counts enabled rules only; a tenant with no rules, or only disabled ones, is 0 h', async () => {
    const mixed = directoryExport([{ name: 'on' }, { name: 'off', enabled: false }]);
    const { report } = await json([mixed]);
    const off = report.tenants[0].rules.find((r) => r.name === 'off')!;
    expect(off.effortHours).toBe(0);
    expect(report.tenants[0].counts.effortHours).toBeCloseTo(EFFORT.tenant + EFFORT.status.migrated, 2);

    const empty = mkdtempSync(path.join(tmpdir(), 'r2a-audit-empty-'));
    writeFileSync(path.join(empty, 'tenant.yaml'), 'rules: []\n');
    const disabled = directoryExport([{ name: 'off', enabled: false }]);
    const both = await json([path.join(empty, 'tenant.yaml'), disabled]);
    expect(both.code).toBe(0);
    expect(both.report.tenants.map((t) => [t.counts.rules, t.counts.effortHours])).toEqual([[0, 0], [1, 0]]);
    expect(both.report.overall.effortHours).toBe(0);
  });
});

describe('audit --from-tenant', () => {
  const saved = { ...process.env };
  let server: ReturnType<typeof createServer> | undefined;

  afterEach(async () => {
    if (server) await new Promise((resolve) => server!.close(resolve));
    server = undefined;
    for (const key of ['AUTH0_CLIENT_ID', 'AUTH0_CLIENT_SECRET', BASE_URL_ENV]) {
      if (saved[key] === undefined) delete process.env[key];
      else process.env[key] = saved[key];
    }
  });

  async function serve(rules: (res: ServerResponse) => void) {
    server = createServer((req: IncomingMessage, res: ServerResponse) => {
      req.resume();
      req.on('end', () => {
        const url = new URL(req.url!, 'http://127.0.0.1');
        if (url.pathname === '/oauth/token') {
          res.writeHead(200, { 'content-type': 'application/json' });
          return res.end(JSON.stringify({ access_token: 't', token_type: 'Bearer' }));
        }
        if (url.pathname === '/api/v2/rules') return rules(res);
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end('{"message":"not found"}');
      });
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    Object.assign(process.env, { AUTH0_CLIENT_ID: 'cid', AUTH0_CLIENT_SECRET: 'secret', [BASE_URL_ENV]: `http://127.0.0.1:${port}` });
  }

  it('an unreachable tenant is an input that could not be read: 0 rules, 0 h', async () => {
    await serve((res) => {
      res.writeHead(503, { 'content-type': 'application/json' });
      res.end('{"message":"Service Unavailable"}');
    });
    const { code, report } = await json(['--from-tenant', 'down.eu.auth0.com']);
    expect(code).toBe(2);
    expect(report.tenants[0].counts).toMatchObject({ rules: 0, failed: 0, unreadable: 1, effortHours: 0 });
    expect(report.tenants[0].unreadable[0].message).toContain('HTTP 503');
  });

  it('a tenant refused the deprecated Rules feature says exactly that, with 0 rules and 0 h', async () => {
    await serve((res) => {
      res.writeHead(403, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ statusCode: 403, error: 'Forbidden', message: 'Insufficient privileges to use this deprecated feature' }));
    });
    // With a tenant that has rules beside it: an audit of nothing but empty tenants is "No rules found" (exit 2).
    const { code, report, stderr } = await json([directoryExport([{ name: 'a' }]), '--from-tenant', 'new.eu.auth0.com']);
    expect(code).toBe(0);
    const t = report.tenants[1];
    expect(t.counts).toMatchObject({ rules: 0, unreadable: 0, effortHours: 0 });
    expect(t.notes).toEqual([
      'https://new.eu.auth0.com: the Management API answers 403 "Insufficient privileges to use this deprecated feature" for GET /api/v2/rules: Rules are not available on this tenant, so it has no rules to migrate.',
    ]);
    expect(stderr).toContain('Insufficient privileges to use this deprecated feature');
  });
});
