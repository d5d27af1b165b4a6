import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../src/cli/main.js';
import { analyzeTenant, migrate, migrateTenant } from '../src/index.js';
import { PACKAGE_ROOT } from '../src/paths.js';
import { verifyPipeline } from '../src/tenant/verify.js';
import { createModuleLoader } from '../src/verify/modules.js';
import type { Scenario } from '../src/verify/types.js';

const CASE = path.join(PACKAGE_ROOT, 'fixtures/tenant-pipeline/shared-state');
const files = readdirSync(path.join(CASE, 'rules')).sort();
const rules = files.map((f) => ({ source: `rules/${f}`, script: readFileSync(path.join(CASE, 'rules', f), 'utf8') }));
const codes = (r: { findings: Array<{ code: string }> }) => r.findings.map((f) => f.code);
const temp: string[] = [];
afterAll(() => temp.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

describe('tenant analysis', () => {
  it('knows who defines each global, who reads it, and which writes a later rule reads', () => {
    const { views } = analyzeTenant(rules);
    expect(views[0].globals.hasRole).toMatchObject({ kind: 'defined-here', readers: ['rules/02-tier.js'] });
    expect(views[1].globals.hasRole).toMatchObject({ kind: 'helper', definedBy: 'rules/01-shared-library.js', earlier: true });
    expect(views[1].globals.CLAIMS).toMatchObject({ kind: 'constant', code: "'https://acme.example/'" });
    expect(views[2].globals.supportEmail).toMatchObject({ kind: 'configuration', key: 'SUPPORT_EMAIL' });
    expect(views[1].passes).toEqual([
      { kind: 'user', field: 'tier', json: false, nested: false, others: ['rules/03-claims.js'] },
      { kind: 'user', field: 'teams', json: true, nested: false, others: ['rules/03-claims.js'] },
    ]);
    expect(views[2].receives.map((f) => f.field).sort()).toEqual(['teams', 'tier']);
  });

  it('matches writes and reads by path: a write nobody later reads is not passed on', () => {
    const { views } = analyzeTenant([
      { source: 'a.js', script: 'function (user, context, callback) { context.request.query.next = "/x"; user.note = 1; callback(null, user, context); }' },
      { source: 'b.js', script: 'function (user, context, callback) { console.log(context.request.ip, user.note); callback(null, user, context); }' },
    ]);
    expect(views[0].passes.map((f) => f.field)).toEqual(['note']);
  });

  it('a global written and read by the same rule is its own cache; one only read is state', () => {
    const { views } = analyzeTenant([
      { source: 'a.js', script: 'function (user, context, callback) { if (!global.token) global.token = Date.now(); global.seen = user.user_id; callback(null, user, context); }' },
      { source: 'b.js', script: 'function (user, context, callback) { console.log(global.seen); callback(null, user, context); }' },
    ]);
    expect(views[0].globals.token.kind).toBe('local');
    expect(views[1].globals.seen.kind).toBe('state');
  });
});

describe('migrateTenant', () => {
  const results = migrateTenant(rules);

  it('turns the library rule into no Action, with an info finding', () => {
    expect(results[0].noAction).toBe(true);
    expect(codes(results[0])).toContain('library-rule');
    expect(results[0].findings.every((f) => f.severity === 'info')).toBe(true);
  });

  it('carries helpers, constants and secrets into the Actions that use them, converted with them', () => {
    for (const [i, name] of [[1, '02-tier.js'], [2, '03-claims.js']] as const) {
      expect(results[i].code.trimEnd()).toBe(readFileSync(path.join(CASE, 'expected', name), 'utf8').trimEnd());
    }
    expect(results[2].needs.secrets).toEqual(['SUPPORT_EMAIL']);
    expect(codes(results[1])).toEqual(expect.arrayContaining(['shared-helper', 'shared-constant', 'helper-parameter-aliased', 'transaction-metadata-write', 'transaction-metadata-json']));
    expect(codes(results[2])).toEqual(expect.arrayContaining(['shared-secret', 'transaction-metadata-read']));
    for (const r of results) expect(codes(r)).not.toContain('global-state');
    for (const r of results) expect(codes(r)).not.toContain('write-has-no-effect');
  });

  it('emits Actions that pass the type check against the post-login declarations', async () => {
    const { typeCheckActions } = await import('../src/typecheck.js');
    const checked = await typeCheckActions(results.filter((r) => !r.noAction).map((r, i) => ({ file: `action-${i}.js`, code: r.code, sdk: 7 as const, dependencies: [] })));
    for (const [file, errors] of checked) expect(errors, file).toEqual([]);
  });

  it('leaves migrate() of one rule as it was: no tenant, no shared state', () => {
    const alone = migrate(rules[2].script);
    expect(codes(alone)).toContain('global-state');
    expect(alone.noAction).toBeUndefined();
  });

  it('behaves like the rules in order over the same scenarios (verify)', async () => {
    const { scenarios } = JSON.parse(readFileSync(path.join(CASE, 'scenarios.json'), 'utf8')) as { scenarios: Scenario[] };
    const verdicts = await verifyPipeline({
      rules: rules.map((r) => r.script),
      actions: results.map((r) => (r.noAction ? null : r.code)),
      scenarios,
      require: createModuleLoader({ resolveFrom: [PACKAGE_ROOT], aliases: {} }),
    });
    expect(verdicts.map((v) => [v.scenario, v.differences])).toEqual(scenarios.map((s) => [s.name, []]));
  });

  it('catches a pipeline whose Actions lose what one rule passed to the next', async () => {
    const { scenarios } = JSON.parse(readFileSync(path.join(CASE, 'scenarios.json'), 'utf8')) as { scenarios: Scenario[] };
    const alone = rules.map((r) => migrate(r.script).code);
    const verdicts = await verifyPipeline({
      rules: rules.map((r) => r.script),
      actions: alone,
      scenarios,
      require: createModuleLoader({ resolveFrom: [PACKAGE_ROOT], aliases: {} }),
    });
    expect(verdicts.some((v) => !v.equal)).toBe(true);
  });
});

describe('the whole context passed on', () => {
  it('aliases helper parameters at any depth of local calls', () => {
    const result = migrate(`function (user, context, callback) {
  function inner(c) { return c.clientID; }
  function outer(u, c) { return u.email + inner(c); }
  console.log(outer(user, context));
  callback(null, user, context);
}`);
    expect(result.code).toContain('function inner() { return event.client.client_id; }');
    expect(result.code).toContain('function outer() { return event.user.email + inner(); }');
    expect(codes(result).filter((c) => c === 'helper-parameter-aliased')).toHaveLength(3);
  });

  it('gives code that takes it whole a read-only copy in the Rules shape', () => {
    const result = migrate('function (user, context, callback) {\n  console.log(context);\n  callback(null, user, context);\n}');
    expect(result.code).toContain('console.log(rulesContext(event));');
    expect(result.code).toContain('function rulesContext(event)');
    expect(codes(result)).toContain('whole-object-copy');
    expect(codes(result)).not.toContain('whole-object');
  });
});

describe('CLI', () => {
  it('migrate --out writes an Action per rule but the library, and says the order is assumed', async () => {
    const out = mkdtempSync(path.join(tmpdir(), 'r2a-tenant-'));
    temp.push(out);
    const errors: string[] = [];
    const code = await main(['migrate', path.join(CASE, 'rules'), '--out', out], { stdout: () => {}, stderr: (t) => errors.push(t), isTTY: false });
    expect(code).toBe(1);
    expect(readdirSync(path.join(out, 'actions')).filter((f) => f.endsWith('.json')).sort()).toEqual(['02-tier.json', '03-claims.json']);
    expect(readFileSync(path.join(out, 'actions/03-claims/code.js'), 'utf8').trimEnd()).toBe(readFileSync(path.join(CASE, 'expected/03-claims.js'), 'utf8').trimEnd());
    expect(errors.join('')).toMatch(/file order \(01-shared-library, 02-tier, 03-claims\)/);
  });
});

describe('writes by mutation passed on', () => {
  const dir = path.join(PACKAGE_ROOT, 'fixtures/tenant-pipeline/mutation-writes');
  const names = readdirSync(path.join(dir, 'rules')).sort();
  const mutating = names.map((f) => ({ source: `rules/${f}`, script: readFileSync(path.join(dir, 'rules', f), 'utf8') }));
  const migrated = migrateTenant(mutating);

  it('a field changed in place (push, assignment) and read by a later rule: a local copy, passed on after each change', () => {
    for (const [i, name] of names.entries()) {
      expect(migrated[i].code, name).toBe(readFileSync(path.join(dir, 'expected', name), 'utf8'));
      expect(codes(migrated[i]), name).not.toContain('write-has-no-effect');
      expect(codes(migrated[i]), name).not.toContain('transaction-metadata-read-back');
    }
    expect(codes(migrated[0]).filter((c) => c === 'shared-field-local')).toHaveLength(2);
    // Found where the change is, not on line 1.
    expect(migrated[1].findings.filter((f) => f.code === 'transaction-metadata-json').map((f) => f.line)).toEqual([3, 4]);
  });

  it('behaves like the rules in order (verify), which the rules migrated one by one do not', async () => {
    const { scenarios } = JSON.parse(readFileSync(path.join(dir, 'scenarios.json'), 'utf8')) as { scenarios: Scenario[] };
    const run = (actions: Array<string | null>) => verifyPipeline({
      rules: mutating.map((r) => r.script),
      actions,
      scenarios,
      require: createModuleLoader({ resolveFrom: [PACKAGE_ROOT], aliases: {} }),
    });
    const verdicts = await run(migrated.map((r) => r.code));
    expect(verdicts.map((v) => [v.scenario, v.differences])).toEqual(scenarios.map((s) => [s.name, []]));
    expect((await run(mutating.map((r) => migrate(r.script).code))).some((v) => !v.equal)).toBe(true);
  });
});

describe('writes by mutation: other shapes', () => {
  it('a change through a computed index or inside an arrow is passed on after the statement holding it', () => {
    const [a] = migrateTenant([
      { source: 'a.js', script: "function (user, context, callback) {\n  user.tags = ['x'];\n  user.tags[0] = 'y';\n  ['p', 'q'].forEach(t => user.tags.push(t));\n  callback(null, user, context);\n}" },
      { source: 'b.js', script: 'function (user, context, callback) {\n  context.idToken.tags = user.tags;\n  callback(null, user, context);\n}' },
    ]);
    const pass = "api.transaction.setMetadata('tags', JSON.stringify(userTags));";
    expect(a.code).toContain(`userTags[0] = 'y';\n  ${pass}\n  ['p', 'q'].forEach(t => userTags.push(t));\n  ${pass}\n};`);
    expect(a.findings.find((f) => f.code === 'shared-field-local')?.line).toBe(2);
  });

  it('a field only assigned (never changed in place, never read back) keeps the direct conversion', () => {
    const [a] = migrateTenant([
      { source: 'a.js', script: "function (user, context, callback) {\n  context.plan = 'pro';\n  callback(null, user, context);\n}" },
      { source: 'b.js', script: 'function (user, context, callback) {\n  context.idToken.plan = context.plan;\n  callback(null, user, context);\n}' },
    ]);
    expect(a.code).toContain("api.transaction.setMetadata('plan', 'pro');");
    expect(codes(a)).not.toContain('shared-field-local');
  });
});
