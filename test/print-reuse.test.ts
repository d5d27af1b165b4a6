/**
 * src/parse.ts `print` puts parsed nodes back in place of unchanged subtrees before recast prints, so
 * that recast's comparison stops early, and answers some of recast's questions itself (src/print-shortcuts.ts). That must never change a byte: on every fixture's rule, after
 * edits of the kinds the transforms make, our print gives exactly what recast prints from the same tree,
 * and the tree holds the same node objects afterwards as before.
 */
import { createRequire } from 'node:module';
import * as recast from 'recast';
import { describe, expect, it } from 'vitest';
import { makeParseable } from '../src/analyze.js';
import { b } from '../src/ast.js';
import { parse, print } from '../src/parse.js';
import { maskTokens } from '../src/tokens.js';
import type { File } from '../src/types.js';
import { discoverFixtures } from './support/fixtures.js';

type AnyNode = { type: string; [key: string]: unknown };

// Taken before any print: the comparisons below are with recast's own function.
const patcher = createRequire(import.meta.url)('recast/lib/patcher.js') as { getReprinter: unknown };
const recastGetReprinter = patcher.getReprinter;
type Edit = (ast: File) => void;

const isCallTo = (node: AnyNode | null | undefined, name: string) =>
  node?.type === 'CallExpression' && (node.callee as AnyNode).type === 'Identifier' && (node.callee as { name: string }).name === name;

const edits: Record<string, Edit> = {
  // rule-signature: the rule's function becomes an exported arrow function around the same body
  'body moved into a new function': (ast) => {
    const body = ast.program.body as AnyNode[];
    const index = body.findIndex((s) => s.type === 'FunctionDeclaration' || s.type === 'ExpressionStatement');
    if (index < 0) return;
    const statement = body[index];
    const fn = (statement.type === 'FunctionDeclaration' ? statement : statement.expression) as AnyNode;
    if (!fn.body || (fn.body as AnyNode).type !== 'BlockStatement') return;
    const arrow = b.arrowFunctionExpression([b.identifier('event'), b.identifier('api')], fn.body as never);
    arrow.async = true;
    const target = b.memberExpression(b.identifier('exports'), b.identifier('onExecutePostLogin'));
    body[index] = b.expressionStatement(b.assignmentExpression('=', target, arrow)) as never;
  },
  // callback-to-return: a statement replaced by one of another type (its block is reprinted)
  'callback statements become returns': (ast) => {
    recast.visit(ast, {
      visitExpressionStatement(path) {
        if (isCallTo(path.node.expression as AnyNode, 'callback')) path.replace(b.returnStatement(null));
        return false;
      },
    });
  },
  // an expression moved where it needs parentheses it did not have
  'expressions moved under a negation': (ast) => {
    recast.visit(ast, {
      visitCallExpression(path) {
        this.traverse(path);
        path.node.arguments = path.node.arguments.map((arg) =>
          arg.type === 'LogicalExpression' || arg.type === 'BinaryExpression' || arg.type === 'ConditionalExpression' ? b.unaryExpression('!', arg) : arg,
        );
      },
    });
  },
  // lists that change length (a statement added to each block, a call losing its last argument): recast prints their holder generically
  'statements added and arguments dropped': (ast) => {
    recast.visit(ast, {
      visitBlockStatement(path) {
        this.traverse(path);
        path.node.body.unshift(b.expressionStatement(b.identifier('added')));
      },
      visitCallExpression(path) {
        this.traverse(path);
        if (path.node.arguments.length > 1) path.node.arguments.pop();
      },
    });
  },
  // a node's field changed in place, deep inside an otherwise unchanged function
  'identifiers renamed in place': (ast) => {
    recast.visit(ast, {
      visitIdentifier(path) {
        if (path.node.name === 'user') path.node.name = 'event.user';
        return false;
      },
    });
  },
};

function parsed(rule: string): File | null {
  try {
    return parse(makeParseable(maskTokens(rule).masked).text);
  } catch {
    return null;
  }
}

/** Every object reachable from the root, in order: the tree's identity before and after printing. */
function objects(root: unknown): unknown[] {
  const seen: unknown[] = [];
  const visitValue = (value: unknown, key: string) => {
    if (!value || typeof value !== 'object' || key === 'loc' || key === 'tokens') return;
    seen.push(value);
    for (const [k, v] of Object.entries(value)) visitValue(v, k);
  };
  visitValue(root, '');
  return seen;
}

