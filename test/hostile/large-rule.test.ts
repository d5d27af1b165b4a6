/**
 * Large inputs: the diff has a budget (src/diff.ts), so a 900 KB rule whose every line changes gets a
 * coarse but exact diff instead of minutes of Myers diff; the coarse patch applies exactly.
 * Speed itself is measured by hand (README, Security), not here: no timed tests.
 */
import { applyPatch, parsePatch } from 'diff';
import { describe, expect, it } from 'vitest';
import { coarsePatch, DIFF_MAX_EDIT_LENGTH, lineChanges, unifiedDiff } from '../../src/diff.js';
import { migrate } from '../../src/index.js';

/** A 900 KB rule: one object literal with thousands of lines, each of which the migration rewrites. */
function largeRule(): string {
  const lines = ['function (user, context, callback) {', '  var seen = {'];
  for (let i = 0; lines.join('\n').length < 900 * 1024; i++) {
    lines.push(`    'https://example.com/claim${i}': context.request.ip + context.clientID + '${'x'.repeat(20)}',`);
  }
  lines.push('  };', "  context.idToken['https://example.com/seen'] = Object.keys(seen).length;", '  callback(null, user, context);', '}');
  return `${lines.join('\n')}\n`;
}

describe('bounded diff', () => {
  it('the coarse patch applies exactly, at the edges too (no final newline, empty sides, changes at the start or end)', () => {
    const cases: Array<[string, string]> = [
      ['a\nb\nc\n', 'a\nB\nc\n'],
      ['a\nb\nc', 'a\nb\nC'],
      ['a\nb\nc\n', 'a\nb\nc'],
      ['', 'x\ny\n'],
      ['x\ny\n', ''],
      ['1\n2\n3\n4\n5\n6\n7\n8\n', '0\n1\n2\n3\n4\n5\n6\n7\n8\n9\n'],
      ['same\nsame\nold\nsame\n', 'same\nsame\nsame\n'],
      ['p\nq\n', 'p\nx\ny\nz\nq\n'],
    ];
    for (const [before, after] of cases) {
      const patch = coarsePatch('a/f.js', 'b/f.js', before, after, 3);
      expect(applyPatch(before, patch), JSON.stringify([before, after, patch])).toBe(after);
      expect(parsePatch(patch)).toHaveLength(1);
    }
  });

  it('a 900 KB rule rewritten on every line: migrated, with a diff past the edit budget that is coarse and exact', () => {
    const source = largeRule();
    expect(source.length).toBeGreaterThan(900 * 1024);
    const result = migrate(source, { filename: 'rules/large.js', diff: true });
    expect(result.status).toBe('ok');
    expect(result.code).toContain('event.request.ip');
    const changed = source.split('\n').length;
    expect(changed * 2).toBeGreaterThan(DIFF_MAX_EDIT_LENGTH); // the exact diff would exceed the budget
    const [patch] = parsePatch(result.diff);
    expect(patch.hunks).toHaveLength(1);
    expect(applyPatch(source, result.diff)).toBe(result.code);
  }, 120_000);

  it('the side-by-side changes stay within the budget too and rebuild both sides', () => {
    const before = Array.from({ length: 12_000 }, (_, i) => `line ${i}\n`).join('');
    const after = Array.from({ length: 12_000 }, (_, i) => `LINE ${i}\n`).join('');
    const changes = lineChanges(before, after);
    expect(changes.filter((c) => !c.added).map((c) => c.value).join('')).toBe(before);
    expect(changes.filter((c) => !c.removed).map((c) => c.value).join('')).toBe(after);
    expect(applyPatch(before, unifiedDiff('f.js', before, after))).toBe(after);
  });

  it('small diffs are still exact and minimal', () => {
    const lines = Array.from({ length: 30 }, (_, i) => `line ${i}\n`);
    const before = lines.join('');
    const after = lines.map((l, i) => (i === 2 || i === 25 ? l.toUpperCase() : l)).join('');
    const [patch] = parsePatch(unifiedDiff('f.js', before, after));
    expect(patch.hunks).toHaveLength(2);
  });
});
