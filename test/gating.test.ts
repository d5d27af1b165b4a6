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
    expect(r.stdout).toContain('5 rules: 4 migrated, 1 needs review, 0 failed; 0 errors, 1 warning\n');
  });

  it('--fail-on, --max-warnings and --quiet decide exit 1 as ESLint does', async () => {
    expect((await run(['migrate', DEMO, '--no-diff', '--fail-on', 'warning'])).code).toBe(1);
    expect((await run(['migrate', DEMO, '--no-diff', '--fail-on', 'error'])).code).toBe(0);
    expect((await run(['migrate', DEMO, '--no-diff', '--max-warnings', '0'])).code).toBe(1);
    expect((await run(['migrate', DEMO, '--no-diff', '--max-warnings', '1'])).code).toBe(0);
    const quiet = await run(['migrate', DEMO, '--no-diff', '--quiet', '--fail-on', 'warning']);
    expect(quiet.code).toBe(0);
    expect(quiet.stdout).not.toMatch(/\s(warning|info)\s/);
    expect(quiet.stdout).toContain('Geo Blocking.js'); // the rule is still listed, without its warning
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
    const out = tmp();
    expect((await run(['migrate', DEMO, '--out', out])).code).toBe(1);
    expect((await run(['migrate', DEMO, '--out', out, '--fail-on', 'error'])).code).toBe(0);
  });

  it('exits 2 when no rules are found', async () => {
    const empty = tmp();
    mkdirSync(path.join(empty, 'rules'));
    const r = await run(['migrate', path.join(empty, 'rules')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('No rules found in');
    expect(r.stdout).toBe('');
    for (const command of ['audit', 'verify']) {
      const other = await run([command, path.join(empty, 'rules')]);
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
    const [sarifRun, jsonRun] = await Promise.all([
      run(['migrate', DEMO, path.relative(ROOT, broken), '--format', 'sarif']),
      run(['migrate', DEMO, path.relative(ROOT, broken), '--format', 'json']),
    ]);
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
    const geo = sarif.tool.driver.rules.find((r: { id: string }) => r.id === 'rules2actions/review-field');
    expect(geo.shortDescription.text.length).toBeGreaterThan(0);
  });
});
