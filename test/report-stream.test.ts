// The report written in pieces (issue 16) is the report as one string, and the spool gives back what went in.
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildReport, jsonChunks } from '../src/format/report-json.js';
import { formatMarkdown, markdownChunks } from '../src/format/markdown.js';
import { formatSarif, sarifChunks } from '../src/format/sarif.js';
import { createSpool } from '../src/io/spool.js';
import type { RuleReport } from '../src/run.js';

const rule = (name: string, extra: Partial<RuleReport> = {}): RuleReport => ({
  source: `rules/${name}.js`,
  name,
  status: 'review',
  action: { name, file: `actions/${name}/code.js` },
  findings: [{ code: 'x', transform: 't', severity: 'warning', message: 'a "quoted" \\ line\u2028 é 😀 | pipe\nnext', line: 3, column: 7 }],
  secrets: ['API_KEY'],
  dependencies: [{ name: 'request', version: '2.88.2' }],
  scopes: ['read:users'],
  linking: true,
  ...extra,
});
const summary = { rules: 2, migrated: 0, review: 2, failed: 0, errors: 0, warnings: 2 };

describe('report in pieces', () => {
  it.each([
    ['rules and notes', [rule('a'), rule('b', { deploy: { deployed: false, bound: false, heldBack: 'why' } })], ['bindings not written']],
    ['rules, no notes', [rule('a')], []],
    ['no rules', [], ['a note']],
    ['nothing', [], []],
  ])('JSON: %s, byte for byte as JSON.stringify', (_, rules, notes) => {
    const report = buildReport('1.2.3', summary, rules as RuleReport[], notes as string[]);
    expect([...jsonChunks(report)].join('')).toBe(JSON.stringify(report, null, 2) + '\n');
    // Read from an iterable (the spool) as from the array.
    expect([...jsonChunks({ ...report, rules: new Set(rules as RuleReport[]) })].join('')).toBe(JSON.stringify(report, null, 2) + '\n');
  });

  it.each([
    ['findings of several codes and rules', [rule('a'), rule('b', { findings: [] }), rule('c', { findings: [...rule('c').findings, { code: 'y', transform: 't', severity: 'error', message: 'm', line: 1, column: 1, suggestion: 's' }] })]],
    ['no findings', [rule('a', { findings: [] })]],
    ['no rules', []],
  ])('SARIF: %s, byte for byte as one string, from an iterable read twice', (_, rules) => {
    const report = buildReport('1.2.3', summary, rules as RuleReport[]);
    const text = formatSarif(report);
    expect(JSON.parse(text).runs[0].results).toHaveLength((rules as RuleReport[]).flatMap((r) => r.findings).length);
    expect([...sarifChunks({ ...report, rules: new Set(rules as RuleReport[]) })].join('')).toBe(text);
  });

  it('Markdown: the same text from an iterable as from the array', () => {
    const rules = [rule('a'), rule('b')];
    const report = buildReport('1.2.3', summary, rules, ['n']);
    const text = formatMarkdown(report);
    expect(text).toContain('## a — review');
    expect([...markdownChunks({ ...report, rules: new Set(rules) })].join('')).toBe(text);
  });
});

describe('createSpool', () => {
  it('gives back every value in order, again on each pass, across chunk boundaries and multi-byte characters', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'r2a-spool-'));
    const spool = createSpool<{ i: number; text: string }>(dir);
    // About 3 MB: several read chunks, with 4-byte characters landing on their edges.
    const values = Array.from({ length: 30_000 }, (_, i) => ({ i, text: `${'😀'.repeat(i % 7)}é\u2028${'x'.repeat(i % 97)}` }));
    for (const v of values) spool.append(v);
    expect(spool.count).toBe(values.length);
    expect([...spool.values()]).toEqual(values);
    spool.append({ i: -1, text: 'last' });
    expect([...spool.values()].at(-1)).toEqual({ i: -1, text: 'last' });
    spool.close();
    // Removed (on POSIX, as soon as it was open).
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe('migrate writes stdout as the reader takes it', () => {
  it('waits for stdout to drain whenever a write was queued, and prints the same text', async () => {
    const { main } = await import('../src/cli/main.js');
    const args = ['migrate', path.resolve(import.meta.dirname, '../fixtures/demo-tenant')];
    let plain = '';
    expect(await main(args, { stdout: (t) => void (plain += t), stderr: () => {}, isTTY: false })).toBe(0);

    // A pipe whose buffer is always full: every write queues, and nothing may be written until it drains.
    let slow = '';
    let writes = 0;
    let waits = 0;
    let full = false;
    const io = {
      stdout: (t: string) => {
        expect(full, 'written while stdout had not drained').toBe(false);
        slow += t;
        writes++;
        full = true;
        return false;
      },
      drained: () => {
        waits++;
        return new Promise<void>((resolve) => setImmediate(() => ((full = false), resolve())));
      },
      stderr: () => {},
      isTTY: false,
    };
    expect(await main(args, io)).toBe(0);
    expect(slow).toBe(plain);
    expect(writes).toBeGreaterThan(1);
    expect(waits).toBe(writes);
  });
});
