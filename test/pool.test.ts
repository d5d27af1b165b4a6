import { describe, expect, it } from 'vitest';
import { runAll, runRules } from '../src/cli/pool.js';
import type { RuleInput } from '../src/run.js';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { globSync } from 'tinyglobby';
import { FIXTURES } from './support/fixtures.js';

// Every fixture rule, three times over: past the pool threshold, with parse errors, tokens, Actions.
const rules = globSync('*/*/rule.js', { cwd: FIXTURES }).sort();
const inputs: RuleInput[] = [1, 2, 3].flatMap((round) =>
  rules.map((file, i) => ({ source: `${file}#${round}`, name: path.dirname(file), script: readFileSync(path.join(FIXTURES, file), 'utf8'), order: i })),
);

describe('worker pool', () => {
  it('gives the same runs, in the same order, as the in-process path', async () => {
    const options = { sdk: 7 as const };
    const inProcess = await runAll(inputs, options, undefined, { threads: 0 });
    const seen: string[] = [];
    const pooled = await runAll(inputs, options, (run) => seen.push(run.input.source), { threads: 2, threshold: 1 });
    expect(inputs.length).toBeGreaterThan(48);
    expect(seen).toEqual(inputs.map((i) => i.source));
    expect(pooled).toEqual(inProcess);
    expect(pooled.map((r) => r.input)).toEqual(inputs);
  });

  it('keeps small runs in-process', async () => {
    const few = inputs.slice(0, 3);
    const runs = await runAll(few, {}, undefined, { threads: 2 });
    expect(runs.map((r) => r.input)).toEqual(few);
  });

  it('stops and rejects when the consumer fails', async () => {
    let calls = 0;
    const run = runRules(inputs, {}, () => {
      if (++calls === 5) throw new Error('disk full');
    }, { threads: 2, threshold: 1 });
    await expect(run).rejects.toThrow('disk full');
    expect(calls).toBe(5);
  });
});
