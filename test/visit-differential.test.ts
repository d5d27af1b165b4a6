/**
 * src/visit.ts against the `recast.visit` it replaces, on every fixture's rule (issue 11, deliverable 6).
 * Each visitor below runs once through recast.visit and once through our visit, on two parses of the same
 * text, and what they saw must be the same: the nodes reached, in the same order, with the same path (field
 * names from the root), the same parent and the same scope answers; and where a visitor replaces, prunes
 * or inserts, the same printed program. Fixtures are discovered from disk (one row per fixture); a rule
 * that does not parse (the syntax-error cases) has nothing to visit and is skipped.
 */
import * as recast from 'recast';
import { describe, expect, it } from 'vitest';
import { makeParseable } from '../src/analyze.js';
import { b, n, type NodePath } from '../src/ast.js';
import { parse, print } from '../src/parse.js';
import { maskTokens } from '../src/tokens.js';
import { visit } from '../src/visit.js';
import type { File } from '../src/types.js';
import { discoverFixtures } from './support/fixtures.js';

type Visit = (root: unknown, visitor: recast.types.Visitor) => unknown;
const implementations: Record<'recast' | 'ours', Visit> = {
  recast: (root, visitor) => recast.visit(root as never, visitor),
  ours: (root, visitor) => visit(root, visitor),
};

function parsed(rule: string): File | null {
  try {
    return parse(makeParseable(maskTokens(rule).masked).text);
  } catch {
    return null;
  }
}

/** Where a path is: the field names from the visit's root, the node type and its source span. */
function describePath(path: NodePath): string {
  const names: Array<string | number> = [];
  for (let p: NodePath | null = path; p; p = p.parentPath) names.unshift(p.name);
  const node = path.value as { type?: string; start?: number; end?: number } | null;
  const parent = (path.parent?.value as { type?: string } | undefined)?.type ?? '-';
  return `${names.join('.')} ${node?.type ?? typeof node}@${node?.start ?? '?'}-${node?.end ?? '?'} in ${parent}`;
}

/** The declaring scope of a name as the visited path sees it (transforms ask path.scope.lookup). */
function scopeOf(path: NodePath): string {
  const name = (path.value as { name?: string }).name;
  const scope = path.scope as { depth: number; lookup(name: string): { node: { type: string; start?: number } } | null } | null;
  if (!scope) return 'no scope';
  const declaring = name ? scope.lookup(name) : null;
  return `depth ${scope.depth}, ${name ?? ''} declared in ${declaring ? `${declaring.node.type}@${declaring.node.start}` : 'none'}`;
}

/** A recorder: the same visitor object for both runs, collecting what it was shown. */
type Scenario = (log: string[]) => recast.types.Visitor;

const recorders: Record<string, Scenario> = {
  // every node, in order
  'every node': (log) => ({
    visitNode(path) {
      log.push(describePath(path));
      this.traverse(path);
    },
  }),
  // the methods the transforms use most, with supertypes (Function, Statement, Expression) in one visitor
  'transform-style methods': (log) => ({
    visitIdentifier(path) {
      log.push(`Identifier ${describePath(path)} | ${scopeOf(path)}`);
      this.traverse(path);
    },
    visitCallExpression(path) {
      log.push(`Call ${describePath(path)}`);
      this.traverse(path);
    },
    visitMemberExpression(path) {
      log.push(`Member ${describePath(path)}`);
      this.traverse(path);
    },
    visitFunction(path) {
      log.push(`Function ${describePath(path)}`);
      this.traverse(path);
    },
    visitStatement(path) {
      log.push(`Statement ${describePath(path)}`);
      this.traverse(path);
    },
  }),
  // return false: nested functions are not entered
  'skipping nested functions': (log) => {
    let depth = 0;
    return {
      visitFunction(path) {
        log.push(`Function ${describePath(path)}`);
        if (depth > 0) return false;
        depth++;
        this.traverse(path);
        depth--;
      },
      visitIdentifier(path) {
        log.push(describePath(path));
        return false;
      },
    };
  },
  // this.traverse with another visitor, and this.visit
  'nested visitors': (log) => ({
    visitCallExpression(path) {
      log.push(`Call ${describePath(path)}`);
      this.traverse(path, {
        visitLiteral(inner) {
          log.push(`  Literal ${describePath(inner)}`);
          return false;
        },
      });
    },
    visitVariableDeclarator(path) {
      log.push(`Declarator ${describePath(path)}`);
      this.visit(path.get('init'));
    },
  }),
  // comments are visited through visitComment
  comments: (log) => ({
    visitComment(path) {
      log.push(`${(path.value as { value: string }).value.slice(0, 30)} ${describePath(path)}`);
      this.traverse(path);
    },
  }),
  // abort at the fifth identifier
  abort: (log) => {
    let seen = 0;
    return {
      visitIdentifier(path) {
        log.push(describePath(path));
        if (++seen === 5) this.abort();
        this.traverse(path);
      },
    };
  },
};

