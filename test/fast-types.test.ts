/**
 * src/ast.ts's `n` tests node types by a Set lookup on `type` (src/walk.ts namedTypes) instead of
 * ast-types' check: it must give ast-types' answer for every named type and every kind of node,
 * abstract supertypes (Node, Expression, Function…) and non-nodes included.
 */
import * as recast from 'recast';
import { describe, expect, it } from 'vitest';
import { n } from '../src/ast.js';

const real = recast.types.namedTypes as unknown as Record<string, recast.types.Type<unknown>>;
const fast = n as unknown as Record<string, { check(value: unknown): boolean }>;
const names = Object.keys(real);
const values: unknown[] = [...names.map((type) => ({ type })), null, undefined, 'Identifier', 42, {}, { type: 'NotANodeType' }, { type: 7 }, []];

describe('n.X.check', () => {
  it('covers every named type', () => {
    expect(Object.keys(fast).sort()).toEqual([...names].sort());
  });
  it.each(names)('%s answers as ast-types for every node type and non-node', (name) => {
    const differing = values.filter((value) => fast[name].check(value) !== real[name].check(value));
    expect(differing).toEqual([]);
  });
});
