// CI gating as in ESLint (--fail-on, --max-warnings, --quiet, exit 2 without rules), SARIF checked
// against the official SARIF 2.1.0 schema, `-` for stdin and -o/--output for the report file.
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Ajv04 from 'ajv-draft-04';
import addFormats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { main, type Io } from '../src/cli/main.js';
import type { MigrationReport } from '../src/format/report-json.js';

const ROOT = path.resolve(import.meta.dirname, '..');
// Relative, as a user types it (the tests run from the repository root): SARIF URIs stay relative.
const DEMO = 'fixtures/demo-tenant';
const BROKEN = 'function (user, context, callback) {\n  const x = ;\n  callback(null, user, context);\n}\n';
const SIMPLE = "function (user, context, callback) {\n  context.idToken['https://example.com/email'] = user.email;\n  callback(null, user, context);\n}\n";
// Converted, with one warning to review (global state is per Action instance now).
const WARNS = 'function (user, context, callback) {\n  global.cache = global.cache || {};\n  callback(null, user, context);\n}\n';
// Converted, with an error finding (a claim read back is undefined in an Action).
const ERRS = 'function (user, context, callback) {\n  var claims = context.idToken;\n  claims.x = 1;\n  console.log(context.idToken.x);\n  callback(null, user, context);\n}\n';

async function run(args: string[], stdin?: string) {
  const out = { stdout: '', stderr: '' };
  const io: Io = {
    stdout: (t) => void (out.stdout += t),
    stderr: (t) => void (out.stderr += t),
    isTTY: false,
    stdin: async () => stdin ?? '',
  };
  const code = await main(args, io);
  return { code, ...out };
}

const tmp = () => mkdtempSync(path.join(tmpdir(), 'r2a-gating-'));

function folder(files: Record<string, string>): string {
  const dir = tmp();
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  return dir;
}

function brokenFolder(): string {
  const dir = tmp();
  writeFileSync(path.join(dir, 'broken.js'), BROKEN);
  writeFileSync(path.join(dir, 'simple.js'), SIMPLE);
  return dir;
}

