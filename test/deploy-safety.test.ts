// Issue 13: importing what `migrate --out` writes never breaks a tenant's logins. Every --emit layout
// is import-checked at schema level (test/support/import-check.ts), and the outputs show: no empty
// binding list, bindings only when the current list is known, a broken rule's Action neither
// deployed nor bound, no invented dependency version.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { main, type Io } from '../src/cli/main.js';
import { EMITS, type Emit } from '../src/emit/layouts.js';
import { printBlock } from '../src/emit/terraform.js';
import { holdBackReason, planTenant, postLoginBindings } from '../src/emit/plan.js';
import { runRule } from '../src/run.js';
import { loadPins, PinsError } from '../src/pins.js';
import { checkDirectory, checkTerraform, checkYaml, fmtProblems, parseHcl } from './support/import-check.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const TENANTS = path.join(ROOT, 'fixtures/tenants');

const tmp = () => mkdtempSync(path.join(tmpdir(), 'r2a-deploy-'));

function capture() {
  const out = { stdout: '', stderr: '' };
  const io: Io = { stdout: (t) => void (out.stdout += t), stderr: (t) => void (out.stderr += t), isTTY: false };
  return { io, out };
}

async function migrate(args: string[]) {
  const { io, out } = capture();
  const code = await main(['migrate', ...args, '--no-diff'], io);
  return { code, ...out };
}

/** Every file below dir with its content. */
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

// Small rules in our own words.
const CLAIM = (n: string) => `function (user, context, callback) {\n  context.idToken['https://example.com/${n}'] = user.email;\n  callback(null, user, context);\n}\n`;
/** Requires a local file, which no Action can: its Action would throw at every login (error finding local-require). */
const BROKEN = `function (user, context, callback) {
  const names = require('./names');
  context.idToken['https://example.com/name'] = names.display(user);
  callback(null, user, context);
}
`;
const UNPINNED = `function (user, context, callback) {\n  const uuid = require('uuid');\n  context.idToken['https://example.com/sid'] = uuid();\n  callback(null, user, context);\n}\n`;

interface RuleSpec {
  name: string;
  script: string;
  order?: number;
  enabled?: boolean;
}

/** A deploy-cli directory export; `triggers` undefined → no triggers/ folder (an old export). */
function directoryExport(rules: RuleSpec[], triggers?: Record<string, unknown>): string {
  const root = tmp();
  mkdirSync(path.join(root, 'rules'));
  for (const r of rules) {
    writeFileSync(path.join(root, 'rules', `${r.name}.js`), r.script);
    writeFileSync(
      path.join(root, 'rules', `${r.name}.json`),
      JSON.stringify({ name: r.name, script: `./${r.name}.js`, order: r.order ?? 1, enabled: r.enabled ?? true, stage: 'login_success' }),
    );
  }
  if (triggers) {
    mkdirSync(path.join(root, 'triggers'));
    writeFileSync(path.join(root, 'triggers', 'triggers.json'), JSON.stringify(triggers));
  }
  return root;
}

/** A YAML export; `triggers` undefined → no triggers: key. */
function yamlExport(rules: RuleSpec[], triggers?: Record<string, unknown>): string {
  const root = tmp();
  mkdirSync(path.join(root, 'rules'));
  const lines = [rules.length ? 'rules:' : 'rules: []'];
  for (const r of rules) {
    writeFileSync(path.join(root, 'rules', `${r.name}.js`), r.script);
    lines.push(`  - name: ${r.name}`, `    script: ./rules/${r.name}.js`, `    stage: login_success`, `    enabled: ${r.enabled ?? true}`, `    order: ${r.order ?? 1}`);
  }
  if (triggers) lines.push(`triggers: ${JSON.stringify(triggers)}`);
  writeFileSync(path.join(root, 'tenant.yaml'), lines.join('\n') + '\n');
  return path.join(root, 'tenant.yaml');
}

interface Checked {
  problems: string[];
  /** Action name → deployed (terraform: deploy) */
  deployed: Map<string, boolean | undefined>;
  /** post-login bindings in order (Action names; terraform: resource or data names), null when none is written */
  bound: string[] | null;
  files: Record<string, string>;
}

