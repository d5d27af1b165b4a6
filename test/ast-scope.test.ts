import { describe, expect, it } from 'vitest';
import { analyze } from '../src/analyze.js';
import { analyzeScopes, countReferences, liveReferenceCounts, namesDeclaredIn, referenceCounts, renameReferences, ruleScopes, statementDeclaredNames, type Binding } from '../src/ast/scope.js';
import { n } from '../src/ast.js';
import * as recast from 'recast';
import { cloneNode } from '../src/nodes.js';
import { parse } from '../src/parse.js';

const print = (node: unknown) => recast.print(node as never);
import type { Node, RuleShape } from '../src/types.js';
import { walk } from '../src/walk.js';

function ruleOf(code: string): RuleShape {
  const analysis = analyze(parse(code));
  if (analysis.kind !== 'rule') throw new Error('not a rule');
  return analysis.rule;
}

/** Every identifier named `name` that the analysis resolves, in source order. */
function resolutions(code: string, name: string): string[] {
  const ast = parse(code);
  const scopes = analyzeScopes(ast.program as unknown as Node);
  const out: string[] = [];
  walk(ast.program, (node) => {
    if (!n.Identifier.check(node) || node.name !== name) return;
    const binding = scopes.resolve(node);
    if (binding === undefined) return;
    out.push(binding === null ? 'free' : `${binding.kind}@${binding.id.loc!.start.line}`);
  });
  return out;
}

// Each identifier named `name` that is a reference, in source order: `free` or `<kind>@<line of its declaration>`.
const cases: Array<{ title: string; code: string; name: string; expected: string[] }> = [
  { title: 'a global stays free', code: 'configuration.A;', name: 'configuration', expected: ['free'] },
  {
    title: 'a block const hides the global only inside its block',
    code: 'if (a) {\n  const configuration = 1;\n  configuration;\n}\nconfiguration;',
    name: 'configuration',
    expected: ['const@2', 'free'],
  },
  {
    title: 'var is hoisted to the function, out of its block',
    code: 'function f() {\n  x;\n  if (a) {\n    var x = 1;\n  }\n  x;\n}\nx;',
    name: 'x',
    expected: ['var@4', 'var@4', 'free'],
  },
  {
    title: 'a parameter shadows an outer variable',
    code: 'var user = 1;\nfunction f(user) {\n  user;\n}\nuser;',
    name: 'user',
    expected: ['param@2', 'var@1'],
  },
  {
    title: 'destructured parameters and defaults',
    code: 'function f({ a, b: [c] }, d = a) {\n  c;\n}',
    name: 'a',
    expected: ['param@1'],
  },
  {
    title: 'catch parameter scoped to the catch',
    code: 'try {} catch (err) {\n  err;\n}\nerr;',
    name: 'err',
    expected: ['catch@1', 'free'],
  },
  {
    title: 'let in a for head is scoped to the loop',
    code: 'for (let i = 0; i < 1; i++) {\n  i;\n}\ni;',
    name: 'i',
    expected: ['let@1', 'let@1', 'let@1', 'free'],
  },
  {
    title: 'a function declaration in a block is scoped to the block',
    code: '{\n  function g() {}\n  g();\n}\ng();',
    name: 'g',
    expected: ['function@2', 'free'],
  },
  {
    title: 'member names and keys are not references',
    code: 'var a = 1;\nx.a;\n({ a: 1 });\n({ a });\nx[a];',
    name: 'a',
    expected: ['var@1', 'var@1'],
  },
  {
    title: 'a named function expression sees its own name',
    code: 'var h = function self() {\n  self();\n};\nself;',
    name: 'self',
    expected: ['function@1', 'free'],
  },
  {
    title: 'switch cases share one block',
    code: 'switch (a) {\n  case 1:\n    let s = 1;\n  case 2:\n    s;\n}\ns;',
    name: 's',
    expected: ['let@3', 'free'],
  },
  {
    title: 'arrow parameters',
    code: 'list.map((item) => item.id);\nitem;',
    name: 'item',
    expected: ['param@1', 'free'],
  },
];

