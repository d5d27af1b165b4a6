// Variables of the rule by name: which are declared once and never reassigned (so a hoisted URL,
// options object or client can be read through), and how often each name is referenced.
import * as recast from 'recast';
import { n } from '../../src/ast.js';
import type { Expression, Node } from '../../src/types.js';

import type { namedTypes as K } from 'ast-types';
import { visit } from '../../src/visit.js';

export interface Bindings {
  /** The initialiser of a variable declared once with a plain name and never reassigned. */
  value(name: string): Expression | null;
  declarator(name: string): K.VariableDeclarator | null;
}

export function collectBindings(root: Node): Bindings {
  const declarators = new Map<string, K.VariableDeclarator[]>();
  const assigned = new Set<string>();
  visit(root, {
    visitVariableDeclarator(path) {
      const { id } = path.node;
      if (n.Identifier.check(id)) declarators.set(id.name, [...(declarators.get(id.name) ?? []), path.node]);
      this.traverse(path);
    },
    visitAssignmentExpression(path) {
      if (n.Identifier.check(path.node.left)) assigned.add(path.node.left.name);
      this.traverse(path);
    },
  });
  const declarator = (name: string) => {
    const found = declarators.get(name);
    return found?.length === 1 && !assigned.has(name) ? found[0] : null;
  };
  return {
    declarator,
    value: (name) => (declarator(name)?.init as Expression | null | undefined) ?? null,
  };
}

/** Identifier references (not property keys or member properties) to `name` under `root`. */
export function countReferences(root: Node | Node[], name: string): number {
  let count = 0;
  visit(root as Node, {
    visitFunction(path) {
      // A function with its own parameter of that name refers to something else.
      if ((path.node.params as Node[]).some((p) => n.Identifier.check(p) && p.name === name)) return false;
      this.traverse(path);
    },
    visitIdentifier(path) {
      if (path.node.name === name && isReference(path)) count++;
      this.traverse(path);
    },
  });
  return count;
}

export function isReference(path: recast.types.NodePath): boolean {
  const parent = path.parent?.node;
  if ((n.MemberExpression.check(parent) || n.OptionalMemberExpression.check(parent)) && parent.property === path.node && !parent.computed) {
    return false;
  }
  if ((n.Property.check(parent) || n.ObjectProperty.check(parent)) && parent.key === path.node && !parent.computed) {
    return false;
  }
  if (n.VariableDeclarator.check(parent) && parent.id === path.node) return false;
  if (n.Function.check(parent) && (parent.params as unknown[]).includes(path.node)) return false;
  if (n.CatchClause.check(parent) && parent.param === path.node) return false;
  return true;
}

/** Renames references to `from` (not into functions that declare their own `from`). */
export function renameReferences(root: Node | Node[], from: string, to: string): void {
  visit(root as Node, {
    visitFunction(path) {
      const declares = (path.node.params as Node[]).some((p) => n.Identifier.check(p) && p.name === from);
      if (declares) return false;
      this.traverse(path);
    },
    visitIdentifier(path) {
      const parent = path.parent?.node;
      if (path.node.name === from && isReference(path)) {
        if ((n.Property.check(parent) || n.ObjectProperty.check(parent)) && parent.shorthand) parent.shorthand = false;
        path.node.name = to;
      }
      this.traverse(path);
    },
  });
}
