/**
 * src/ast.ts's `n` and `b` skip ast-types' own checks. `n` tests node types by a Set lookup on `type`
 * (src/walk.ts namedTypes): it must give ast-types' answer for every named type and every kind of
 * node, abstract supertypes (Node, Expression, Function…) and non-nodes included. `b` must build the
 * nodes ast-types' builders build.
 */
import * as recast from 'recast';
import { describe, expect, it } from 'vitest';
import { b, n } from '../src/ast.js';

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

/** `b` (src/ast.ts) skips ast-types' field checks after a builder's first call: the nodes must stay the same. */
describe('b.x(…)', () => {
  const checked = recast.types.builders;
  const calls: Array<[string, (builders: typeof checked) => unknown]> = [
    ['identifier', (x) => x.identifier('user')],
    ['member expression, defaults', (x) => x.memberExpression(x.identifier('event'), x.identifier('user'))],
    ['computed member expression', (x) => x.memberExpression(x.identifier('a'), x.stringLiteral('x-y'), true)],
    ['optional member expression', (x) => x.optionalMemberExpression(x.identifier('a'), x.identifier('b'), false, true)],
    ['call with arguments', (x) => x.callExpression(x.identifier('f'), [x.numericLiteral(1), x.booleanLiteral(false)])],
    ['object property', (x) => x.objectProperty(x.identifier('id'), x.identifier('id'))],
    ['arrow function', (x) => x.arrowFunctionExpression([x.identifier('r')], x.memberExpression(x.identifier('r'), x.identifier('data')))],
    ['return without argument', (x) => x.returnStatement(null)],
    ['if statement', (x) => x.ifStatement(x.identifier('e'), x.blockStatement([x.returnStatement(null)]))],
    ['line comment', (x) => x.commentLine(' note', true, false)],
    ['variable declaration', (x) => x.variableDeclaration('const', [x.variableDeclarator(x.identifier('a'), x.nullLiteral())])],
  ];
  const shape = (node: unknown): unknown =>
    node && typeof node === 'object'
      ? { prototype: Object.getPrototypeOf(node), entries: Object.entries(node).map(([key, value]) => [key, shape(value)]) }
      : node;
  it.each(calls)('%s: first and later calls build what ast-types builds', (_name, build) => {
    const expected = shape(build(checked));
    expect(shape(build(b))).toEqual(expected);
    expect(shape(build(b))).toEqual(expected);
  });
});
