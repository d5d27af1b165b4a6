// --module for a tenant's shared helpers: emitted once as the rules2actions-tenant-helpers Actions Module,
// required by the Actions that call them; the pipeline still behaves like the rules in order.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../src/cli/main.js';
import { EMITS } from '../src/emit/layouts.js';
import { PACKAGE_ROOT } from '../src/paths.js';
import { verifyPipeline } from '../src/tenant/verify.js';
import { createModuleLoader } from '../src/verify/modules.js';
import type { Scenario } from '../src/verify/types.js';
import { checkDirectory, checkTerraform, checkYaml } from './support/import-check.js';

const FIXTURES = path.join(PACKAGE_ROOT, 'fixtures/tenant-pipeline');
const MODULE = 'rules2actions-tenant-helpers';
const REQUIRE = `require('actions:${MODULE}')`;
const temp: string[] = [];
afterAll(() => temp.forEach((dir) => rmSync(dir, { recursive: true, force: true })));
const tmp = () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'r2a-tenant-module-'));
  temp.push(dir);
  return dir;
};

interface Reported {
  name: string;
  findings: Array<{ code: string; severity: string; message: string }>;
  deploy?: { deployed: boolean; bound: boolean; heldBack?: string };
}

async function migrateOut(input: string, extra: string[] = []) {
  const out = tmp();
  const code = await main(['migrate', input, '--out', out, '--no-diff', ...extra], { stdout: () => {}, stderr: () => {}, isTTY: false });
  const report = JSON.parse(readFileSync(path.join(out, 'migration-report.json'), 'utf8')) as { rules: Reported[] };
  const read = (file: string) => (existsSync(path.join(out, file)) ? readFileSync(path.join(out, file), 'utf8') : null);
  const rule = (name: string) => report.rules.find((r) => r.name === name)!;
  return { out, code, read, rule };
}

/** A tenant of plain .js rules in a fresh folder, in file order. */
function tenant(rules: Record<string, string>): string {
  const dir = tmp();
  for (const [file, script] of Object.entries(rules)) writeFileSync(path.join(dir, file), script);
  return dir;
}

const LIBRARY = `function (user, context, callback) {
  global.isStaff = function (profile) {
    return Boolean(profile.app_metadata && profile.app_metadata.staff);
  };
  global.tag = function (ctx, value) {
    ctx.idToken['https://x.example/tag'] = value;
  };
  callback(null, user, context);
}`;

describe('--module: fixture pairs', () => {
  const dir = path.join(FIXTURES, 'shared-module');

  it('moves the helpers (with the constant they use) into one module the Actions require; the library rule gives no Action', async () => {
    const { read, rule } = await migrateOut(path.join(dir, 'rules'), ['--module']);
    expect(read('actions/01-library/code.js')).toBeNull();
    for (const name of ['02-staff', '03-groups']) {
      expect(read(`actions/${name}/code.js`)).toBe(readFileSync(path.join(dir, 'expected', `${name}.js`), 'utf8'));
      expect(rule(name).findings.map((f) => f.code)).toContain('module-helpers');
    }
    expect(read(`action-modules/${MODULE}/code.js`)).toBe(readFileSync(path.join(dir, 'expected/module.js'), 'utf8'));
  });

  it('without --module each Action carries its own copies, as before', async () => {
    const { read } = await migrateOut(path.join(dir, 'rules'));
    expect(read(`action-modules/${MODULE}/code.js`)).toBeNull();
    const code = read('actions/03-groups/code.js')!;
    expect(code).not.toContain(REQUIRE);
    expect(code).toContain("const NS = 'https://corp.example/';");
    expect(code).toContain('const claimName = function(name) {\n  return NS + name;\n};');
  });
});

describe('--module: verify, rules in order vs Actions in order', () => {
  for (const name of ['shared-state', 'shared-module']) {
    for (const module of [true, false]) {
      it(`${name}${module ? ' with --module' : ''}: equal in every scenario`, async () => {
        const dir = path.join(FIXTURES, name);
        const { read } = await migrateOut(path.join(dir, 'rules'), module ? ['--module'] : []);
        const files = readdirSync(path.join(dir, 'rules')).sort();
        const actions = files.map((f) => read(`actions/${f.replace(/\.js$/, '')}/code.js`));
        const moduleCode = read(`action-modules/${MODULE}/code.js`);
        // The module is there exactly when asked for, and some Action requires it.
        expect(moduleCode !== null).toBe(module);
        expect(actions.some((a) => a?.includes(REQUIRE))).toBe(module);
        const { scenarios } = JSON.parse(readFileSync(path.join(dir, 'scenarios.json'), 'utf8')) as { scenarios: Scenario[] };
        const verdicts = await verifyPipeline({
          rules: files.map((f) => readFileSync(path.join(dir, 'rules', f), 'utf8')),
          actions,
          modules: moduleCode === null ? {} : { [MODULE]: moduleCode },
          scenarios,
          require: createModuleLoader({ resolveFrom: [PACKAGE_ROOT], aliases: {} }),
        });
        expect(verdicts.map((v) => [v.scenario, v.differences])).toEqual(scenarios.map((s) => [s.name, []]));
      });
    }
  }

  it('catches Actions run without their module', async () => {
    const dir = path.join(FIXTURES, 'shared-module');
    const { read } = await migrateOut(path.join(dir, 'rules'), ['--module']);
    const files = readdirSync(path.join(dir, 'rules')).sort();
    const { scenarios } = JSON.parse(readFileSync(path.join(dir, 'scenarios.json'), 'utf8')) as { scenarios: Scenario[] };
    const verdicts = await verifyPipeline({
      rules: files.map((f) => readFileSync(path.join(dir, 'rules', f), 'utf8')),
      actions: files.map((f) => read(`actions/${f.replace(/\.js$/, '')}/code.js`)),
      scenarios,
      require: createModuleLoader({ resolveFrom: [PACKAGE_ROOT], aliases: {} }),
    });
    expect(verdicts.every((v) => !v.equal)).toBe(true);
  });
});