const cases = discoverFixtures()
  .map((fixture) => ({ id: fixture.id, ast: () => parsed(fixture.rule) }))
  .filter((c) => c.ast() !== null);

describe('print reuses parsed subtrees without changing a byte', () => {
  // recast prints a node that needs new parentheses generically, and its children from their own text
  it.each([
    ['call(a || "b");', 'call((a || "b").length);'],
    ['call(x ? "a" : [1,  2], y);', 'call((x ? "a" : [1,  2]).length, y.length);'],
  ])('moved under a member: %s', (rule, expected) => {
    const ast = parse(rule);
    const call = (ast.program.body[0] as AnyNode).expression as { arguments: AnyNode[] };
    call.arguments = call.arguments.map((arg) => b.memberExpression(arg as never, b.identifier('length')) as never);
    expect(print(ast, '\n')).toBe(expected);
  });

  // src/print-shortcuts.ts prints a new identifier as its name: only where recast's generic printer would
  const typed = () => Object.assign(b.identifier('typed'), { typeAnnotation: b.typeAnnotation(b.stringTypeAnnotation()) });
  it.each([
    ['plain', () => b.identifier('plain')],
    ['optional', () => Object.assign(b.identifier('maybe'), { optional: true })],
    ['type-annotated', typed],
    ['holding a tab', () => b.identifier('tab\there')],
    ['holding a line break', () => b.identifier('line\nbreak')],
    ['empty', () => b.identifier('')],
  ])('a new identifier, %s, prints as recast prints it', (_, identifier) => {
    const ast = parse('call(x,\n  y);');
    const call = (ast.program.body[0] as AnyNode).expression as { arguments: AnyNode[] };
    call.arguments = [identifier() as never, ...call.arguments];
    const theirs = recast.print(ast, { lineTerminator: '\n', quote: 'single', reuseWhitespace: true }).code;
    expect(print(ast, '\n')).toBe(theirs);
    expect(theirs).not.toBe('call(x,\n  y);');
  });

  // an unchanged node whose new place needs parentheses it did not have is printed generically, with odd spacing normalized
  it.each(['call(a  ||  "b");', 'call(x  ?  "a"  :  [1,  2]);', 'call(async  ()  =>  x);', 'call(typeof   x);'])('moved under a member, compared with recast: %s', (rule) => {
    const ast = parse(rule);
    const call = (ast.program.body[0] as AnyNode).expression as { arguments: AnyNode[] };
    call.arguments = call.arguments.map((arg) => b.memberExpression(arg as never, b.identifier('length')) as never);
    const theirs = recast.print(ast, { lineTerminator: '\n', quote: 'single', reuseWhitespace: true }).code;
    expect(print(ast, '\n')).toBe(theirs);
    expect(theirs).toContain('.length');
  });

  it('leaves recast as it was, also when printing fails', () => {
    const ast = parse('call(x);');
    print(ast, '\n');
    expect(patcher.getReprinter).toBe(recastGetReprinter);
    ((ast.program.body[0] as AnyNode).expression as { arguments: unknown[] }).arguments = [{ type: 'NotANode' }];
    expect(() => print(ast, '\n')).toThrow();
    expect(patcher.getReprinter).toBe(recastGetReprinter);
  });

  it('has fixtures to compare', () => expect(cases.length).toBeGreaterThan(50));

  for (const [name, edit] of Object.entries(edits)) {
    it(name, () => {
      let changed = 0;
      for (const c of cases) {
        const ast = c.ast() as File;
        const untouched = recast.print(ast, { lineTerminator: '\n', quote: 'single', reuseWhitespace: true }).code;
        edit(ast);
        const before = objects(ast);
        const ours = print(ast, '\n');
        expect(objects(ast), c.id).toEqual(before);
        expect(objects(ast).every((o, i) => o === before[i]), `${c.id}: the tree holds its own nodes again`).toBe(true);
        const theirs = recast.print(ast, { lineTerminator: '\n', quote: 'single', reuseWhitespace: true }).code;
        expect(ours, c.id).toBe(theirs);
        if (ours !== untouched) changed++;
      }
      // the edit reached many rules: the comparison is about reprinting, not about unchanged text
      expect(changed).toBeGreaterThan(10);
    });
  }
});
