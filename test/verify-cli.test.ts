/**
 * `rules2actions verify` and `migrate --verify`, called in-process through main(): deliberately wrong
 * Actions (fixtures/verify/pairs/<pair>/wrong/) must be reported with each expected difference and
 * exit code 1; correct ones exit 0; usage mistakes exit 2.
 */
import { existsSync, mkdtempSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { main, type Io } from '../src/cli/main.js';
import type { VerifyReport } from '../src/format/verify-json.js';
import type { MigrationReport } from '../src/format/report-json.js';

const PAIRS = path.resolve(import.meta.dirname, '../fixtures/verify/pairs');

async function cli(args: string[], terminal: Partial<Io> = {}) {
  let stdout = '';
  let stderr = '';
  const io: Io = { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t), isTTY: false, ...terminal };
  const code = await main(args, io);
  return { code, stdout, stderr };
}

function workspace(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'r2a-verify-'));
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), content);
  }
  return dir;
}

/** The scenario files a pair's meta.json names besides the built-in matrices. */
function scenarioFile(pair: string): string | undefined {
  const meta = JSON.parse(readFileSync(path.join(PAIRS, pair, 'meta.json'), 'utf8')) as { scenarios: string[] };
  const files = meta.scenarios.filter((s) => s !== 'linking' && s !== 'generic');
  expect(files.length).toBeLessThanOrEqual(1);
  return files[0] && path.join(PAIRS, pair, files[0]);
}

interface WrongAction {
  id: string;
  pair: string;
  file: string;
  sdk: string;
  /** scenario → prefixes of differences that must be reported. */
  differences: Record<string, string[]>;
}

function wrongActions(): WrongAction[] {
  const found: WrongAction[] = [];
  for (const pair of readdirSync(PAIRS).sort()) {
    const dir = path.join(PAIRS, pair, 'wrong');
    if (!existsSync(dir)) continue;
    for (const file of readdirSync(dir).sort()) {
      const match = /^(.+)\.sdk(4|7)\.js$/.exec(file);
      if (!match) continue;
      const expected = JSON.parse(readFileSync(path.join(dir, `${match[1]}.json`), 'utf8')) as { differences: Record<string, string[]> };
      found.push({ id: `${pair}/${match[1]}`, pair, file: path.join(dir, file), sdk: match[2], differences: expected.differences });
    }
  }
  return found;
}

// First: nothing above has run a verification in this process yet.
describe('migrate without --verify', () => {
  it('loads neither ts-morph nor an auth0 SDK', async () => {
    const dir = workspace({ 'rules/deny.js': readFileSync(path.join(PAIRS, 'claims-metadata-deny/rule.js'), 'utf8') });
    const run = await cli(['migrate', path.join(dir, 'rules'), '--format', 'json']);
    expect(run.stdout).toContain('"rules"');
    const loaded = Object.keys(createRequire(import.meta.url).cache);
    expect(loaded.filter((file) => /[\\/]node_modules[\\/](ts-morph|auth0-v\d|typescript)[\\/]/.test(file))).toEqual([]);
  });
});