/** Import-checks an output folder in its layout. */
function check(out: string, emit: Emit, existing: string[] = []): Checked {
  const files = tree(out);
  // Nothing written (e.g. "No rules found", exit 2): nothing to import, no list.
  if (!Object.keys(files).some((f) => f.startsWith('actions') || f === 'tenant.yaml' || f.startsWith('triggers'))) {
    return { problems: [], deployed: new Map(), bound: null, files };
  }
  if (emit === 'directory') {
    const c = checkDirectory(out, existing);
    return { problems: c.problems, deployed: c.actions, bound: c.triggers?.['post-login'] ?? null, files };
  }
  if (emit === 'yaml') {
    const c = checkYaml(path.join(out, 'tenant.yaml'), existing);
    return { problems: c.problems, deployed: c.actions, bound: c.triggers?.['post-login'] ?? null, files };
  }
  const text = files['actions.tf'];
  const c = checkTerraform(text, out);
  const byResource = new Map([...c.actions].map(([resource, a]) => [resource, a.name]));
  return {
    problems: [...c.problems, ...fmtProblems(text)],
    deployed: new Map([...c.actions.values()].map((a) => [a.name, a.deploy === undefined ? undefined : a.deploy === 'true'])),
    bound: c.bindings?.map((ref) => byResource.get(ref.replace(/^auth0_action\./, '')) ?? ref) ?? null,
    files,
  };
}

const noLatest = (files: Record<string, string>) => {
  for (const [file, text] of Object.entries(files)) expect(text, file).not.toMatch(/\blatest\b/);
};

describe('every --emit layout imports (schema level)', () => {
  const inputs: Array<[string, string[]]> = [
    ['acme-directory', ['Existing Action']],
    ['globex-yaml', []],
    ['initech-api.json', []],
    ['hooli-cli.json', []],
  ];
  for (const [input, existing] of inputs) {
    for (const emit of EMITS) {
      it(`${input} → ${emit}`, async () => {
        for (const bindings of ['merge', 'replace']) {
          const out = tmp();
          await migrate([path.join(TENANTS, input), '--out', out, '--emit', emit, '--bindings', bindings]);
          const result = check(out, emit, existing);
          expect(result.problems).toEqual([]);
          expect(result.deployed.size).toBeGreaterThan(0);
          noLatest(result.files);
        }
      });
    }
  }

  it('the checkers catch what the importers reject', () => {
    const dir = tmp();
    mkdirSync(path.join(dir, 'actions'));
    mkdirSync(path.join(dir, 'triggers'));
    writeFileSync(path.join(dir, 'actions', 'a.json'), JSON.stringify({ name: 'a', code: './actions/a/code.js', supported_triggers: [{ id: 'post-login', version: 'v3' }], dependencies: [{ name: 'x', version: '1.0.0', pinned: true }] }));
    writeFileSync(path.join(dir, 'triggers', 'triggers.json'), JSON.stringify({ 'post-login': [] }));
    expect(checkDirectory(dir).problems).toEqual([
      'actions/a.json: code ./actions/a/code.js does not exist',
      'actions/a.json: dependency {"name":"x","version":"1.0.0","pinned":true} has other keys',
      'triggers/triggers.json: post-login is an empty list (it would unbind every Action)',
    ]);
    const tf = 'resource "auth0_action" "a" {\n  name = "a"\n  code    = file("${path.module}/a.js")\n}\n';
    expect(checkTerraform(tf, dir).problems).toContain('no terraform { required_providers { auth0 = … } }: terraform init would look for hashicorp/auth0');
    expect(fmtProblems(tf)).toEqual(["line 3: '=' not aligned (terraform fmt puts it at column 6 of the name)"]);
    expect(fmtProblems('a {\n b = 1\n}')).toEqual(['the file must end with exactly one newline', 'line 2: indented 1, expected 2']);
  });
});

