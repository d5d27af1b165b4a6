// Issue 11: "what runs after this call, and what happens when it fails?" has one answer, src/ast/flow.ts.
// Like one-resolver.test.ts, this reads every source file of transforms/ and src/ (src/ast/ excepted) and
// fails on a second flow model: reading a promise chain's links by name (`.then`, `.catch`, `.finally`),
// building a continuation by hand, or building the try/catch a failure policy flattens into.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { guardedFiles, root, violations as matching, type Forbidden } from './support/source-guard.js';

const LINK = String.raw`(['"])(?:then|catch|finally)\1`;
const FORBIDDEN: readonly Forbidden[] = [
  { what: 'a chain link compared by name', pattern: /(?:===|!==|==|!=)\s*(['"])(?:then|catch|finally)\1|(['"])(?:then|catch|finally)\2\s*(?:===|!==|==|!=)/ },
  { what: "a chain link read from a member's property", pattern: new RegExp(String.raw`\bproperty\b[^;]*${LINK}`) },
  { what: 'a list of chain links', pattern: /\[\s*(['"])(?:then|catch|finally)\1\s*,[^\]]*\]/ },
  { what: 'a continuation built by hand', pattern: /\bkind:\s*(['"])(?:error-first|promise)\1/ },
  { what: 'a try/catch built outside the flow model', pattern: /\bb\.(?:tryStatement|catchClause)\(/ },
];

/** Files still on a flow model of their own, with the reason; every listed file must still match. */
const NOT_YET_MOVED: Record<string, string> = {};

const violations = (source: string) => matching(source, FORBIDDEN);

const files = guardedFiles();

describe('one flow model (src/ast/flow.ts)', () => {
  it('finds the source files of the transforms that flatten', () => {
    for (const file of ['transforms/account-linking/operations.ts', 'transforms/account-linking/checks.ts', 'transforms/user-metadata.ts', 'transforms/callback-to-return.ts']) {
      expect(files).toContain(file);
    }
    expect(files.some((f) => f.startsWith('src/ast/'))).toBe(false);
  });

  it.each(files.filter((f) => !(f in NOT_YET_MOVED)))('%s detects and flattens continuations through src/ast/flow.ts only', (file) => {
    expect(violations(readFileSync(path.join(root, file), 'utf8'))).toEqual([]);
  });

  it('lists only files that still have a flow model of their own', () => {
    for (const file of Object.keys(NOT_YET_MOVED)) {
      expect(violations(readFileSync(path.join(root, file), 'utf8')).length, `${file} moved: take it off NOT_YET_MOVED`).toBeGreaterThan(0);
    }
  });

  // The patterns themselves: each shape a second flow model takes is caught (the ones the transforms
  // had before moving among them), what emits a chain or names a style is not.
  const caught = [
    "if (n.MemberExpression.check(parent) && n.Identifier.check(parent.property) && parent.property.name === 'then') {",
    "if (!rejection && n.MemberExpression.check(next) && next.property.name === 'catch') {",
    "if (isName(promise.callee.property, 'then') && promise.arguments.length === 1) {",
    "const isLink = ['then', 'catch'].includes(name);",
    "if ('finally' === method) return null;",
    "return { kind: 'promise', statement: path, promise: expr, steps: [], rejection: null, rejectionSite: null, failure: 'unhandled' };",
    "const c = { kind: 'error-first', statement, call, handler, failure: 'error-value', index };",
    'replacement.push(b.tryStatement(b.blockStatement([attempt]), b.catchClause(b.identifier(name), null, body)));',
  ];
  const allowed = [
    "return b.callExpression(b.memberExpression(call, b.identifier('then')), [unwrap]);",
    "if (op.style === 'chain') return plan;",
    "const flow = matchCallFlow(path, scan.names, scan.root, 'promise');",
    "if (c.kind === 'promise' && c.steps.length !== 1) return 'it is chained with more than one .then';",
    "text: 'A promise, not a function, was passed to .then(): in Rules both updates started at once.',",
    "suggestion: 'Wrap it in try { … } catch (err) { return api.access.deny(err.message); }',",
  ];
  it.each(caught)('catches %s', (line) => {
    expect(violations(line)).not.toEqual([]);
  });
  it.each(allowed)('allows %s', (line) => {
    expect(violations(line)).toEqual([]);
  });
});