describe('rules2actions verify', () => {
  it('teaches its usage with --help: examples, --action, exit codes', async () => {
    const run = await cli(['verify', '--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/Examples:/);
    expect(run.stdout).toMatch(/--action <file>/);
    expect(run.stdout).toMatch(/--scenarios <file>/);
    expect(run.stdout).toMatch(/Exit codes: 0/);
    expect((await cli(['--help'])).stdout).toMatch(/verify/);
  });

  it('exits 2 on usage mistakes', async () => {
    const rule = path.join(PAIRS, 'claims-metadata-deny/rule.js');
    const dir = workspace({ 'bad.json': '{"name": "x"}', 'a.js': 'function (u, c, cb) { cb(null, u, c); }', 'b.js': 'function (u, c, cb) { cb(null, u, c); }' });
    const cases: Array<[string[], RegExp]> = [
      [['verify'], /at least one rule/],
      [['verify', rule, '--scenarios', path.join(dir, 'bad.json')], /"users" must be an array/],
      [['verify', rule, '--scenarios', path.join(dir, 'missing.json')], /cannot read scenarios/],
      [['verify', path.join(dir, 'a.js'), path.join(dir, 'b.js'), '--action', rule], /exactly one rule/],
      [['verify', rule, '--action', rule, '--sdk', 'both'], /--sdk 7 or --sdk 4/],
      [['verify', rule, '--no-builtin'], /--no-builtin needs --scenarios/],
      [['verify', rule, '--keywords', path.join(dir, 'bad.json'), '--sdk', '5'], /./],
    ];
    for (const [args, message] of cases) {
      const run = await cli(args);
      expect(run.code, args.join(' ')).toBe(2);
      expect(run.stderr, args.join(' ')).toMatch(message);
    }
  });

  it('a correct Action given with --action: every scenario equal, the type check passes, exit 0', async () => {
    const pair = path.join(PAIRS, 'claims-metadata-deny');
    const run = await cli(['verify', path.join(pair, 'rule.js'), '--action', path.join(pair, 'action.sdk7.js')]);
    expect(run.stderr).toBe('');
    expect(run.stdout).toMatch(/✔ equal .*rule\.js \(sdk 7, generic matrix, action .*action\.sdk7\.js\)/);
    expect(run.stdout).toMatch(/✔ returning-user/);
    expect(run.stdout).toMatch(/✔ first-login-unverified/);
    expect(run.stdout).toMatch(/1 rule: 1 equal, 0 different, 0 not verified; 2 scenarios: 2 equal, 0 different/);
    expect(run.code).toBe(0);
  }, 60_000);

  it('a type error fails the verdict even when every scenario is equal', async () => {
    const pair = path.join(PAIRS, 'claims-metadata-deny');
    const action = readFileSync(path.join(pair, 'action.sdk7.js'), 'utf8').replace(
      'exports.onExecutePostLogin = async (event, api) => {',
      'exports.onExecutePostLogin = async (event, api) => {\n  console.log(event.user.emial);',
    );
    expect(action).toContain('emial');
    const dir = workspace({ 'action.js': action });
    const run = await cli(['verify', path.join(pair, 'rule.js'), '--action', path.join(dir, 'action.js'), '--format', 'json']);
    const report = JSON.parse(run.stdout) as VerifyReport;
    expect(report.rules[0].scenarios.every((s) => s.equal)).toBe(true);
    expect(report.rules[0].typeErrors.map((f) => [f.code, f.line])).toEqual([['type-error', 2]]);
    expect(report.rules[0].verdict).toBe('different');
    expect(run.code).toBe(1);
    // The check of the first test can fail: a type check on this thread does load ts-morph (verify's runs on a worker thread).
    const { typeCheckActions } = await import('../src/typecheck.js');
    await typeCheckActions([{ file: 'a.js', code: action, sdk: 7 }]);
    expect(Object.keys(createRequire(import.meta.url).cache).some((f) => /[\\/]node_modules[\\/]ts-morph[\\/]/.test(f))).toBe(true);
  }, 60_000);

  it('draws a progress bar on a terminal\'s stderr from two rules on, and nothing when stderr is not a terminal', async () => {
    const rule = (claim: string) => `function (user, context, callback) {\n  context.idToken['https://example.com/${claim}'] = 1;\n  callback(null, user, context);\n}\n`;
    const dir = workspace({ 'a.js': rule('a'), 'b.js': rule('b') });
    const onTerminal = await cli(['verify', dir, '--no-typecheck'], { stderrIsTTY: true });
    expect(onTerminal.stderr).toContain('2/2 rules');
    expect(onTerminal.stdout).toMatch(/2 rules: 2 equal/);
    const piped = await cli(['verify', dir, '--no-typecheck']);
    expect(piped.stderr).toBe('');
    expect(piped.stdout).toBe(onTerminal.stdout);
  }, 120_000);

  it('says once on stderr that a relative RULES2ACTIONS_CACHE is not used, and verifies all the same', async () => {
    const rule = `function (user, context, callback) {\n  context.idToken['https://example.com/a'] = 1;\n  callback(null, user, context);\n}\n`;
    const dir = workspace({ 'a.js': rule });
    const before = process.env.RULES2ACTIONS_CACHE;
    process.env.RULES2ACTIONS_CACHE = 'relative/cache';
    try {
      for (const args of [['verify', dir, '--no-typecheck'], ['migrate', dir, '--verify']]) {
        const run = await cli(args);
        expect(run.stderr).toBe('rules2actions: RULES2ACTIONS_CACHE="relative/cache" is not an absolute folder: verify runs without its start-up caches (give an absolute folder, or off).\n');
        expect(run.code).toBe(0);
      }
      expect(existsSync('relative')).toBe(false);
    } finally {
      if (before === undefined) delete process.env.RULES2ACTIONS_CACHE;
      else process.env.RULES2ACTIONS_CACHE = before;
    }
  }, 120_000);

  const wrong = wrongActions();

  it('finds the wrong Actions the issue names', () => {
    expect(wrong.map((w) => w.id)).toEqual(
      expect.arrayContaining(['linking-request/set-primary-user-removed', 'linking-request/wrong-identity-linked', 'claims-metadata-deny/claim-renamed']),
    );
  });

  it.each(wrong.map((w) => [w.id, w]))('%s: each difference is reported, exit 1', async (_id, w) => {
    const { pair, file, sdk, differences } = w as WrongAction;
    const scenarios = scenarioFile(pair);
    const args = ['verify', path.join(PAIRS, pair, 'rule.js'), '--action', file, '--sdk', sdk, '--format', 'json', '--no-typecheck'];
    const run = await cli(scenarios ? [...args, '--scenarios', scenarios] : args);
    expect(run.code).toBe(1);
    const report = JSON.parse(run.stdout) as VerifyReport;
    expect(report.summary).toMatchObject({ rules: 1, equal: 0, different: 1, notVerified: 0 });
    const [rule] = report.rules;
    expect(rule.action).toBe(file);
    for (const scenario of rule.scenarios) {
      const prefixes = differences[scenario.scenario];
      if (!prefixes) {
        expect(scenario.differences, `${scenario.scenario} should be equal`).toEqual([]);
        continue;
      }
      expect(scenario.equal).toBe(false);
      for (const prefix of prefixes) {
        expect(scenario.differences.some((d) => d.startsWith(prefix)), `${scenario.scenario}: "${prefix}" in ${JSON.stringify(scenario.differences)}`).toBe(true);
      }
    }
    expect(rule.scenarios.map((s) => s.scenario)).toEqual(expect.arrayContaining(Object.keys(differences)));
  }, 60_000);

  it('text output names the scenario and the difference of a removed setPrimaryUser', async () => {
    const pair = path.join(PAIRS, 'linking-request');
    const run = await cli([
      'verify', path.join(pair, 'rule.js'), '--action', path.join(pair, 'wrong/set-primary-user-removed.sdk7.js'), '--no-typecheck',
    ]);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/✖ different .*rule\.js \(sdk 7, linking matrix/);
    expect(run.stdout).toMatch(/✖ new-account-joins-existing differs\n\s+primary user: rule "auth0\|5f0c8a1e2b3c4d5e6f708091", action \(not set\)/);
    expect(run.stdout).toMatch(/✔ no-candidate/);
    expect(run.stdout).toMatch(/1 rule: 0 equal, 1 different, 0 not verified; 11 scenarios: 9 equal, 2 different/);
  }, 60_000);

  it('a hard-coded tenant URL is served by the emulator; a rule with keyword tokens runs only with values', async () => {
    const rule = readFileSync(path.join(PAIRS, 'linking-request/rule.js'), 'utf8');
    const action = readFileSync(path.join(PAIRS, 'linking-request/action.sdk7.js'), 'utf8');
    const hardCoded = rule.replace("const userApiUrl = auth0.baseUrl + '/users';", "const userApiUrl = 'https://example.eu.auth0.com/api/v2/users';");
    const tokened = rule.replace("const userApiUrl = auth0.baseUrl + '/users';", "const userApiUrl = 'https://##TENANT_DOMAIN##/api/v2/users';");
    expect(hardCoded).not.toBe(rule);
    const dir = workspace({ 'hard.js': hardCoded, 'token.js': tokened, 'action.js': action, 'keywords.json': '{"TENANT_DOMAIN": "example.eu.auth0.com"}' });
    const common = ['--action', path.join(dir, 'action.js'), '--no-typecheck', '--format', 'json'];

    const hard = await cli(['verify', path.join(dir, 'hard.js'), ...common]);
    const hardReport = JSON.parse(hard.stdout) as VerifyReport;
    expect(hardReport.rules[0].scenarios.filter((s) => !s.equal)).toEqual([]);
    expect(hardReport.rules[0].notes.join('\n') + hardReport.rules[0].scenarios.flatMap((s) => s.notes).join('\n')).toMatch(
      /requests for https:\/\/example\.eu\.auth0\.com were served by the emulator/,
    );
    expect(hard.code).toBe(0);

    const without = await cli(['verify', path.join(dir, 'token.js'), ...common]);
    const withoutReport = JSON.parse(without.stdout) as VerifyReport;
    expect(withoutReport.rules[0]).toMatchObject({ verdict: 'not-verified', scenarios: [] });
    expect(withoutReport.rules[0].reason).toMatch(/cannot run: keyword tokens ##TENANT_DOMAIN## have no value/);
    expect(without.code).toBe(1);

    const withValues = await cli(['verify', path.join(dir, 'token.js'), ...common, '--keywords', path.join(dir, 'keywords.json')]);
    expect((JSON.parse(withValues.stdout) as VerifyReport).rules[0].verdict).toBe('equal');
    expect(withValues.code).toBe(0);
  }, 60_000);
});

describe('a rule that never answers', () => {
  it('a synchronous endless loop is cut off at --timeout and reported, not left hanging', async () => {
    const dir = workspace({
      'loop.js': 'function (user, context, callback) {\n  while (true) {}\n}\n',
      'action.js': 'exports.onExecutePostLogin = async (event, api) => {};\n',
    });
    const started = Date.now();
    const run = await cli(['verify', path.join(dir, 'loop.js'), '--action', path.join(dir, 'action.js'), '--timeout', '300', '--no-typecheck', '--format', 'json']);
    expect(Date.now() - started).toBeLessThan(15_000);
    const report = JSON.parse(run.stdout) as VerifyReport;
    expect(report.rules[0].scenarios.map((s) => s.differences[0])).toEqual([
      'result: rule failed with "Script execution timed out after 300ms", action let the login continue',
      'result: rule failed with "Script execution timed out after 300ms", action let the login continue',
    ]);
    expect(run.code).toBe(1);
  }, 30_000);
});

describe('migrate --verify', () => {
  it('adds a verification entry per rule; a difference or a rule that could not run makes it review', async () => {
    const dir = workspace({
      'rules/plan.js': [
        'function (user, context, callback) {',
        '  if (!user.email_verified) {',
        "    return callback(new UnauthorizedError('Please verify your email.'));",
        '  }',
        "  context.idToken['https://example.com/plan'] = user.app_metadata.plan || 'free';",
        '  callback(null, user, context);',
        '}',
        '',
      ].join('\n'),
      // Sets the scope by assignment: the codemod leaves it for a human, verify sees the missing scope.
      'rules/scopes.js': readFileSync(path.join(PAIRS, 'claims-metadata-deny/rule.js'), 'utf8'),
      'rules/env.js': "function (user, context, callback) {\n  context.idToken['https://example.com/env'] = '##ENV##';\n  callback(null, user, context);\n}\n",
    });
    const plain = JSON.parse((await cli(['migrate', path.join(dir, 'rules'), '--format', 'json'])).stdout) as MigrationReport;
    const run = await cli(['migrate', path.join(dir, 'rules'), '--format', 'json', '--verify']);
    const report = JSON.parse(run.stdout) as MigrationReport;
    const byName = (r: MigrationReport, name: string) => r.rules.find((rule) => rule.name === name)!;

    // Existing fields keep their names and values; `verification` is added.
    const { verification, ...rest } = byName(report, 'plan');
    expect(rest).toEqual(byName(plain, 'plan'));
    expect(verification).toEqual({ sdk: 7, verdict: 'equal', scenarios: 2, equal: 2, different: 0, differences: [], typeErrors: 0 });

    const scopes = byName(report, 'scopes');
    expect(scopes.status).toBe('review');
    expect(scopes.verification).toMatchObject({ verdict: 'different', scenarios: 2, different: 1 });
    expect(scopes.verification?.differences).toEqual(['returning-user: scopes added: rule ["write:articles"], action []']);
    expect(scopes.findings.filter((f) => f.code === 'behaviour-differs').map((f) => f.message)).toEqual([
      'Verify (auth0 v7): scenario returning-user differs: scopes added: rule ["write:articles"], action []',
    ]);

    const env = byName(report, 'env');
    expect(byName(plain, 'env').status).toBe('migrated');
    expect(env.status).toBe('review');
    expect(env.verification).toMatchObject({ verdict: 'not-verified', scenarios: 0 });
    expect(env.verification?.reason).toMatch(/keyword tokens ##ENV##/);
    expect(env.findings.map((f) => f.code)).toContain('not-verified');
    expect(report.summary.review).toBe(plain.summary.review + 1);
    expect(run.code).toBe(1);
  }, 60_000);
});

describe('verify helpers', () => {
  it('replaces keyword tokens as a0deploy does: @@KEY@@ as JSON (quotes included), ##KEY## as text', async () => {
    const { substituteKeywords } = await import('../src/verify/index.js');
    const source = "const env = @@ENV@@;\nconst q = '@@ENV@@';\nconst url = '##API##/v1';\nconst n = ##N##;\nconst m = @@MISSING@@;";
    const { code, missing } = substituteKeywords(source, { ENV: 'prod', API: 'https://api.example.com', N: 3 });
    expect(code).toBe('const env = "prod";\nconst q = "prod";\nconst url = \'https://api.example.com/v1\';\nconst n = 3;\nconst m = @@MISSING@@;');
    expect(missing).toEqual(['@@MISSING@@']);
  });

  it('picks the account-linking matrix for rules that link or call the Management API', async () => {
    const { builtinScenarios } = await import('../src/verify/index.js');
    const kind = (script: string, linking = false) => builtinScenarios({ script, linking }).kind;
    expect(kind('function (u, c, cb) { cb(null, u, c); }', true)).toBe('linking');
    expect(kind("request({ url: auth0.baseUrl + '/users-by-email' }, cb)")).toBe('linking');
    expect(kind("fetch('https://example.auth0.com/api/v2/users')")).toBe('linking');
    expect(kind("const { ManagementClient } = require('auth0@2.31.0');")).toBe('linking');
    expect(kind('auth0.users.getUsersByEmail(user.email, cb)')).toBe('linking');
    expect(kind('auth0.users.updateAppMetadata(user.user_id, md)')).toBe('generic');
    expect(kind("context.idToken['https://example.com/x'] = 1;")).toBe('generic');
  });
});

describe('verifyTargets marks the scenarios where the rule linked accounts', () => {
  const demo = path.resolve(import.meta.dirname, '../fixtures/demo-tenant/rules');
  const verifyDemo = async (file: string) => {
    const { runRule } = await import('../src/run.js');
    const { targetFromRun, verifyTargets } = await import('../src/cli/verify.js');
    const script = readFileSync(path.join(demo, file), 'utf8');
    const run = runRule({ source: file, name: file, script }, { sdk: 7 });
    const [result] = await verifyTargets([targetFromRun(run, 7)], { typecheck: false });
    return result!.scenarios;
  };

  it('a linking rule links in some scenarios, not in all', async () => {
    const scenarios = await verifyDemo('Link Accounts By Email.js');
    expect(scenarios.some((s) => s.ruleLinked === true)).toBe(true);
    expect(scenarios.some((s) => s.ruleLinked === undefined)).toBe(true);
  });

  it('a rule that never links is never marked', async () => {
    const scenarios = await verifyDemo('Geo Blocking.js');
    expect(scenarios.length).toBeGreaterThan(0);
    expect(scenarios.filter((s) => s.ruleLinked)).toEqual([]);
  });
});
