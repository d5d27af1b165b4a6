// Tenant exports in, deployable Actions out: readers, layouts, bindings, secrets, tokens, live tenant.
import { execFile } from 'node:child_process';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { main, type Io } from '../src/cli/main.js';
import { createProgress } from '../src/cli/progress.js';
import { hclString } from '../src/emit/terraform.js';
import { DataError, parseJson, parseYaml } from '../src/inputs/data.js';
import { readTenants } from '../src/inputs/index.js';
import { BASE_URL_ENV } from '../src/inputs/live.js';
import { configKeysUsed } from '../src/tenants.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const TENANTS = path.join(ROOT, 'fixtures/tenants');
const ACME = path.join(TENANTS, 'acme-directory');
const GLOBEX = path.join(TENANTS, 'globex-yaml');
const INITECH = path.join(TENANTS, 'initech-api.json');
const HOOLI = path.join(TENANTS, 'hooli-cli.json');
const BIN = path.join(ROOT, 'bin/rules2actions.js');
/** rules-configs values of the fixtures: none may appear in any output. */
const SECRET_VALUES = ['hook-value-never-to-appear-7f3a', 'unused-value-never-to-appear-91c2', 'salt-value-never-to-appear-5d1e', '##API_KEY_VALUE##', '##AUDIT_URL##'];

function capture(overrides: Partial<Io> = {}) {
  const out = { stdout: '', stderr: '' };
  const io: Io = { stdout: (t) => void (out.stdout += t), stderr: (t) => void (out.stderr += t), isTTY: false, ...overrides };
  return { io, out };
}

const tmp = () => mkdtempSync(path.join(tmpdir(), 'r2a-tenants-'));
const read = (...parts: string[]) => readFileSync(path.join(...parts), 'utf8');
const readJson = (...parts: string[]) => JSON.parse(read(...parts));

/** Every file below dir, relative, sorted, with its content. */
function tree(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  const walk = (sub: string) => {
    for (const entry of readdirSync(path.join(dir, sub)).sort()) {
      const rel = path.join(sub, entry);
      if (statSync(path.join(dir, rel)).isDirectory()) walk(rel);
      else files[rel.split(path.sep).join('/')] = readFileSync(path.join(dir, rel), 'utf8');
    }
  };
  walk('');
  return files;
}

function expectNoSecretValues(dir: string) {
  for (const [file, content] of Object.entries(tree(dir))) {
    for (const value of SECRET_VALUES) expect(content.includes(value), `${file} holds ${value}`).toBe(false);
  }
}