describe('analyzeScopes', () => {
  it.each(cases)('$title', ({ code, name, expected }) => {
    expect(resolutions(code, name)).toEqual(expected);
  });

  const writes: Array<{ title: string; code: string; name: string; writes: number; init: string | null }> = [
    { title: 'never written', code: 'const a = { b: 1 };\na.b = 2;', name: 'a', writes: 0, init: '{ b: 1 }' },
    { title: 'reassigned', code: 'var a = 1;\na = 2;', name: 'a', writes: 1, init: '1' },
    { title: 'updated', code: 'let a = 1;\na++;\na += 1;', name: 'a', writes: 2, init: '1' },
    { title: 'destructuring assignment', code: 'var a;\n[a] = [1];\n({ x: a } = {});', name: 'a', writes: 2, init: null },
    { title: 'for-in head', code: 'var k;\nfor (k in o) {}', name: 'k', writes: 1, init: null },
    { title: 'declared twice with an initialiser', code: 'var a = 1;\nvar a = 2;', name: 'a', writes: 1, init: '1' },
    { title: 'destructured declaration has no init of its own', code: 'const { a } = o;', name: 'a', writes: 0, init: null },
  ];
  it.each(writes)('writes: $title', ({ code, name, writes: count, init }) => {
    const scopes = analyzeScopes(parse(code).program as unknown as Node);
    const binding = scopes.bindings.find((b) => b.name === name) as Binding;
    expect(binding.writes).toHaveLength(count);
    expect(binding.init ? print(binding.init as never).code : null).toBe(init);
  });

  it('reads a statement list as a block body', () => {
    const body = parse('const a = 1;\na;\nb;').program.body as unknown as Node[];
    const scopes = analyzeScopes(body);
    expect(scopes.scope.bindings.get('a')?.references).toHaveLength(1);
    expect(scopes.free.get('b')).toHaveLength(1);
  });
});

describe('ruleScopes', () => {
  const aliasCases: Array<{ title: string; code: string; role: 'user' | 'context' | 'callback'; names: string[] }> = [
    { title: 'the parameter itself', code: 'function r(user, context, callback) {}', role: 'user', names: ['user'] },
    { title: 'an alias and an alias of the alias', code: 'function r(u, ctx, cb) {\n  var c = ctx;\n  const d = c;\n}', role: 'context', names: ['ctx', 'c', 'd'] },
    { title: 'a reassigned alias is not one', code: 'function r(u, ctx, cb) {\n  var c = ctx;\n  c = {};\n}', role: 'context', names: ['ctx'] },
    { title: 'a shadowing local named like a parameter is not an alias', code: 'function r(user, context, callback) {\n  function f(context) {\n    var c = context;\n  }\n}', role: 'context', names: ['context'] },
    { title: 'an alias of the callback', code: 'function r(user, context, callback) {\n  var done = callback;\n}', role: 'callback', names: ['callback', 'done'] },
  ];
  it.each(aliasCases)('aliases: $title', ({ code, role, names }) => {
    const scopes = ruleScopes(ruleOf(code));
    expect([...scopes.aliases[role]].map((b) => b.name)).toEqual(names);
  });

  // Each identifier named `name` in the body that is a reference or a declaration, in source order: its role or null.
  const roleCases: Array<{ title: string; code: string; name: string; roles: Array<string | null> }> = [
    {
      title: 'a block-local const named like the parameter is not it, before or after the block',
      code: 'function r(user, context, callback) {\n  context.a;\n  if (x) {\n    const context = {};\n    context.b;\n  }\n  context.c;\n}',
      name: 'context',
      roles: ['context', null, null, 'context'],
    },
    {
      title: 'a let in a nested block shadows only inside it',
      code: 'function r(user, context, callback) {\n  {\n    let user = 1;\n    {\n      user;\n    }\n  }\n  user;\n}',
      name: 'user',
      roles: [null, null, 'user'],
    },
    {
      title: "a nested function's parameter named callback",
      code: 'function r(user, context, callback) {\n  f(function (callback) {\n    callback();\n  });\n  callback();\n}',
      name: 'callback',
      roles: [null, null, 'callback'],
    },
    {
      title: 'an alias declared in a block is one only there; a same-named const after it is not',
      code: 'function r(user, context, callback) {\n  if (x) {\n    const who = user;\n    who.a;\n  }\n  const who = {};\n  who.b;\n}',
      name: 'who',
      roles: ['user', 'user', null, null],
    },
    {
      title: 'a var alias is hoisted: a use above its declaration is an alias too',
      code: 'function r(user, context, callback) {\n  g(ctx);\n  var ctx = context;\n}',
      name: 'ctx',
      roles: ['context', 'context'],
    },
  ];
  it.each(roleCases)('roleOf: $title', ({ code, name, roles }) => {
    const rule = ruleOf(code);
    const scopes = ruleScopes(rule);
    const found: Array<string | null> = [];
    walk(rule.body, (node, ancestors) => {
      if (!n.Identifier.check(node) || node.name !== name) return;
      const parent = ancestors[ancestors.length - 1];
      if (n.MemberExpression.check(parent) && parent.property === (node as unknown) && !parent.computed) return;
      found.push(scopes.roleOf(node));
    });
    expect(found).toEqual(roles);
  });

  it('reads a body cut from the rule (a copy) as the rule function\'s body', () => {
    const rule = ruleOf('function r(user, context, callback) {\n  var ctx = context;\n  ctx.a;\n  if (x) {\n    let context = 1;\n    context;\n  }\n}');
    // A detached copy of the body, as redirect makes for onContinuePostLogin.
    const copy = cloneNode(rule.body) as unknown as Node;
    const scopes = ruleScopes(rule, copy);
    const roles: Array<string | null> = [];
    walk(copy, (node, ancestors) => {
      const parent = ancestors[ancestors.length - 1];
      if (n.Identifier.check(node) && !(n.MemberExpression.check(parent) && parent.property === (node as unknown))) roles.push(`${node.name}:${scopes.roleOf(node)}`);
    });
    expect(roles).toEqual(['ctx:context', 'context:context', 'ctx:context', 'x:null', 'context:null', 'context:null']);
    expect(scopes.params.context?.id).toBe(rule.fn.params[1]);
  });

  it('roleOf tells a rule parameter from a local of the same name', () => {
    const rule = ruleOf('function r(user, context, callback) {\n  context.a;\n  [1].forEach(function (context) { context.b; });\n  var ctx = context;\n  ctx.c;\n}');
    const scopes = ruleScopes(rule);
    const roles: Array<string | null> = [];
    walk(rule.body, (node, ancestors) => {
      const parent = ancestors[ancestors.length - 1];
      if (n.MemberExpression.check(parent) && parent.object === (node as unknown) && n.Identifier.check(node)) roles.push(scopes.roleOf(node));
    });
    expect(roles).toEqual(['context', null, 'context']);
  });
});

