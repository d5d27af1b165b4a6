// The names a scope declares are kept per node (src/ast/scope.ts, issue 16): the path queries must
// answer as if they read the tree afresh after every edit that adds, removes or renames a declaration.
import { describe, expect, it } from 'vitest';
import { analyze } from '../src/analyze.js';
import { forgetDeclaredNames, isRuleParameter, renameReferences } from '../src/ast/scope.js';
import { b, n, type NodePath } from '../src/ast.js';
import { parse } from '../src/parse.js';
import type { Node, RuleShape } from '../src/types.js';
import { pathsWhere } from '../src/walk.js';

function ruleOf(code: string): RuleShape {
  const analysis = analyze(parse(code));
  if (analysis.kind !== 'rule') throw new Error('not a rule');
  return analysis.rule;
}

/** The path of the identifier `name` passed to `g(…)`. */
function argumentPath(rule: RuleShape, name: string): NodePath {
  const [call] = pathsWhere(rule.fn, (node) => n.CallExpression.check(node) && n.Identifier.check(node.callee) && node.callee.name === 'g');
  const arg = call.get('arguments', 0);
  expect(arg.node.name).toBe(name);
  return arg;
}

const shadow = (kind: 'var' | 'const') => b.variableDeclaration(kind, [b.variableDeclarator(b.identifier('context'), b.literal(1))]);

describe('declared names kept per scope node', () => {
  it('a declaration inserted into, then pruned from, the block is seen at once', () => {
    const rule = ruleOf('function rule(user, context, callback) {\n  if (a) {\n    g(context);\n  }\n  callback(null, user, context);\n}\n');
    const arg = argumentPath(rule, 'context');
    expect(isRuleParameter(arg, 'context', rule)).toBe(true);
    const [block] = pathsWhere(rule.fn, (node) => n.BlockStatement.check(node) && node.body.length === 1);
    block.get('body').unshift(shadow('const'));
    expect(isRuleParameter(arg, 'context', rule)).toBe(false);
    block.get('body', 0).prune();
    expect(isRuleParameter(arg, 'context', rule)).toBe(true);
    // Replaced in place (same length) by a declaration.
    block.get('body').push(b.expressionStatement(b.literal(0)));
    expect(isRuleParameter(arg, 'context', rule)).toBe(true);
    block.get('body', 1).replace(shadow('const'));
    expect(isRuleParameter(arg, 'context', rule)).toBe(false);
  });

  it("a var added in another block of a helper function shadows the parameter in the whole helper", () => {
    const rule = ruleOf('function rule(user, context, callback) {\n  function f() {\n    if (a) { g(context); }\n    { }\n  }\n  callback(null, user, context);\n}\n');
    const arg = argumentPath(rule, 'context');
    expect(isRuleParameter(arg, 'context', rule)).toBe(true);
    const [empty] = pathsWhere(rule.fn, (node) => n.BlockStatement.check(node) && node.body.length === 0);
    empty.get('body').push(shadow('var'));
    expect(isRuleParameter(arg, 'context', rule)).toBe(false);
  });

  it('a declaration renamed to the name, or an edit outside NodePath after forgetDeclaredNames()', () => {
    const rule = ruleOf('function rule(user, context, callback) {\n  if (a) {\n    let ctx = 1;\n    g(context, ctx);\n  }\n  callback(null, user, context);\n}\n');
    const arg = argumentPath(rule, 'context');
    expect(isRuleParameter(arg, 'context', rule)).toBe(true);
    const [ifBlock] = pathsWhere(rule.fn, (node) => n.BlockStatement.check(node) && node.body.length === 2);
    renameReferences(ifBlock.node as Node, 'ctx', 'other');
    expect(isRuleParameter(arg, 'context', rule)).toBe(true);
    // Direct edit: the list keeps its length, so only forgetting tells.
    (ifBlock.node as { body: unknown[] }).body[0] = shadow('let');
    forgetDeclaredNames();
    expect(isRuleParameter(arg, 'context', rule)).toBe(false);
  });
});
