// The JSON Schemas shipped in schemas/ describe what migrate and audit write.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { main, type Io } from '../src/cli/main.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const schema = (name: string) => JSON.parse(readFileSync(path.join(ROOT, 'schemas', name), 'utf8'));
const ajv = new Ajv({ allErrors: true, strict: true });
addFormats(ajv);

async function run(args: string[]) {
  let stdout = '';
  const io: Io = { stdout: (t) => void (stdout += t), stderr: () => {}, isTTY: false };
  const code = await main(args, io);
  return { code, stdout };
}

describe('JSON Schemas', () => {
  it('migration-report.json validates against schemas/migration-report.schema.json', async () => {
    const validate = ajv.compile(schema('migration-report.schema.json'));
    const out = mkdtempSync(path.join(tmpdir(), 'r2a-schema-'));
    await run(['migrate', path.join(ROOT, 'fixtures/tenants'), path.join(ROOT, 'fixtures/demo-tenant'), '--out', out]);
    const report = JSON.parse(readFileSync(path.join(out, 'migration-report.json'), 'utf8'));
    expect(report.rules.length).toBeGreaterThan(10);
    expect(validate(report), JSON.stringify(validate.errors, null, 2)).toBe(true);
    // and it is not a schema that takes anything
    expect(validate({ ...report, rules: [{ ...report.rules[0], status: 'done' }] })).toBe(false);
    expect(validate({ ...report, rules: [{ ...report.rules[0], findings: [{ code: 'x', line: 0 }] }] })).toBe(false);
  });

  it('audit --format json validates against schemas/audit-report.schema.json', async () => {
    const validate = ajv.compile(schema('audit-report.schema.json'));
    const { stdout } = await run(['audit', path.join(ROOT, 'fixtures/tenants'), '--format', 'json']);
    const report = JSON.parse(stdout);
    expect(report.tenants.length).toBeGreaterThan(2);
    expect(validate(report), JSON.stringify(validate.errors, null, 2)).toBe(true);
    expect(validate({ ...report, tenants: [{ ...report.tenants[0], format: 'zip' }] })).toBe(false);
  });
});