describe('bindings are written only when known complete, never empty', () => {
  it('an old directory export (no triggers/): no triggers file, and the summary says how to add the Actions', async () => {
    const root = directoryExport([{ name: 'Second', script: CLAIM('b'), order: 2 }, { name: 'First', script: CLAIM('a'), order: 1 }]);
    for (const emit of EMITS) {
      const out = tmp();
      const run = await migrate([root, '--out', out, '--emit', emit]);
      const result = check(out, emit);
      expect(result.problems).toEqual([]);
      expect(result.bound).toBeNull();
      expect(result.deployed.get('First')).toBe(true);
      expect(run.stderr).toContain('post-login bindings not written');
      expect(run.stderr).toContain('in this order: First, Second');
      expect(run.stderr).toContain('--bindings replace');
      const report = JSON.parse(readFileSync(path.join(out, 'migration-report.json'), 'utf8'));
      expect(report.notes.join('\n')).toContain('in this order: First, Second');
      expect(readFileSync(path.join(out, 'migration-report.md'), 'utf8')).toContain('> ' + report.notes[0].slice(0, 40));
    }
  });

  it('--bindings replace writes the migrated list alone, with a warning', async () => {
    const root = directoryExport([{ name: 'Second', script: CLAIM('b'), order: 2 }, { name: 'First', script: CLAIM('a'), order: 1 }]);
    for (const emit of EMITS) {
      const out = tmp();
      const run = await migrate([root, '--out', out, '--emit', emit, '--bindings', 'replace']);
      const result = check(out, emit);
      expect(result.problems).toEqual([]);
      expect(result.bound).toEqual(['First', 'Second']);
      expect(run.stderr).toContain('unbinds every other post-login Action');
    }
  });

  it('a tenant with no rules, or only disabled ones, gets no binding list at all', async () => {
    const cases = [
      yamlExport([], { 'post-login': [{ action_name: 'Kept', display_name: 'Kept' }] }),
      yamlExport([{ name: 'Off', script: CLAIM('off'), enabled: false }], {}),
      directoryExport([{ name: 'Off', script: CLAIM('off'), enabled: false }], {}),
      directoryExport([{ name: 'Off', script: CLAIM('off'), enabled: false }], { 'post-login': [{ action_name: 'Kept', display_name: 'Kept' }] }),
    ];
    for (const input of cases) {
      for (const emit of EMITS) {
        for (const bindings of ['merge', 'replace']) {
          const out = tmp();
          await migrate([input, '--out', out, '--emit', emit, '--bindings', bindings]);
          const result = check(out, emit, ['Kept']);
          expect(result.problems, `${input} ${emit} ${bindings}`).toEqual([]);
          expect(result.bound, `${input} ${emit} ${bindings}`).toBeNull();
          for (const text of Object.values(result.files)) expect(text).not.toMatch(/"post-login": \[\]|post-login: \[\]/);
        }
      }
    }
  });

  it('keeps the bindings the tenant has, after the migrated Actions (Terraform looks them up by name)', async () => {
    const root = directoryExport([{ name: 'Mine', script: CLAIM('m') }], { 'post-login': [{ action_name: 'Theirs', display_name: 'Theirs' }] });
    for (const emit of EMITS) {
      const out = tmp();
      await migrate([root, '--out', out, '--emit', emit]);
      const result = check(out, emit, ['Theirs']);
      expect(result.problems).toEqual([]);
      expect(result.bound).toEqual(['Mine', emit === 'terraform' ? 'data.auth0_action.bound_theirs' : 'Theirs']);
    }
  });

  it('an Action bound by an earlier run and now held back leaves the list; a list left empty is removed, not written empty', async () => {
    const root = directoryExport([{ name: 'Mine', script: BROKEN }], {});
    const out = tmp();
    mkdirSync(path.join(out, 'triggers'));
    writeFileSync(
      path.join(out, 'triggers', 'triggers.json'),
      JSON.stringify({ 'post-login': [{ action_name: 'Mine', display_name: 'Mine' }], 'post-user-registration': [{ action_name: 'Hello', display_name: 'Hello' }] }),
    );
    await migrate([root, '--out', out]);
    expect(JSON.parse(readFileSync(path.join(out, 'triggers', 'triggers.json'), 'utf8'))).toEqual({
      'post-user-registration': [{ action_name: 'Hello', display_name: 'Hello' }],
    });
  });
});

