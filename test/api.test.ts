// The library API as a user calls it: clear errors for bad arguments, the transform list.
import { describe, expect, it } from 'vitest';
import { listTransforms, migrate, transforms } from '../src/index.js';
import { unifiedDiff } from '../src/diff.js';

const RULE = 'function (user, context, callback) {\n  callback(null, user, context);\n}\n';

describe('library API', () => {
  it('says what is wrong with bad arguments, with a TypeError', () => {
    expect(() => migrate(undefined as unknown as string)).toThrow(TypeError);
    expect(() => migrate(undefined as unknown as string)).toThrow(/source must be the rule's JavaScript text \(a string\), not undefined/);
    expect(() => migrate(Buffer.from(RULE) as unknown as string)).toThrow(/not an object/);
    expect(() => migrate(RULE, 'rule.js' as never)).toThrow(/options must be an object/);
    expect(() => migrate(RULE, { sdk: 5 as never })).toThrow(/options.sdk must be 4 or 7, not 5/);
    expect(() => migrate(RULE, { transforms: 'rule-signature' as never })).toThrow(/options.transforms must be array of transform ids/);
    expect(() => migrate(RULE, { transforms: ['no-such-transform'] })).toThrow(/unknown transform id\(s\) no-such-transform/);
    expect(migrate(RULE).status).toBe('ok');
    expect(migrate(RULE, { sdk: 4, filename: 'x.js', transforms: ['rule-signature', 'callback-to-return'] }).status).toBe('ok');
  });

  it('lists the transforms in execution order with their finding codes', () => {
    const list = listTransforms();
    expect(list.map((t) => t.id)).toEqual(transforms.map((t) => t.id));
    for (const t of list) {
      expect(t.description.length).toBeGreaterThan(0);
      expect(['safe', 'review']).toContain(t.safety);
      expect(t.codes.length).toBeGreaterThan(0);
    }
  });

  it('gives the diff when it is read, however it is read (it is computed on first read)', () => {
    const expected = unifiedDiff('rules/a.js', RULE, migrate(RULE, { diff: false }).code);
    expect(expected).toMatch(/^--- a\/rules\/a\.js\n\+\+\+ b\/rules\/a\.js\n@@ /);
    expect(migrate(RULE, { filename: 'rules/a.js' }).diff).toBe(expected);
    expect(JSON.parse(JSON.stringify(migrate(RULE, { filename: 'rules/a.js' }))).diff).toBe(expected);
    expect(structuredClone(migrate(RULE, { filename: 'rules/a.js' })).diff).toBe(expected);
    expect({ ...migrate(RULE, { filename: 'rules/a.js' }) }.diff).toBe(expected);
    expect(Object.keys(migrate(RULE)).slice(0, 4)).toEqual(['code', 'findings', 'diff', 'status']);
    const read = migrate(RULE, { filename: 'rules/a.js' });
    expect([read.diff, read.diff]).toEqual([expected, expected]);
    expect(migrate(RULE, { diff: false }).diff).toBe('');
    const action = migrate(RULE).code;
    expect(migrate(action).diff).toBe('');
  });
});