describe('readers', () => {
  it('reads a deploy-cli directory export: sidecars, minimal sidecars, scripts without sidecar, rules-configs keys, triggers', async () => {
    const [tenant] = await readTenants([ACME]);
    expect(tenant.format).toBe('directory');
    expect(tenant.name).toBe('acme-directory');
    const byName = Object.fromEntries(tenant.rules.map((r) => [r.name, r]));
    expect(Object.keys(byName).sort()).toEqual(
      ['Add Claims', 'Enrich Profile', 'Failure Logger', 'Legacy Disabled', 'Zeta Runs First', 'minimal', 'orphan-no-sidecar'].sort(),
    );
    expect(byName['Zeta Runs First']).toMatchObject({ order: 5, enabled: true, stage: 'login_success' });
    expect(byName['Legacy Disabled']).toMatchObject({ order: 10, enabled: false });
    expect(byName['Failure Logger']).toMatchObject({ stage: 'login_failure' });
    // `"enabled": @@ENRICH_ENABLED@@` is not JSON as written; a token decides at deploy time.
    expect(byName['Enrich Profile']).toMatchObject({ order: 30, enabled: true });
    expect(byName['Enrich Profile'].script).toContain('const env = @@ENV@@;');
    expect(byName.minimal).toMatchObject({ order: 100, enabled: true, stage: 'login_success' });
    expect(byName['orphan-no-sidecar'].order).toBeUndefined();
    expect(byName['Add Claims'].source).toBe(path.join(ACME, 'rules', 'Add Claims.js'));
    expect(tenant.configKeys).toEqual(['API_KEY', 'SLACK_HOOK', 'UNUSED_KEY']);
    expect(JSON.stringify(tenant)).not.toContain('never-to-appear');
    expect(tenant.triggers).toEqual({ 'post-login': [{ action_name: 'Existing Action', display_name: 'Existing Action' }] });
    expect(tenant.problems).toEqual([]);
  });

  it('reads a tenant.yaml export with bare keyword tokens, paths relative to the YAML, with or without ./', async () => {
    const [tenant] = await readTenants([GLOBEX]);
    expect(tenant.format).toBe('yaml');
    expect(tenant.rules.map((r) => [r.name, r.order, r.enabled, r.stage])).toEqual([
      ['Audit Logins', 30, true, 'login_success'],
      ['Link Accounts', 10, true, 'login_success'],
      ['Old Redirect', 20, false, 'login_success'],
      ['Pre Authorize Check', 40, true, 'pre_authorize'],
    ]);
    expect(tenant.rules[0].script).toContain("' in ##REGION##'");
    expect(tenant.configKeys).toEqual(['AUDIT_URL', 'LINK_SALT']);
    // The same folder given as its tenant.yaml.
    const [same] = await readTenants([path.join(GLOBEX, 'tenant.yaml')]);
    expect(same.rules.map((r) => r.script)).toEqual(tenant.rules.map((r) => r.script));
    expect(same.name).toBe('globex-yaml');
  });

  it('reads Management API ({rules}) and Auth0 CLI (array) dumps with ids', async () => {
    const [api, cli] = await readTenants([INITECH, HOOLI]);
    expect(api.format).toBe('api');
    expect(api.rules.map((r) => [r.id, r.name, r.order, r.enabled])).toEqual([
      ['rul_init0003', 'Deny Contractors', 2, true],
      ['rul_init0001', 'Add Country', 1, true],
      ['rul_init0002', 'Broken Syntax', 3, false],
    ]);
    expect(api.rules[0].source).toBe(`${INITECH}#Deny Contractors`);
    expect(api.rules[0].script).toContain("context.clientName === '@@ADMIN_APP@@'");
    expect(cli.rules.map((r) => r.id)).toEqual(['rul_hooli02', 'rul_hooli01']);
  });

  it('treats a folder of exports as one tenant per export, in name order', async () => {
    const tenants = await readTenants([TENANTS]);
    expect(tenants.map((t) => [t.name, t.format])).toEqual([
      ['acme-directory', 'directory'],
      ['globex-yaml', 'yaml'],
      ['hooli-cli', 'api'],
      ['initech-api', 'api'],
    ]);
  });

  it('reports invalid JSON and YAML with file and line, and goes on with the other inputs', async () => {
    const broken = path.join(TENANTS, 'invalid/broken.json');
    const brokenYaml = path.join(TENANTS, 'invalid/broken-yaml/tenant.yaml');
    const tenants = await readTenants([broken, path.join(TENANTS, 'invalid/broken-yaml'), HOOLI]);
    expect(tenants[0].problems).toEqual([expect.objectContaining({ source: broken, line: 6, column: 5 })]);
    expect(tenants[0].problems[0].message).toMatch(/^.*broken\.json:6:5: invalid JSON/);
    expect(tenants[1].problems).toEqual([expect.objectContaining({ source: brokenYaml, line: 4 })]);
    expect(tenants[1].problems[0].message).toContain('invalid YAML');
    expect(tenants[2].rules).toHaveLength(2);
  });

  it('keeps every token byte for byte through JSON and YAML parsing', () => {
    const json = '{\n  "name": "##PREFIX## rule",\n  "enabled": @@ON@@,\n  "list": [@@A@@, "x@@A@@y"],\n  "esc": "a\\"@@Q@@"\n}';
    expect(parseJson(json, 'x.json')).toEqual({ name: '##PREFIX## rule', enabled: '@@ON@@', list: ['@@A@@', 'x@@A@@y'], esc: 'a"@@Q@@' });
    const yaml = 'rulesConfigs:\n  - key: K\n    value: ##SECRET##\nname: @@NAME@@\nquoted: "say @@HI@@"\n';
    expect(parseYaml(yaml, 'x.yaml').value).toEqual({ rulesConfigs: [{ key: 'K', value: '##SECRET##' }], name: '@@NAME@@', quoted: 'say @@HI@@' });
  });

  it('locates JSON errors V8 does not place', () => {
    const attempt = (text: string) => {
      try {
        parseJson(text, 'f.json');
        return null;
      } catch (error) {
        return error as DataError;
      }
    };
    expect(attempt('{\n  "a": 1,\n  "b": }')).toMatchObject({ line: 3, column: 8 });
    expect(attempt('[\n  1,\n  oops\n]')).toMatchObject({ line: 3, column: 3 });
    expect(attempt('{"a": 1}')).toBeNull();
  });

  it('finds the rules-configs keys a rule reads: dotted, bracketed, destructured, or all of them when dynamic', () => {
    const keys = ['A', 'B-C', 'D', 'E'];
    expect(configKeysUsed("x = configuration.A; y = configuration['B-C'];", keys)).toEqual(['A', 'B-C']);
    expect(configKeysUsed('const { D, E: e } = configuration;', keys)).toEqual(['D', 'E']);
    expect(configKeysUsed('for (const k in configuration) {}', keys)).toEqual(keys);
    expect(configKeysUsed('x = configuration[name];', keys)).toEqual(keys);
    expect(configKeysUsed('x = context.configuration.A;', keys)).toEqual([]);
  });
});