describe('only Actions that can run are deployed and bound', () => {
  it("a broken rule's Action is written deployed: false and left out of the bindings in every layout; the summary says why", async () => {
    const root = directoryExport([{ name: 'Broken', script: BROKEN, order: 1 }, { name: 'Fine', script: CLAIM('f'), order: 2 }], {});
    for (const emit of EMITS) {
      const out = tmp();
      const run = await migrate([root, '--out', out, '--emit', emit]);
      const result = check(out, emit);
      expect(result.problems).toEqual([]);
      expect(result.deployed.get('Broken')).toBe(false);
      expect(result.deployed.get('Fine')).toBe(true);
      expect(result.bound).toEqual(['Fine']);
      expect(run.stdout).toMatch(/Held back \(not deployed, not bound\): 1\n {2}Broken: 1 error finding\(s\) \(local-require\)/);
      const report = JSON.parse(readFileSync(path.join(out, 'migration-report.json'), 'utf8'));
      expect(report.rules.find((r: { name: string }) => r.name === 'Broken').deploy).toMatchObject({ deployed: false, bound: false });
      if (emit === 'terraform') expect(result.files['actions.tf']).toMatch(/resource "auth0_action" "broken" \{[^}]*deploy  = false/);
    }
  });

  it('--bind-review deploys and binds it anyway', async () => {
    const root = directoryExport([{ name: 'Broken', script: BROKEN, order: 1 }, { name: 'Fine', script: CLAIM('f'), order: 2 }], {});
    for (const emit of EMITS) {
      const out = tmp();
      await migrate([root, '--out', out, '--emit', emit, '--bind-review']);
      const result = check(out, emit);
      expect(result.problems).toEqual([]);
      expect(result.bound).toEqual(['Broken', 'Fine']);
    }
  });

  it('an Action verify called different is held back too; --bind-review releases it, never a missing version', () => {
    const run = runRule({ source: 'a.js', name: 'A', script: CLAIM('a'), order: 1, enabled: true }, { sdk: 7 });
    expect(holdBackReason(run, false)).toBeNull();
    run.report.verification = { sdk: 7, verdict: 'different', scenarios: 2, equal: 1, different: 1, differences: ['x: y'], typeErrors: 0 };
    expect(holdBackReason(run, false)).toMatch(/^verify: the Action behaves differently/);
    expect(holdBackReason(run, true)).toBeNull();
    const unpinned = runRule({ source: 'b.js', name: 'B', script: UNPINNED, order: 2, enabled: true }, { sdk: 7 });
    expect(holdBackReason(unpinned, true)).toMatch(/^no version for uuid/);
    const tenant = { name: 't', source: 't', format: 'api' as const, rules: [], configKeys: [], problems: [], notes: [], triggers: { 'post-login': [] } };
    const plan = planTenant(tenant, [run, unpinned]);
    expect(plan.actions.map((a) => [a.name, a.deployed, a.bound])).toEqual([['A', false, false], ['B', false, false]]);
    // Nothing to bind and nothing bound today: no list at all, not an empty one.
    expect(postLoginBindings(plan, [])).toBeNull();
    expect(plan.heldBack.map((h) => h.name)).toEqual(['A', 'B']);
  });

  it('a rule that fails (another stage) gives no Action and is listed as held back', async () => {
    const root = directoryExport([{ name: 'Fine', script: CLAIM('f') }], {});
    writeFileSync(path.join(root, 'rules', 'Failing.js'), CLAIM('x'));
    writeFileSync(path.join(root, 'rules', 'Failing.json'), JSON.stringify({ name: 'Failing', script: './Failing.js', stage: 'login_failure', enabled: true, order: 3 }));
    const out = tmp();
    const run = await migrate([root, '--out', out]);
    expect(run.stdout).toContain('Failing: migration failed (unsupported-stage): no Action written');
    expect(check(out, 'directory').bound).toEqual(['Fine']);
  });
});

describe('dependency versions are never invented', () => {
  it('an unpinned require holds the Action back with an error naming the module and --pins; no latest anywhere', async () => {
    const root = directoryExport([{ name: 'Sid', script: UNPINNED }], {});
    for (const emit of EMITS) {
      const out = tmp();
      const run = await migrate([root, '--out', out, '--emit', emit, '--format', 'json']);
      const result = check(out, emit);
      expect(result.problems).toEqual([]);
      noLatest(result.files);
      expect(result.deployed.get('Sid')).toBe(false);
      expect(result.bound).toBeNull();
      const finding = JSON.parse(run.stdout).rules[0].findings.find((f: { code: string }) => f.code === 'version-unknown');
      expect(finding).toMatchObject({ severity: 'error', line: 2 });
      expect(finding.message).toContain('"uuid"');
      expect(finding.message).toContain('--pins');
    }
  });

  it('--pins gives the version; the Action is deployed and bound', async () => {
    const root = directoryExport([{ name: 'Sid', script: UNPINNED }], {});
    const pins = path.join(tmp(), 'pins.json');
    writeFileSync(pins, JSON.stringify({ uuid: '8.3.2' }));
    for (const emit of EMITS) {
      const out = tmp();
      await migrate([root, '--out', out, '--emit', emit, '--pins', pins]);
      const result = check(out, emit);
      expect(result.problems).toEqual([]);
      expect(result.bound).toEqual(['Sid']);
      const manifest = emit === 'directory' ? result.files['actions/Sid.json'] : emit === 'yaml' ? result.files['tenant.yaml'] : result.files['actions.tf'];
      expect(manifest).toMatch(/uuid[\s\S]{0,40}8\.3\.2/);
    }
  });

  it('a sub-path require keeps its package and version', async () => {
    const root = directoryExport([{ name: 'V1', script: CLAIM('v').replace('{\n', "{\n  const v1 = require('uuid/v1@3.3.2');\n  const fp = require('lodash@4.17.21/fp');\n") }], {});
    const out = tmp();
    await migrate([root, '--out', out]);
    expect(JSON.parse(readFileSync(path.join(out, 'actions', 'V1.json'), 'utf8')).dependencies).toEqual([
      { name: 'lodash', version: '4.17.21' },
      { name: 'uuid', version: '3.3.2' },
    ]);
    const code = readFileSync(path.join(out, 'actions', 'V1', 'code.js'), 'utf8');
    expect(code).toContain("require('uuid/v1')");
    expect(code).toContain("require('lodash/fp')");
  });

  it('reads pins from --pins or the dependencies of rules2actions.config.json, and refuses ranges and latest', async () => {
    const dir = tmp();
    writeFileSync(path.join(dir, 'rules2actions.config.json'), JSON.stringify({ dependencies: { uuid: '3.3.2' } }));
    expect(loadPins(undefined, dir)).toEqual({ uuid: '3.3.2' });
    expect(loadPins(undefined, tmp())).toBeUndefined();
    writeFileSync(path.join(dir, 'bad.json'), JSON.stringify({ uuid: 'latest' }));
    expect(() => loadPins(path.join(dir, 'bad.json'))).toThrow(PinsError);
    writeFileSync(path.join(dir, 'range.json'), JSON.stringify({ uuid: '^3.0.0' }));
    expect(() => loadPins(path.join(dir, 'range.json'))).toThrow(/not an exact version/);
    const run = await migrate([directoryExport([{ name: 'x', script: UNPINNED }]), '--pins', path.join(dir, 'bad.json')]);
    expect(run.code).toBe(2);
  });
});

