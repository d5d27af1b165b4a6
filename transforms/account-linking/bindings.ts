// Variables of the rule by name: which are declared once and never reassigned (so a hoisted URL,
// options object or client can be read through), and how often each name is referenced.
import * as recast from 'recast';
import { n } from '../../src/ast.js';
import type { Expression, Node } from '../../src/types.js';

import type { namedTypes as K } from 'ast-types';
import { visit } from '../../src/visit.js';
import { isDeclaratorType, isFunctionType, isIdentifierType } from './tree.js';
import { typeNameCheck, walk } from '../../src/walk.js';

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

/** Identifier references (not property keys or member properties) to `name` under `root`. */
export function countReferences(root: Node | Node[], name: string): number {
  return referenceCounts(root, name).get(name) ?? 0;
}

/**
 * Reference counts by name (only `name`'s when given) in one walk; a function with its own parameter
 * of a name refers to something else there.
 */
export function referenceCounts(root: Node | Node[], name?: string): Map<string, number> {
  const counts = new Map<string, number>();
  const shadowed: string[] = [];
  const depths: number[] = [];
  walk(
    root,
    (node, ancestors) => {
      if (isFunctionType(node.type)) {
        depths.push(shadowed.length);
        for (const p of node.params as Node[]) if (n.Identifier.check(p)) shadowed.push(p.name);
        if (name !== undefined && shadowed.includes(name)) {
          shadowed.length = depths.pop()!;
          return false;
        }
      } else if (isIdentifierType(node.type)) {
        const found = node.name as string;
        if ((name === undefined || found === name) && !shadowed.includes(found) && isReferenceIn(node, ancestors[ancestors.length - 1])) {
          counts.set(found, (counts.get(found) ?? 0) + 1);
        }
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

const isMemberType = typeNameCheck(n.MemberExpression, n.OptionalMemberExpression);
const isPropertyType = typeNameCheck(n.Property, n.ObjectProperty);
const isCatchType = typeNameCheck(n.CatchClause);

function isReferenceIn(node: unknown, parent: Record<string, unknown> | undefined): boolean {
  const type = parent?.type;
  if (!parent) return true;
  if (isMemberType(type) && parent.property === node && !parent.computed) return false;
  if (isPropertyType(type) && parent.key === node && !parent.computed) return false;
  if (isDeclaratorType(type) && parent.id === node) return false;
  if (isFunctionType(type) && (parent.params as unknown[]).includes(node)) return false;
  if (isCatchType(type) && parent.param === node) return false;
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
