// The migrate progress bar learns its total as tenants are read (issue 16: inputs read lazily).
import { describe, expect, it } from 'vitest';
import { createGrowingProgress } from '../src/cli/progress.js';

describe('createGrowingProgress', () => {
  it('starts drawing once the rules read pass the threshold, counting those already done, and ends at the full total', () => {
    let text = '';
    const bar = createGrowingProgress((t) => void (text += t), { tty: true, width: 10 });
    bar.add(30);
    for (let i = 0; i < 30; i++) bar.tick(i);
    expect(text).toBe('');
    bar.add(40);
    for (let i = 0; i < 40; i++) bar.tick(i);
    bar.done();
    expect(text).toContain('[##########] 70/70 rules');
  });

  it('stays quiet off a terminal and under the threshold', () => {
    let text = '';
    const write = (t: string) => void (text += t);
    const pipe = createGrowingProgress(write, { tty: false });
    const small = createGrowingProgress(write, { tty: true });
    pipe.add(500);
    small.add(50);
    for (let i = 0; i < 500; i++) pipe.tick(small.tick(i));
    pipe.done();
    small.done();
    expect(text).toBe('');
  });
});