describe('migrate --out, per format', () => {
  it('writes a deploy-cli directory: Actions, code, triggers in rule order (not name order), existing bindings kept', async () => {
    const out = tmp();
    const { io } = capture();
    expect(await main(['migrate', ACME, '--out', out], io)).toBe(1); // Failure Logger fails (stage)
    const files = tree(out);
    expect(Object.keys(files).filter((f) => f.startsWith('actions/') && f.endsWith('.json'))).toEqual([
      'actions/Add Claims.json',
      'actions/Enrich Profile.json',
      'actions/Legacy Disabled.json',
      'actions/Zeta Runs First.json',
      'actions/minimal.json',
      'actions/orphan-no-sidecar.json',
    ]);
    expect(readJson(out, 'triggers/triggers.json')['post-login'].map((b: { action_name: string }) => b.action_name)).toEqual([
      'Zeta Runs First', // order 5
      'Add Claims', // 20
      'Enrich Profile', // 30
      'minimal', // 100
      'orphan-no-sidecar', // no order: last of ours
      'Existing Action', // bound in the export already: kept after the migrated rules
    ]);
    const enrich = readJson(out, 'actions/Enrich Profile.json');
    expect(enrich).toEqual({
      name: 'Enrich Profile',
      code: './actions/Enrich Profile/code.js',
      runtime: 'node22',
      dependencies: [],
      secrets: [{ name: 'API_KEY', value: '' }],
      supported_triggers: [{ id: 'post-login', version: 'v3' }],
      deployed: true,
    });
    expect(read(out, 'actions/Enrich Profile/code.js')).toContain('const env = @@ENV@@;');
    // Found through configuration['SLACK_HOOK'] and the rules-configs keys.
    expect(readJson(out, 'actions/minimal.json').secrets).toEqual([{ name: 'SLACK_HOOK', value: '' }]);
    expect(readJson(out, 'actions/Legacy Disabled.json').deployed).toBe(false);
    expect(files['actions/Failure Logger.json']).toBeUndefined();
    const report = readJson(out, 'migration-report.json');
    const failure = report.rules.find((r: { name: string }) => r.name === 'Failure Logger');
    expect(failure.status).toBe('failed');
    expect(failure.findings.map((f: { code: string }) => f.code)).toEqual(['unsupported-stage']);
    expect(report.rules.find((r: { name: string }) => r.name === 'Add Claims').action).toEqual({ name: 'Add Claims', file: 'actions/Add Claims/code.js' });
    expectNoSecretValues(out);
  });

  it('inserts into the triggers already in the out folder and stays byte-identical when run again', async () => {
    const out = tmp();
    mkdirSync(path.join(out, 'triggers'));
    const existing = {
      'post-login': [
        { action_name: 'Later Action', display_name: 'Later Action' },
        { action_name: 'Legacy Disabled', display_name: 'Legacy Disabled' },
      ],
      'post-user-registration': [{ action_name: 'Welcome', display_name: 'Welcome' }],
    };
    writeFileSync(path.join(out, 'triggers/triggers.json'), JSON.stringify(existing));
    await main(['migrate', ACME, '--out', out], capture().io);
    const triggers = readJson(out, 'triggers/triggers.json');
    // The out folder's bindings win over the export's; a disabled rule's Action is unbound.
    expect(triggers['post-login'].map((b: { action_name: string }) => b.action_name)).toEqual([
      'Zeta Runs First',
      'Add Claims',
      'Enrich Profile',
      'minimal',
      'orphan-no-sidecar',
      'Later Action',
    ]);
    expect(triggers['post-user-registration']).toEqual(existing['post-user-registration']);
    const first = tree(out);
    await main(['migrate', ACME, '--out', out], capture().io);
    expect(tree(out)).toEqual(first);
  });

  it('is deterministic: two fresh runs give byte-identical folders', async () => {
    const [a, b] = [tmp(), tmp()];
    await main(['migrate', TENANTS, '--out', a], capture().io);
    await main(['migrate', TENANTS, '--out', b], capture().io);
    expect(tree(a)).toEqual(tree(b));
    expect(Object.keys(tree(a)).length).toBeGreaterThan(20);
  });

  it('writes YAML for a tenant.yaml input: actions and (with --bindings replace) triggers in rule order, code beside it', async () => {
    const out = tmp();
    // This export has no triggers: key: its current bindings are unknown, so only replace writes a list.
    expect(await main(['migrate', GLOBEX, '--out', out, '--bindings', 'replace'], capture().io)).toBe(1);
    const yaml = parseYaml(read(out, 'tenant.yaml'), 'tenant.yaml').value as {
      actions: Array<{ name: string; code: string; secrets: unknown[]; deployed: boolean; dependencies: unknown[] }>;
      triggers: Record<string, Array<{ action_name: string }>>;
    };
    expect(yaml.actions.map((a) => [a.name, a.code, a.deployed])).toEqual([
      ['Audit Logins', './actions/Audit Logins/code.js', true],
      ['Link Accounts', './actions/Link Accounts/code.js', true],
      ['Old Redirect', './actions/Old Redirect/code.js', false],
    ]);
    expect(yaml.actions[0].secrets).toEqual([{ name: 'AUDIT_URL', value: '' }]);
    expect(yaml.triggers['post-login'].map((b) => b.action_name)).toEqual(['Link Accounts', 'Audit Logins']);
    expect(read(out, 'actions/Audit Logins/code.js')).toContain('##REGION##');
    expect(existsSync(path.join(out, 'actions/Pre Authorize Check/code.js'))).toBe(false);
    expectNoSecretValues(out);
  });

  it('edits a tenant.yaml already in the out folder, keeping its other keys and tokens byte for byte', async () => {
    const out = tmp();
    const before = [
      '# hand-written',
      'tenant:',
      '  friendly_name: Globex ##ENV##',
      'actions:',
      '  - name: Kept Action',
      '    code: ./actions/Kept Action/code.js',
      'triggers:',
      '  post-login:',
      '    - action_name: Kept Action',
      '      display_name: Kept Action',
      '',
    ].join('\n');
    writeFileSync(path.join(out, 'tenant.yaml'), before);
    await main(['migrate', GLOBEX, '--out', out], capture().io);
    const text = read(out, 'tenant.yaml');
    expect(text.startsWith('# hand-written\ntenant:\n  friendly_name: Globex ##ENV##\n')).toBe(true);
    const value = parseYaml(text, 'tenant.yaml').value as { actions: Array<{ name: string }>; triggers: Record<string, Array<{ action_name: string }>> };
    expect(value.actions.map((a) => a.name)).toEqual(['Kept Action', 'Audit Logins', 'Link Accounts', 'Old Redirect']);
    expect(value.triggers['post-login'].map((b) => b.action_name)).toEqual(['Link Accounts', 'Audit Logins', 'Kept Action']);
    const again = tree(out);
    await main(['migrate', GLOBEX, '--out', out], capture().io);
    expect(tree(out)).toEqual(again);
  });

  it('starts each Action from an API dump with the wasExecuted guard, unless --no-guard', async () => {
    const out = tmp();
    await main(['migrate', INITECH, '--out', out], capture().io);
    expect(read(out, 'actions/Add Country/code.js')).toMatch(/^exports\.onExecutePostLogin = async \(event, api\) => \{\n  if \(api\.rules\.wasExecuted\('rul_init0001'\)\) return;/);
    expect(read(out, 'actions/Deny Contractors/code.js')).toContain("if (api.rules.wasExecuted('rul_init0003')) return;");
    expect(read(out, 'actions/Deny Contractors/code.js')).toContain("'@@ADMIN_APP@@'");
    // A rules dump says nothing about the tenant's bindings: none are written.
    expect(existsSync(path.join(out, 'triggers/triggers.json'))).toBe(false);
    const bare = tmp();
    await main(['migrate', INITECH, '--out', bare, '--no-guard'], capture().io);
    expect(read(bare, 'actions/Add Country/code.js')).not.toContain('wasExecuted');
  });

  it('--emit terraform writes auth0_action and ordered auth0_trigger_actions, secrets as sensitive write-only variables', async () => {
    const out = tmp();
    await main(['migrate', ACME, '--out', out, '--emit', 'terraform'], capture().io);
    const tf = read(out, 'actions.tf');
    expect(tf).toContain('resource "auth0_action" "enrich_profile" {');
    expect(tf).toContain('  code    = file("${path.module}/actions/Enrich Profile/code.js")');
    expect(tf).toContain('variable "secret_api_key" {');
    expect(tf).toContain('  secrets_wo {\n    name  = "API_KEY"\n    value = var.secret_api_key\n  }');
    expect(tf).not.toMatch(/^\s*secrets \{/m);
    expect(tf).toMatch(/resource "auth0_action" "legacy_disabled" \{[^}]*deploy  = false/);
    const bindings = [...tf.matchAll(/id += (?:data\.)?auth0_action\.([\w-]+)\.id/g)].map((m) => m[1]);
    // The export's binding stays bound, after ours, looked up by name.
    expect(bindings).toEqual(['zeta_runs_first', 'add_claims', 'enrich_profile', 'minimal', 'orphan-no-sidecar', 'bound_existing_action']);
    expect(tf).toContain('data "auth0_action" "bound_existing_action" {\n  name = "Existing Action"\n}');
    expect(existsSync(path.join(out, 'actions/Add Claims/code.js'))).toBe(true);
    expectNoSecretValues(out);
    expect(hclString('a "b" ${c} %{d} \\')).toBe('"a \\"b\\" $${c} %%{d} \\\\"');
  });

  it('writes one subfolder per tenant when there are several', async () => {
    const out = tmp();
    await main(['migrate', GLOBEX, INITECH, '--out', out, '--emit', 'yaml'], capture().io);
    expect(readdirSync(out).sort()).toEqual(['globex-yaml', 'initech-api', 'migration-report.json', 'migration-report.md']);
    expect(existsSync(path.join(out, 'initech-api/tenant.yaml'))).toBe(true);
    const report = readJson(out, 'migration-report.json');
    expect(report.rules.find((r: { name: string }) => r.name === 'Add Country').action.file).toBe('initech-api/actions/Add Country/code.js');
  });

  it('keeps plain .js inputs as one tenant written straight into --out, without bindings', async () => {
    const dir = tmp();
    writeFileSync(path.join(dir, 'a.js'), 'function (user, context, callback) {\n  callback(null, user, context);\n}\n');
    writeFileSync(path.join(dir, 'b.js'), 'function (user, context, callback) {\n  callback(null, user, context);\n}\n');
    const out = tmp();
    await main(['migrate', path.join(dir, 'a.js'), path.join(dir, 'b.js'), '--out', out], capture().io);
    expect(Object.keys(tree(out)).sort()).toEqual(['actions/a.json', 'actions/a/code.js', 'actions/b.json', 'actions/b/code.js', 'migration-report.json', 'migration-report.md']);
  });

  it('goes on past an invalid export: the other tenant is written, the bad file is a failed entry with its line', async () => {
    const out = tmp();
    const { io, out: text } = capture();
    // An unreadable input makes the run exit 2, after everything else was migrated and written.
    expect(await main(['migrate', path.join(TENANTS, 'invalid/broken.json'), HOOLI, '--out', out, '--no-diff'], io)).toBe(2);
    expect(existsSync(path.join(out, 'hooli-cli/actions/Greet/code.js'))).toBe(true);
    expect(text.stdout).toContain('broken.json:6:5: invalid JSON');
    const report = readJson(out, 'migration-report.json');
    expect(report.rules.find((r: { status: string; findings: Array<{ code: string; line: number }> }) => r.findings[0]?.code === 'read-error').findings[0].line).toBe(6);
  });

  it('the built binary migrates an export folder as a user runs it', async () => {
    const out = tmp();
    const work = tmp();
    cpSync(ACME, path.join(work, 'acme'), { recursive: true });
    const run = await promisify(execFile)(process.execPath, [BIN, 'migrate', 'acme', '--out', out, '--format', 'json'], { cwd: work }).catch((e) => e);
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout).summary).toMatchObject({ rules: 7, failed: 1 });
    expect(readJson(out, 'triggers/triggers.json')['post-login'][0].action_name).toBe('Zeta Runs First');
    // Inputs are left alone.
    expect(tree(path.join(work, 'acme'))).toEqual(tree(ACME));
  });
});