/** Visitors that change the tree: what they print to must be the same. */
const rewriters: Record<string, () => recast.types.Visitor> = {
  // a returned node replaces the visited one (and is traversed)
  'returned replacement': () => ({
    visitIdentifier(path) {
      if (path.node.name === 'user' && !n.MemberExpression.check(path.parent?.node)) {
        return b.memberExpression(b.identifier('event'), b.identifier('user'));
      }
      this.traverse(path);
    },
  }),
  // path.replace with several statements, and pruning
  'replace and prune statements': () => ({
    visitExpressionStatement(path) {
      const expression = path.node.expression;
      if (n.CallExpression.check(expression) && n.Identifier.check(expression.callee) && expression.callee.name === 'callback') {
        // several statements only where a list holds it (`if (x) callback();` takes one)
        if (Array.isArray(path.parentPath?.value)) path.replace(b.expressionStatement(b.stringLiteral('before')), b.returnStatement(null));
        else path.replace(b.returnStatement(null));
        return false;
      }
      if (n.CallExpression.check(expression) && n.MemberExpression.check(expression.callee) && n.Identifier.check(expression.callee.object) && expression.callee.object.name === 'console') {
        path.prune();
        return false;
      }
      this.traverse(path);
    },
  }),
  // statements inserted before the visited one are not visited in this pass
  'insert before': () => ({
    visitVariableDeclaration(path) {
      if (Array.isArray(path.parentPath?.value)) path.insertBefore(b.expressionStatement(b.stringLiteral('inserted')));
      this.traverse(path);
    },
  }),
};

const cases = discoverFixtures()
  .map((c) => ({ id: c.id, rule: c.rule }))
  .filter((c) => parsed(c.rule) !== null);

describe('src/visit.ts behaves as recast.visit', () => {
  it('has fixtures to compare', () => {
    expect(cases.length).toBeGreaterThan(50);
  });

  describe.each(cases)('$id', ({ rule }) => {
    it.each(Object.keys(recorders))('%s: same paths in the same order', (scenario) => {
      const seen: Record<string, string[]> = {};
      for (const [name, run] of Object.entries(implementations)) {
        const log: string[] = [];
        run(parsed(rule)!, recorders[scenario](log));
        seen[name] = log;
      }
      if (scenario !== 'comments') expect(seen.recast.length).toBeGreaterThan(0);
      expect(seen.ours).toEqual(seen.recast);
    });

    it('same paths when the visit starts at a NodePath below the root', () => {
      const seen: Record<string, string[]> = {};
      for (const [name, run] of Object.entries(implementations)) {
        const ast = parsed(rule)!;
        const start = new recast.types.NodePath(ast).get('program', 'body') as NodePath;
        const log: string[] = [];
        run(start, recorders['transform-style methods'](log));
        seen[name] = log;
      }
      expect(seen.ours).toEqual(seen.recast);
    });

    it.each(Object.keys(rewriters))('%s: same program after the visit', (scenario) => {
      const printed: Record<string, string> = {};
      for (const [name, run] of Object.entries(implementations)) {
        const ast = parsed(rule)!;
        run(ast, rewriters[scenario]());
        printed[name] = print(ast, '\n');
      }
      expect(printed.ours).toBe(printed.recast);
    });
  });
});
