// The statements placed at the top of the Action module (ModuleParts.requires). Every transform
// that adds one goes through addModuleRequire, so a name is never declared twice.
import * as recast from 'recast';
import { n } from './ast.js';
import { statementDeclaredNames as declaredBy } from './ast/scope.js';
import type { ModuleParts, Statement } from './types.js';

export type AddResult = 'added' | 'duplicate' | 'conflict';

/**
 * Adds `statement` to the module's requires. 'duplicate': the same statement is already there
 * (nothing added); 'conflict': one of its names is already declared differently (nothing added).
 */
export function addModuleRequire(module: ModuleParts, statement: Statement): AddResult {
  const declared = declaredBy(statement);
  // Statements that print the same declare the same names: compare names first, print only then.
  const key = declared.join();
  let code: string | undefined;
  const same = (existing: Statement) => declaredBy(existing).join() === key && printed(existing) === (code ??= printed(statement));
  if (module.requires.some(same)) return 'duplicate';
  const names = new Set(declared);
  const taken = [...module.requires, ...module.prelude].some((existing) => declaredBy(existing).some((name) => names.has(name)));
  if (taken) return 'conflict';
  module.requires.push(statement);
  return 'added';
}

export function moduleDeclares(module: ModuleParts, name: string): boolean {
  return [...module.requires, ...module.prelude].some((statement) => declaredBy(statement).includes(name));
}

function printed(statement: Statement): string {
  // `var x = require('x')` and `const x = require('x')` declare the same thing at module level.
  const withoutComments = n.VariableDeclaration.check(statement)
    ? { ...statement, comments: null, kind: 'const' }
    : { ...statement, comments: null };
  return recast.prettyPrint(withoutComments as Statement, { quote: 'single' }).code.replace(/\s+/g, ' ').trim();
}
