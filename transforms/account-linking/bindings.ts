// Variables of the rule by name: which are declared once and never reassigned (so a hoisted URL,
// options object or client can be read through), and how often each name is referenced.
import * as recast from 'recast';
import { n } from '../../src/ast.js';
import type { Expression, Node } from '../../src/types.js';

import type { namedTypes as K } from 'ast-types';
import { visit } from '../../src/visit.js';
import { isFunctionType, isIdentifierType, walk } from './tree.js';

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
  return referenceCounts(root).get(name) ?? 0;
}

/**
 * Every name's reference count under `root` in one walk; a function with its own parameter of a
 * name refers to something else there.
 */
export function referenceCounts(root: Node | Node[]): Map<string, number> {
  const counts = new Map<string, number>();
  const shadowed: string[] = [];
  const depths: number[] = [];
  walk(
    root,
    (node, parent) => {
      if (isFunctionType(node.type)) {
        depths.push(shadowed.length);
        for (const p of node.params as Node[]) if (n.Identifier.check(p)) shadowed.push(p.name);
      } else if (isIdentifierType(node.type)) {
        const name = node.name as string;
        if (!shadowed.includes(name) && isReferenceIn(node, parent)) counts.set(name, (counts.get(name) ?? 0) + 1);
      }
    },
    (node) => {
      if (isFunctionType(node.type)) shadowed.length = depths.pop()!;
    },
  );
  return counts;
}

export function isReference(path: recast.types.NodePath): boolean {
  return isReferenceIn(path.node, path.parent?.node);
}

function isReferenceIn(node: unknown, parent: unknown): boolean {
  if ((n.MemberExpression.check(parent) || n.OptionalMemberExpression.check(parent)) && parent.property === node && !parent.computed) {
    return false;
  }
  if ((n.Property.check(parent) || n.ObjectProperty.check(parent)) && parent.key === node && !parent.computed) {
    return false;
  }
  if (n.VariableDeclarator.check(parent) && parent.id === node) return false;
  if (n.Function.check(parent) && (parent.params as unknown[]).includes(node)) return false;
  if (n.CatchClause.check(parent) && parent.param === node) return false;
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
