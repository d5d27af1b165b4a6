import { readFileSync } from 'node:fs';
import path from 'node:path';
import { globSync } from 'tinyglobby';
import { describe, expect, it } from 'vitest';
import { runAll, runRules } from '../src/cli/pool.js';
import type { RuleInput } from '../src/run.js';
import { FIXTURES } from './support/fixtures.js';

// Every fixture rule (parse errors, keyword tokens, Actions, linking included), several batches' worth.
const rules = globSync('*/*/rule.js', { cwd: FIXTURES }).sort();
const inputs: RuleInput[] = rules.map((file, i) => ({
  source: file,
  name: path.dirname(file),
  script: readFileSync(path.join(FIXTURES, file), 'utf8'),
  order: i,
}));

describe('worker pool', () => {
  it('gives the same runs, in the same order, as the in-process path', async () => {
    const options = { sdk: 7 as const };
    const inProcess = await runAll(inputs, options, undefined, { threads: 0 });
    const seen: string[] = [];
    const pooled = await runAll(inputs, options, (run) => seen.push(run.input.source), { threads: 2, threshold: 1 });
    expect(inputs.length).toBeGreaterThan(32);
    expect(seen).toEqual(inputs.map((i) => i.source));
    expect(pooled).toEqual(inProcess);
    expect(pooled.map((r) => r.input)).toEqual(inputs);
  }, 120_000);

  it('skips the diffs when asked, on both paths', async () => {
    const withDiffs = await runAll(inputs, {}, undefined, { threads: 0 });
    expect(withDiffs.some((r) => r.result.diff !== '')).toBe(true);
    for (const threads of [0, 2]) {
      const runs = await runAll(inputs, { diff: false }, undefined, { threads, threshold: 1 });
      expect(runs.every((r) => r.result.diff === '')).toBe(true);
      expect(runs.map((r) => r.result.code)).toEqual(withDiffs.map((r) => r.result.code));
    }
  }, 120_000);

  it('a 900 KB rule migrates in a worker (heap limits) as it does in-process, in its place', async () => {
    const lines = ['function (user, context, callback) {', '  var seen = {'];
    for (let i = 0, size = 0; size < 900 * 1024; i++) size += lines[lines.push(`    'https://example.com/claim${i}': context.request.ip + context.clientID + '${'x'.repeat(20)}',`) - 1].length;
    lines.push('  };', '  context.idToken.seen = Object.keys(seen).length;', '  callback(null, user, context);', '}', '');
    const large: RuleInput = { source: 'large.js', name: 'large', script: lines.join('\n') };
    expect(large.script.length).toBeGreaterThan(900 * 1024);
    const portfolio = [...inputs.slice(0, 20), large, ...inputs.slice(20, 40)];
    const options = { diff: false };
    const inProcess = await runAll(portfolio, options, undefined, { threads: 0 });
    const pooled = await runAll(portfolio, options, undefined, { threads: 2, threshold: 1 });
    expect(inProcess[20].result.status).toBe('ok');
    expect(inProcess[20].result.code).toContain('event.request.ip');
    expect(pooled).toEqual(inProcess);
  }, 240_000);

  it('stops and rejects when the consumer fails', async () => {
    let calls = 0;
    const run = runRules(inputs, {}, () => {
      if (++calls === 5) throw new Error('disk full');
    }, { threads: 2, threshold: 1 });
    await expect(run).rejects.toThrow('disk full');
    expect(calls).toBe(5);
  }, 120_000);
});
