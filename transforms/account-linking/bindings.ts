// Variables of the rule by name: which are declared once and never reassigned (so a hoisted URL,
// options object or client can be read through), and how often each name is referenced.
import { n } from '../../src/ast.js';
import type { Expression } from '../../src/types.js';

import type { namedTypes as K } from 'ast-types';

export interface Bindings {
  /** The initialiser of a variable declared once with a plain name and never reassigned. */
  value(name: string): Expression | null;
  declarator(name: string): K.VariableDeclarator | null;
}

/** From the declarators and assignments of the rule (scanRule collects them in its walk). */
export function bindingsOf(declarators: K.VariableDeclarator[], assignments: K.AssignmentExpression[]): Bindings {
  const byName = new Map<string, K.VariableDeclarator[]>();
  for (const node of declarators) {
    if (n.Identifier.check(node.id)) byName.set(node.id.name, [...(byName.get(node.id.name) ?? []), node]);
  }
  const assigned = new Set<string>();
  for (const node of assignments) if (n.Identifier.check(node.left)) assigned.add(node.left.name);
  const declarator = (name: string) => {
    const found = byName.get(name);
    return found?.length === 1 && !assigned.has(name) ? found[0] : null;
  };
  return {
    declarator,
    value: (name) => (declarator(name)?.init as Expression | null | undefined) ?? null,
  };
}

// Reference counting and renaming follow the one resolver's scoping rules.
export { countReferences, referenceCounts, renameReferences } from '../../src/ast/scope.js';
