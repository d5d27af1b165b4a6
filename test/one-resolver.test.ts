// Issue 11: "what does this name refer to?" has one answer, src/ast/scope.ts. Like ESLint's check of its
// rule files, this reads every source file of transforms/ and src/ (src/ast/ excepted) and fails on a
// second resolver: ast-types' NodePath scope (no block scopes: it hoists `let`/`const` to the function),
// Babel's binding API, or a hand walk collecting declared names.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { guardedFiles, root, violations as matching, type Forbidden } from './support/source-guard.js';

const FORBIDDEN: readonly Forbidden[] = [
  { what: 'a NodePath scope (path.scope)', pattern: /\b\w*[pP]ath\??\.scope\b(?!s)/ },
  {
    what: 'an ast-types Scope method',
    pattern: /\.scope\??\.(lookup|lookupType|declares|declaresType|getBindings|getGlobalScope|scan|injectTemporary|markAsStale|isGlobal|depth)\b/,
  },
  { what: "Babel's binding API", pattern: /\b(getBinding|getOwnBinding|hasBinding|getAllBindings|hasOwnBinding)\b|@babel\/traverse/ },
  { what: 'a hand walk of declared names', pattern: /\bdeclaredNames\b/ },
];

/**
 * Files still on a resolver of their own, with the reason. Every listed file must still match: a file
 * that moved is taken off the list.
 */
// Every file has moved (issue 11); a file that cannot move yet is listed here with the reason.
const NOT_YET_MOVED: Record<string, string> = {};

const violations = (source: string) => matching(source, FORBIDDEN);

const files = guardedFiles();

describe('one name resolver (src/ast/scope.ts)', () => {
  it('finds the source files', () => {
    expect(files).toContain('transforms/redirect.ts');
    expect(files).toContain('src/migrate.ts');
    expect(files.some((f) => f.startsWith('src/ast/'))).toBe(false);
  });

  it.each(files.filter((f) => !(f in NOT_YET_MOVED)))('%s resolves names through src/ast/scope.ts only', (file) => {
    expect(violations(readFileSync(path.join(root, file), 'utf8'))).toEqual([]);
  });

  it('lists only files that still have their own resolver', () => {
    for (const file of Object.keys(NOT_YET_MOVED)) {
      expect(violations(readFileSync(path.join(root, file), 'utf8')).length, `${file} moved: take it off NOT_YET_MOVED`).toBeGreaterThan(0);
    }
  });

  // The patterns themselves: each forbidden shape is caught, our own analysis API is not.
  const caught = [
    'const scope = path.scope?.lookup(name);',
    'return !path.scope.lookup(name);',
    "if (parentPath.scope.declares('x')) {}",
    'const binding = scope.getBinding(name);',
    "import traverse from '@babel/traverse';",
    'const local = declaredNames(ctx.ast);',
  ];
  const allowed = [
    'const binding = scopes.scope.bindings.get(name);',
    'ctx.addScope(scope);',
    "if (token === 'accessToken' && key === 'scope') {}",
    'const owner = bindingOwner(path, name, rule.fn);',
    'const role = scopes.roleOf(path.node);',
  ];
  it.each(caught)('catches %s', (line) => {
    expect(violations(line)).not.toEqual([]);
  });
  it.each(allowed)('allows %s', (line) => {
    expect(violations(line)).toEqual([]);
  });
});