describe('exit codes and gating', () => {
  it("the README's first command exits 0: a rule to review is an answer in a dry run", async () => {
    expect(process.cwd()).toBe(ROOT);
    const r = await run(['migrate', DEMO]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^5 rules: \d migrated, \d needs? review, 0 failed; /m);
    // A rule to review (even with an error finding) is an answer too; a failed rule is not.
    const review = await run(['migrate', folder({ 'warns.js': WARNS, 'errs.js': ERRS })]);
    expect(review.stdout).toContain('2 rules: 0 migrated, 2 need review, 0 failed; 1 error, 1 warning\n');
    expect(review.code).toBe(0);
  });

  it('--fail-on, --max-warnings and --quiet decide exit 1 as ESLint does', async () => {
    const warns = folder({ 'warns.js': WARNS, 'simple.js': SIMPLE });
    expect((await run(['migrate', warns, '--no-diff'])).code).toBe(0);
    expect((await run(['migrate', warns, '--no-diff', '--fail-on', 'warning'])).code).toBe(1);
    expect((await run(['migrate', warns, '--no-diff', '--fail-on', 'error'])).code).toBe(0);
    expect((await run(['migrate', warns, '--no-diff', '--max-warnings', '0'])).code).toBe(1);
    expect((await run(['migrate', warns, '--no-diff', '--max-warnings', '1'])).code).toBe(0);
    const quiet = await run(['migrate', warns, '--no-diff', '--quiet', '--fail-on', 'warning']);
    expect(quiet.code).toBe(0);
    expect(quiet.stdout).not.toMatch(/\s(warning|info)\s/);
    expect(quiet.stdout).toContain('warns.js'); // the rule is still listed, without its warning
    expect(quiet.stdout).toContain('0 errors, 0 warnings');
    const errs = folder({ 'errs.js': ERRS });
    expect((await run(['migrate', errs, '--no-diff', '--fail-on', 'error'])).code).toBe(1);
    expect((await run(['migrate', errs, '--no-diff', '--quiet', '--fail-on', 'error'])).code).toBe(1);
    expect((await run(['migrate', errs, '--no-diff', '--fail-on', 'never'])).code).toBe(0);
    const broken = brokenFolder();
    expect((await run(['migrate', broken, '--no-diff'])).code).toBe(1); // a failed rule fails a dry run
    expect((await run(['migrate', broken, '--no-diff', '--fail-on', 'never'])).code).toBe(0);
    expect((await run(['migrate', broken, '--no-diff', '--fail-on', 'never', '--max-warnings', '0'])).code).toBe(0);
    const bad = await run(['migrate', DEMO, '--max-warnings', 'many']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('a whole number');
    expect((await run(['migrate', DEMO, '--fail-on', 'info'])).code).toBe(2);
  });

  it('writing runs keep exit 1 for a rule to review unless told otherwise', async () => {
    const warns = folder({ 'warns.js': WARNS });
    expect((await run(['migrate', warns, '--out', tmp()])).code).toBe(1);
    expect((await run(['migrate', warns, '--out', tmp(), '--fail-on', 'error'])).code).toBe(0);
  });

  it('exits 2 when no rules are found; an export with an empty rules list is an answer', async () => {
    const empty = tmp();
    mkdirSync(path.join(empty, 'nothing'));
    writeFileSync(path.join(empty, 'nothing', 'notes.txt'), 'not a rule');
    mkdirSync(path.join(empty, 'export'));
    writeFileSync(path.join(empty, 'export', 'tenant.yaml'), 'rules: []\nrulesConfigs: []\n');
    const exported = await run(['migrate', path.join(empty, 'export')]);
    expect(exported.code).toBe(0);
    expect(exported.stdout).toContain('0 rules');
    const r = await run(['migrate', path.join(empty, 'nothing')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('No rules found in');
    expect(r.stdout).toBe('');
    for (const command of ['audit', 'verify']) {
      const other = await run([command, path.join(empty, 'nothing')]);
      expect(other.code, command).toBe(2);
      expect(other.stderr).toContain('No rules found in');
    }
  });
});

describe('stdin and --output', () => {
  it('`-` reads one rule from stdin', async () => {
    const r = await run(['migrate', '-', '--format', 'json'], SIMPLE);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as MigrationReport;
    expect(report.rules).toHaveLength(1);
    expect(report.rules[0]).toMatchObject({ source: '<stdin>', name: 'stdin', status: 'migrated' });
    const dry = await run(['migrate', '-'], SIMPLE);
    expect(dry.stdout).toContain("+  api.idToken.setCustomClaim('https://example.com/email', event.user.email);");
    expect((await run(['migrate', '-'], '  \n')).code).toBe(2);
    expect((await run(['migrate', '-', '--write'], SIMPLE)).code).toBe(2);
  });

  it('-o names the report file in migrate as in audit; a folder is refused with the --out spelling', async () => {
    const dir = tmp();
    const file = path.join(dir, 'report.sarif');
    const r = await run(['migrate', DEMO, '--format', 'sarif', '-o', file]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(JSON.parse(readFileSync(file, 'utf8')).version).toBe('2.1.0');
    const verdicts = path.join(dir, 'verify.json');
    const verify = await run(['verify', path.join(ROOT, 'fixtures/demo-tenant/rules/MFA For Admin App.js'), '--no-typecheck', '--format', 'json', '-o', verdicts]);
    expect(verify.stdout).toBe('');
    expect(JSON.parse(readFileSync(verdicts, 'utf8')).summary.rules).toBe(1);
    const folder = await run(['migrate', DEMO, '-o', dir]);
    expect(folder.code).toBe(2);
    expect(folder.stderr).toContain(`use --out ${dir}`);
  });
});

describe('SARIF', () => {
  const schema = JSON.parse(readFileSync(path.join(ROOT, 'test/schemas/sarif-2.1.0-rtm.5.json'), 'utf8'));
  // The schema is draft-04 (as published, taken from the npm package @microsoft/jest-sarif); ajv-draft-04
  // reads that dialect. One of its patterns (language tags) is not valid with the `u` flag: plain RegExp.
  const ajv = new Ajv04({ allErrors: true, strict: false, unicodeRegExp: false });
  addFormats(ajv);
  const validate = ajv.compile(schema);

  it('is valid SARIF 2.1.0 with one located result per finding', async () => {
    const broken = brokenFolder();
    const more = folder({ 'warns.js': WARNS, 'errs.js': ERRS });
    const args = ['migrate', DEMO, path.relative(ROOT, broken), path.relative(ROOT, more)];
    const [sarifRun, jsonRun] = await Promise.all([run([...args, '--format', 'sarif']), run([...args, '--format', 'json'])]);
    const log = JSON.parse(sarifRun.stdout);
    expect(validate(log), JSON.stringify(validate.errors, null, 2)).toBe(true);
    const report = JSON.parse(jsonRun.stdout) as MigrationReport;
    const findings = report.rules.flatMap((r) => r.findings.map((f) => ({ ...f, source: r.source })));
    const [sarif] = log.runs;
    expect(sarif.tool.driver).toMatchObject({ name: 'rules2actions', version: report.tool.version });
    expect(sarif.results).toHaveLength(findings.length);
    const ruleIds = sarif.tool.driver.rules.map((r: { id: string }) => r.id);
    expect(new Set(ruleIds).size).toBe(ruleIds.length);
    for (const [i, f] of findings.entries()) {
      const result = sarif.results[i];
      expect(result.ruleId).toBe(`rules2actions/${f.code}`);
      expect(ruleIds[result.ruleIndex]).toBe(result.ruleId);
      expect(result.level).toBe({ error: 'error', warning: 'warning', info: 'note' }[f.severity]);
      expect(result.message.text).toContain(f.message);
      const location = result.locations[0].physicalLocation;
      expect(location.region).toEqual({ startLine: f.line, startColumn: f.column });
      expect(decodeURIComponent(location.artifactLocation.uri)).toBe(f.source.replace(/\\/g, '/'));
      expect(location.artifactLocation.uri).not.toMatch(/^\/|\\|%2F/);
    }
    const parseError = sarif.tool.driver.rules.find((r: { id: string }) => r.id === 'rules2actions/parse-error');
    expect(parseError.help.text).toMatch(/Syntax error/);
    expect(parseError.defaultConfiguration.level).toBe('error');
    const levels = new Set(sarif.results.map((r: { level: string }) => r.level));
    expect([...levels].sort()).toEqual(['error', 'note', 'warning']);
    for (const rule of sarif.tool.driver.rules) expect(rule.shortDescription.text.length, rule.id).toBeGreaterThan(0);
  });
});