describe('declared names', () => {
  const statementCases: Array<{ code: string; names: string[] }> = [
    { code: "const { a, b: [c], ...rest } = require('x');", names: ['a', 'c', 'rest'] },
    { code: 'var x = 1, y;', names: ['x', 'y'] },
    { code: 'function f(p) { var inner; }', names: ['f'] },
    { code: 'class K {}', names: ['K'] },
    { code: 'if (a) { let hidden; }', names: [] },
    { code: 'x = 1;', names: [] },
  ];
  it.each(statementCases)('statementDeclaredNames: $code', ({ code, names }) => {
    expect(statementDeclaredNames(parse(code).program.body[0])).toEqual(names);
  });

  it('namesDeclaredIn collects every declaration under the root, whatever its scope', () => {
    const ast = parse('var a;\nfunction f(b, { c }) {\n  try {} catch (d) {}\n  { let e; }\n  class G {}\n  h.i = (j = 1) => j;\n}');
    expect([...namesDeclaredIn(ast.program)].sort()).toEqual(['G', 'a', 'b', 'c', 'd', 'e', 'f', 'j']);
  });
});

describe('reference helpers', () => {
  // Uses of declared and free names, not of parameters that share the name, nor member or key names.
  const counted: Array<{ name: string; count: number }> = [
    { name: 'a', count: 2 },
    { name: 'b', count: 1 },
    { name: 'c', count: 0 },
    { name: 'absent', count: 0 },
  ];
  it.each(counted)('countReferences: $name → $count', ({ name, count }) => {
    const body = parse('a;\nfunction f(a) { a; }\ntry {} catch (a) { a; }\n{ let b = 1; b; }\na.b;\no.c = { c: 1 };').program.body as unknown as Node[];
    expect(countReferences(body, name)).toBe(count);
  });

  // Declarations taken out one after another: the kept counts equal a new count of what is left.
  const removals: Array<{ title: string; code: string; remove: string[] }> = [
    { title: 'an initialiser with free and declared names', code: 'var t = a + b;\nvar b = 1;\nuse(a);', remove: ['t'] },
    { title: 'a parameter inside the removed code is not counted', code: 'var t = function (a) { return a + c; };\nvar c;\nuse(a);', remove: ['t'] },
    { title: 'a pattern default and a catch parameter', code: 'var { x = d } = o;\ntry {} catch (e) { e; d; }\nvar y = x;', remove: ['y', 'x'] },
    { title: 'one declarator of several', code: 'var p = q, r = s;\nuse(q, s);', remove: ['p'] },
  ];
  it.each(removals)('liveReferenceCounts: $title', ({ code, remove }) => {
    const body = parse(code).program.body as unknown as Node[];
    const live = liveReferenceCounts(body);
    for (const name of remove) {
      const holder = (body as Array<{ declarations?: Array<{ id: { name?: string; properties?: Array<{ value: { left?: { name: string } } }> } }> }>).find((s) =>
        s.declarations?.some((d) => d.id.name === name || d.id.properties?.some((p) => p.value.left?.name === name)),
      )!;
      const declarator = holder.declarations!.find((d) => d.id.name === name || d.id.properties?.some((p) => p.value.left?.name === name))!;
      live.remove(declarator);
      holder.declarations!.splice(holder.declarations!.indexOf(declarator), 1);
      expect(Object.fromEntries(live.counts)).toEqual(Object.fromEntries(referenceCounts(body)));
    }
  });

  it('renames references and keeps shorthand keys', () => {
    const ast = parse('use(body, { body });\nfunction f(body) { body; }');
    renameReferences(ast.program.body as unknown as Node[], 'body', 'data');
    expect(print(ast).code).toBe('use(data, { body: data });\nfunction f(body) { body; }');
  });
});
