// Plain walks for questions that need no NodePath: src/visit.ts would build one for every node a
// `visitIdentifier` or `visitNode` method receives, which was most of account-linking's cost.
import * as recast from 'recast';
import { n } from '../../src/ast.js';
import type { Node } from '../../src/types.js';

const { getFieldNames } = recast.types;

/** The fields src/visit.ts walks, per node type. */
const fieldsByType = new Map<string, string[]>();
function fieldsOf(value: Record<string, unknown>): string[] {
  const type = value.type;
  if (typeof type !== 'string') return Object.keys(value);
  let fields = fieldsByType.get(type);
  if (!fields) fieldsByType.set(type, (fields = getFieldNames(value)));
  return fields;
}

/** Per node type, as the visitor's supertype table decides it (JSXIdentifier is an Identifier). */
function typeCheck(check: (value: unknown) => boolean): (type: unknown) => boolean {
  const known = new Map<unknown, boolean>();
  return (type) => {
    let is = known.get(type);
    if (is === undefined) known.set(type, (is = typeof type === 'string' && check({ type })));
    return is;
  };
}
export const isIdentifierType = typeCheck((v) => n.Identifier.check(v));
export const isFunctionType = typeCheck((v) => n.Function.check(v));
const isNodeType = typeCheck((v) => n.Node.check(v));

type Enter = (node: Record<string, unknown>, parent: Record<string, unknown> | null) => boolean | void;

/**
 * Calls `enter(node, parent)` for every node under `root` (root included), in visit order; `parent`
 * is the nearest enclosing node, as NodePath#parent. Returning false skips the node's children;
 * `leave` runs after them.
 */
export function walk(root: unknown, enter: Enter, leave?: (node: Record<string, unknown>) => void): void {
  const step = (value: unknown, parent: Record<string, unknown> | null) => {
    if (Array.isArray(value)) {
      for (const item of value) if (item && typeof item === 'object') step(item, parent);
      return;
    }
    const node = value as Record<string, unknown>;
    const isNode = isNodeType(node.type);
    if (isNode && enter(node, parent) === false) return;
    for (const field of fieldsOf(node)) {
      const child = node[field];
      if (child && typeof child === 'object') step(child, isNode ? node : parent);
    }
    if (isNode) leave?.(node);
  };
  if (root && typeof root === 'object') step(root, null);
}

/** Whether one of `targets` is `root` or sits under it. */
export function containsAny(root: unknown, targets: ReadonlySet<unknown>): boolean {
  let found = false;
  walk(root, (node) => {
    if (targets.has(node)) found = true;
    return !found;
  });
  return found;
}

/** The field names and indexes that lead from `root` to `target` (for `path.get(...keys)`). */
export function keysTo(root: unknown, target: Node): Array<string | number> | null {
  const keys: Array<string | number> = [];
  const search = (value: unknown): boolean => {
    if (value === target) return true;
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        const item = value[i];
        if (item && typeof item === 'object') {
          keys.push(i);
          if (search(item)) return true;
          keys.pop();
        }
      }
      return false;
    }
    const node = value as Record<string, unknown>;
    for (const field of fieldsOf(node)) {
      const child = node[field];
      if (child && typeof child === 'object') {
        keys.push(field);
        if (search(child)) return true;
        keys.pop();
      }
    }
    return false;
  };
  return root && typeof root === 'object' && search(root) ? keys : null;
}