describe('--module: every output format', () => {
  // A deploy-cli directory export with rule order, so bindings are written (--bindings replace).
  function exportFolder(): string {
    const root = tmp();
    mkdirSync(path.join(root, 'rules'));
    const dir = path.join(FIXTURES, 'shared-module/rules');
    readdirSync(dir).sort().forEach((file, i) => {
      const name = file.replace(/\.js$/, '');
      writeFileSync(path.join(root, 'rules', file), readFileSync(path.join(dir, file), 'utf8'));
      writeFileSync(path.join(root, 'rules', `${name}.json`), JSON.stringify({ name, script: `./${file}`, stage: 'login_success', enabled: true, order: i + 1 }));
    });
    return root;
  }

  for (const emit of EMITS) {
    it(`${emit}: the module is written and declared, and each Action requires it and refers to it`, async () => {
      const { out, read } = await migrateOut(exportFolder(), ['--emit', emit, '--module', '--bindings', 'replace']);
      expect(read(`action-modules/${MODULE}/code.js`)).toBe(readFileSync(path.join(FIXTURES, 'shared-module/expected/module.js'), 'utf8'));
      for (const name of ['02-staff', '03-groups']) expect(read(`actions/${name}/code.js`)).toContain(REQUIRE);
      if (emit === 'directory') {
        const checked = checkDirectory(out, []);
        expect(checked.problems).toEqual([]);
        expect(JSON.parse(read('actions/02-staff.json')!)).toMatchObject({ deployed: true, modules: [{ module_name: MODULE, module_version_number: 1 }] });
        expect(JSON.parse(read(`action-modules/${MODULE}.json`)!)).toMatchObject({ name: MODULE, code: `./action-modules/${MODULE}/code.js`, all_changes_published: true });
        expect(checked.triggers?.['post-login']).toEqual(['02-staff', '03-groups']);
      } else if (emit === 'yaml') {
        const checked = checkYaml(path.join(out, 'tenant.yaml'), []);
        expect(checked.problems).toEqual([]);
        expect(read('tenant.yaml')).toContain(`actionModules:\n  - name: ${MODULE}\n    code: ./action-modules/${MODULE}/code.js`);
        expect(read('tenant.yaml')).toMatch(new RegExp(`modules:\\n\\s+- module_name: ${MODULE}\\n\\s+module_version_number: 1`));
      } else {
        const text = read('actions.tf')!;
        expect(checkTerraform(text, out).problems).toEqual([]);
        expect(text).toContain('resource "auth0_action_module" "tenant_helpers" {');
        expect(text).toMatch(/resource "auth0_action_module" "tenant_helpers" \{\n\s+name\s+= "rules2actions-tenant-helpers"\n\s+publish\s+= true/);
        expect(text).toContain('module_version_id = auth0_action_module.tenant_helpers.version_id');
      }
    });
  }
});

describe('--module: what stays in the Action, and what is held back', () => {
  it('a helper that fails conversion: the module is not published and every Action requiring it is held back, even with --bind-review', async () => {
    const input = tenant({
      '01-lib.js': `function (user, context, callback) {
  global.audit = function (msg) {
    global.lastMessage = msg;
  };
  global.isStaff = function (profile) {
    return Boolean(profile.app_metadata && profile.app_metadata.staff);
  };
  callback(null, user, context);
}`,
      '02-a.js': 'function (user, context, callback) {\n  global.audit("a");\n  callback(null, user, context);\n}',
      '03-b.js': 'function (user, context, callback) {\n  if (global.isStaff(user)) global.audit("b");\n  callback(null, user, context);\n}',
      '04-c.js': 'function (user, context, callback) {\n  context.idToken["https://x.example/c"] = 1;\n  callback(null, user, context);\n}',
    });
    for (const extra of [[], ['--bind-review']]) {
      const { read, rule } = await migrateOut(input, ['--module', ...extra]);
      expect(read(`action-modules/${MODULE}/code.js`)).toContain('TODO(rules2actions)');
      expect(JSON.parse(read(`action-modules/${MODULE}.json`)!).all_changes_published).toBe(false);
      for (const name of ['02-a', '03-b']) {
        expect(read(`actions/${name}/code.js`)).toContain(REQUIRE);
        expect(JSON.parse(read(`actions/${name}.json`)!).deployed, name).toBe(false);
        expect(rule(name).deploy, name).toMatchObject({ deployed: false, bound: false });
      }
      if (extra.length) expect(rule('02-a').deploy?.heldBack).toMatch(/requires the Actions Module rules2actions-tenant-helpers, which is not published: `audit` did not convert/);
      // An Action that needs no module is not held back by it.
      expect(rule('04-c').deploy?.heldBack).toBeUndefined();
    }
  });

  it('a helper that uses the handler (passed as a value, it cannot take event) stays carried, with a finding; the rest move', async () => {
    const input = tenant({
      '01-lib.js': `function (user, context, callback) {
  global.isPartner = function (id) {
    return context.clientMetadata && context.clientMetadata.partner === id;
  };
  global.isStaff = function (profile) {
    return Boolean(profile.app_metadata && profile.app_metadata.staff);
  };
  callback(null, user, context);
}`,
      '02-use.js': `function (user, context, callback) {
  var partners = ['a', 'b'].filter(global.isPartner);
  context.idToken['https://x.example/p'] = partners.length > 0 && global.isStaff(user);
  callback(null, user, context);
}`,
    });
    const { read, rule } = await migrateOut(input, ['--module']);
    const code = read('actions/02-use/code.js')!;
    expect(code).toContain("const {\n  isStaff\n} = require('actions:rules2actions-tenant-helpers');");
    expect(code).toMatch(/const isPartner = function\(id\) \{\n\s+return event\.client\.metadata/);
    const kept = rule('02-use').findings.find((f) => f.code === 'module-helper-kept');
    expect(kept?.message).toMatch(/^global\.isPartner stays carried in this Action/);
    expect(read(`action-modules/${MODULE}/code.js`)).not.toContain('isPartner');
  });

  it('a helper converted differently in two Actions: the module holds the first, the other Action keeps its copies', async () => {
    const input = tenant({
      '01-lib.js': LIBRARY,
      '02-a.js': "function (user, context, callback) {\n  if (global.isStaff(user)) global.tag(context, 'staff');\n  callback(null, user, context);\n}",
      // Called with another object: `profile` is not the rule's user here, so isStaff converts otherwise.
      '03-b.js': "function (user, context, callback) {\n  var other = { app_metadata: { staff: true } };\n  if (global.isStaff(other)) global.tag(context, 'b');\n  callback(null, user, context);\n}",
    });
    const { read, rule } = await migrateOut(input, ['--module']);
    expect(read('actions/02-a/code.js')).toContain(REQUIRE);
    const b = read('actions/03-b/code.js')!;
    expect(b).not.toContain(REQUIRE);
    expect(b).toContain('const isStaff = function(profile) {');
    expect(rule('03-b').findings.map((f) => f.code)).toContain('module-helper-differs');
    expect(JSON.parse(read('actions/03-b.json')!).modules).toBeUndefined();
    expect(read(`action-modules/${MODULE}/code.js`)).toContain('const isStaff = function(event) {');
  });
});

describe('--module: what the helpers use goes with them', () => {
  it('the defining rule’s own functions and destructured requires are copied into the module; the Action drops what it no longer uses', async () => {
    const input = tenant({
      '01-lib.js': `function (user, context, callback) {
  const { createHash } = require('crypto');
  function digest(text) {
    return createHash('sha256').update(text).digest('hex');
  }
  global.fingerprint = function (profile) {
    return digest(profile.user_id).slice(0, 8);
  };
  callback(null, user, context);
}`,
      '02-use.js': "function (user, context, callback) {\n  context.idToken['https://x.example/fp'] = global.fingerprint(user);\n  callback(null, user, context);\n}",
    });
    const { read } = await migrateOut(input, ['--module']);
    const action = read('actions/02-use/code.js')!;
    expect(action).toContain("const {\n  fingerprint\n} = require('actions:rules2actions-tenant-helpers');");
    expect(action).not.toContain('digest');
    expect(action).not.toContain("require('crypto')");
    const module = read(`action-modules/${MODULE}/code.js`)!;
    // Runs on its own: the require and the function it calls are there, once.
    const crypto = await import('node:crypto');
    const loaded = { exports: {} as { fingerprint?: (event: unknown) => string } };
    new Function('module', 'exports', 'require', module)(loaded, loaded.exports, (id: string) => (id === 'crypto' ? crypto : null));
    expect(loaded.exports.fingerprint!({ user: { user_id: 'auth0|ada' } })).toBe(crypto.createHash('sha256').update('auth0|ada').digest('hex').slice(0, 8));
    expect(module.match(/require\('crypto'\)/g)).toHaveLength(1);
  });
});