describe('--from-tenant', () => {
  const saved = { ...process.env };
  let server: ReturnType<typeof createServer>;
  let requests: Array<{ method: string; url: string; auth?: string; body: string }>;
  const rules = Array.from({ length: 62 }, (_, i) => ({
    id: `rul_live${String(i).padStart(3, '0')}`,
    name: `Live ${String(i).padStart(3, '0')}`,
    // Reverse order: bindings must follow `order`, not the listing.
    order: 100 - i,
    enabled: i !== 1,
    stage: 'login_success',
    script: `function (user, context, callback) {\n  context.idToken['https://live.example/n'] = configuration.LIVE_KEY + '${i}';\n  callback(null, user, context);\n}`,
  }));

  beforeEach(async () => {
    requests = [];
    server = createServer((req: IncomingMessage, res: ServerResponse) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        requests.push({ method: req.method!, url: req.url!, auth: req.headers.authorization, body });
        const url = new URL(req.url!, 'http://127.0.0.1');
        const send = (status: number, value: unknown) => {
          res.writeHead(status, { 'content-type': 'application/json' });
          res.end(JSON.stringify(value));
        };
        if (url.pathname === '/oauth/token') {
          const parsed = JSON.parse(body);
          if (parsed.client_secret !== 'shh') return send(401, { error: 'access_denied', error_description: 'Unauthorized' });
          return send(200, { access_token: 'tok123', token_type: 'Bearer' });
        }
        if (req.headers.authorization !== 'Bearer tok123') return send(401, { message: 'no token' });
        if (url.pathname === '/api/v2/rules') {
          const page = Number(url.searchParams.get('page'));
          const perPage = Number(url.searchParams.get('per_page'));
          return send(200, { start: page * perPage, limit: perPage, total: rules.length, rules: rules.slice(page * perPage, (page + 1) * perPage) });
        }
        if (url.pathname === '/api/v2/rules-configs') return send(200, [{ key: 'LIVE_KEY' }, { key: 'OTHER' }]);
        if (url.pathname === '/api/v2/actions/triggers/post-login/bindings') {
          return send(200, { total: 1, page: 0, per_page: 50, bindings: [{ id: 'b1', trigger_id: 'post-login', display_name: 'Bound Already', action: { id: 'a1', name: 'Bound Already' } }] });
        }
        send(404, { message: 'not found' });
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    Object.assign(process.env, { AUTH0_CLIENT_ID: 'cid', AUTH0_CLIENT_SECRET: 'shh', [BASE_URL_ENV]: `http://127.0.0.1:${port}` });
  });

  afterEach(async () => {
    await new Promise((resolve) => server.close(resolve));
    for (const key of ['AUTH0_CLIENT_ID', 'AUTH0_CLIENT_SECRET', BASE_URL_ENV]) {
      if (saved[key] === undefined) delete process.env[key];
      else process.env[key] = saved[key];
    }
  });

  it('reads every page of rules and the rules-configs keys, then writes guarded Actions bound in order', async () => {
    const out = tmp();
    const { io, out: text } = capture({ stderrIsTTY: true });
    expect(await main(['migrate', '--from-tenant', 'acme.eu.auth0.com', '--out', out, '--no-diff'], io)).toBe(0);
    const token = JSON.parse(requests[0].body);
    expect(token).toEqual({ grant_type: 'client_credentials', client_id: 'cid', client_secret: 'shh', audience: 'https://acme.eu.auth0.com/api/v2/' });
    expect(requests.filter((r) => r.url.startsWith('/api/v2/rules?')).map((r) => new URL(r.url, 'http://x').searchParams.get('page'))).toEqual(['0', '1']);
    const files = tree(out);
    expect(Object.keys(files).filter((f) => f.endsWith('.json') && f.startsWith('actions/'))).toHaveLength(62);
    expect(files['actions/Live 000/code.js']).toContain("if (api.rules.wasExecuted('rul_live000')) return;");
    expect(readJson(out, 'actions/Live 000.json').secrets).toEqual([{ name: 'LIVE_KEY', value: '' }]);
    const bound = readJson(out, 'triggers/triggers.json')['post-login'].map((b: { action_name: string }) => b.action_name);
    expect(bound).toHaveLength(62);
    expect(bound[0]).toBe('Live 061');
    expect(bound.at(-2)).toBe('Live 000');
    expect(bound.at(-1)).toBe('Bound Already'); // the tenant's current binding, kept after ours
    expect(bound).not.toContain('Live 001');
    // More than 50 rules on a terminal: a progress bar on stderr, cleared at the end.
    expect(text.stderr).toContain('62/62 rules');
  });

  it('says what to set when the credentials are missing (exit 2), and reports a refused token as a failed input', async () => {
    delete process.env.AUTH0_CLIENT_SECRET;
    const missing = capture();
    expect(await main(['migrate', '--from-tenant', 'acme.eu.auth0.com'], missing.io)).toBe(2);
    expect(missing.out.stderr).toContain('AUTH0_CLIENT_SECRET');
    process.env.AUTH0_CLIENT_SECRET = 'wrong';
    const refused = capture();
    expect(await main(['migrate', '--from-tenant', 'acme.eu.auth0.com', '--no-diff'], refused.io)).toBe(2);
    expect(refused.out.stdout).toContain('HTTP 401 Unauthorized');
    expect(refused.out.stdout).not.toContain('wrong');
  });
});

describe('progress bar', () => {
  it('draws on a terminal past 50 rules and stays quiet otherwise', () => {
    let text = '';
    const write = (t: string) => void (text += t);
    const bar = createProgress(write, 60, { tty: true, width: 10 });
    for (let i = 0; i < 60; i++) bar.tick(i);
    bar.done();
    expect(text).toContain('[##########] 60/60 rules');
    text = '';
    const quietSmall = createProgress(write, 50, { tty: true });
    const quietPipe = createProgress(write, 500, { tty: false });
    for (let i = 0; i < 500; i++) quietPipe.tick(quietSmall.tick(i));
    quietSmall.done();
    quietPipe.done();
    expect(text).toBe('');
  });
});