describe('Terraform', () => {
  it('declares the provider, passes secrets write-only and prints the way terraform fmt does', async () => {
    const out = tmp();
    await migrate([path.join(TENANTS, 'acme-directory'), '--out', out, '--emit', 'terraform']);
    const tf = readFileSync(path.join(out, 'actions.tf'), 'utf8');
    expect(tf).toContain('terraform {\n  required_version = ">= 1.11"\n\n  required_providers {\n    auth0 = {\n      source  = "auth0/auth0"\n      version = "~> 1.52"\n    }\n  }\n}\n');
    expect(tf).toContain('  secrets_wo_version = 1\n');
    expect(fmtProblems(tf)).toEqual([]);
    expect(parseHcl(tf).filter((b) => b.type === 'variable').every((v) => v.attributes.sensitive === 'true')).toBe(true);
  });

  it('aligns = within each run of attributes only', () => {
    const text = printBlock({ type: 'resource', labels: ['x', 'y'], items: [
      { attribute: 'a', value: '1' }, { attribute: 'long_name', value: '2' }, { blank: true }, { attribute: 'bb', value: '3' },
    ] }).join('\n') + '\n';
    expect(text).toBe('resource "x" "y" {\n  a         = 1\n  long_name = 2\n\n  bb = 3\n}\n');
  });
});

describe('--module', () => {
  it('writes the Management API client helper once, as an Actions Module each layout imports, and the Actions require it', async () => {
    const input = path.join(TENANTS, 'globex-yaml');
    for (const emit of EMITS) {
      const out = tmp();
      await migrate([input, '--out', out, '--emit', emit, '--module', '--bindings', 'replace']);
      const result = check(out, emit);
      expect(result.problems, emit).toEqual([]);
      const code = result.files['actions/Link Accounts/code.js'];
      expect(code).toContain("const { managementClient } = require('actions:rules2actions-management-api');");
      expect(code).not.toContain('async function managementApiToken');
      const module = result.files['action-modules/rules2actions-management-api/code.js'];
      expect(module).toMatch(/^const \{ ManagementClient \} = require\('auth0'\);\n/);
      expect(module).toContain('async function managementApiToken(api, domain, clientId, clientSecret) {');
      expect(module).toMatch(/module\.exports = \{ managementClient, managementApiToken \};\n$/);
      if (emit === 'directory') {
        expect(JSON.parse(result.files['actions/Link Accounts.json']).modules).toEqual([{ module_name: 'rules2actions-management-api', module_version_number: 1 }]);
        expect(JSON.parse(result.files['action-modules/rules2actions-management-api.json'])).toMatchObject({ all_changes_published: true, dependencies: [{ name: 'auth0', version: '7.1.0' }] });
      }
      if (emit === 'terraform') {
        expect(result.files['actions.tf']).toContain('resource "auth0_action_module" "management_api" {');
        expect(result.files['actions.tf']).toContain('    module_version_id = auth0_action_module.management_api.version_id');
      }
    }
    // Without --module the helper stays in the Action.
    const plain = tmp();
    await migrate([input, '--out', plain]);
    expect(readFileSync(path.join(plain, 'actions/Link Accounts/code.js'), 'utf8')).toContain('async function managementApiToken');
  });
});
