// Plain walks for questions that need no NodePath: src/visit.ts would build one for every node a
// `visitIdentifier` or `visitNode` method receives, which was most of account-linking's cost.
import * as recast from 'recast';
import { n } from '../../src/ast.js';
import type { Node } from '../../src/types.js';
import type { NodePath } from '../../src/ast.js';

const { getFieldNames } = recast.types;

/** Per node type: the fields src/visit.ts walks, and whether it is a node (NodePath#parent skips others). */
interface TypeInfo {
  fields: string[];
  isNode: boolean;
}
const typeInfo: Record<string, TypeInfo> = Object.create(null);
function infoOf(value: Record<string, unknown>, type: string): TypeInfo {
  return (typeInfo[type] ??= { fields: getFieldNames(value), isNode: n.Node.check({ type }) });
}

/** Per node type, as the visitor's supertype table decides it (JSXIdentifier is an Identifier). */
export function typeCheck(check: (value: unknown) => boolean): (type: unknown) => boolean {
  const known: Record<string, boolean> = Object.create(null);
  return (type) => typeof type === 'string' && (known[type] ??= check({ type }));
}
export const isIdentifierType = typeCheck((v) => n.Identifier.check(v));
export const isFunctionType = typeCheck((v) => n.Function.check(v));
export const isCallType = typeCheck((v) => n.CallExpression.check(v));
export const isNewType = typeCheck((v) => n.NewExpression.check(v));
export const isDeclaratorType = typeCheck((v) => n.VariableDeclarator.check(v));
export const isAssignmentType = typeCheck((v) => n.AssignmentExpression.check(v));

export type AnyNode = Record<string, unknown>;
export type Key = string | number;
type Enter = (node: AnyNode, ancestors: readonly AnyNode[], keys: readonly Key[]) => boolean | void;

/**
 * Calls `enter` for every node under `root` (root included) in visit order, with the enclosing nodes
 * (the nearest last: NodePath#parent) and the keys from `root` (for `rootPath.get(...keys)`), both
 * live. Returning false skips the node's children; `leave` runs after them. `enter` must not edit the tree.
 */
export function walk(root: unknown, enter: Enter, leave?: (node: AnyNode) => void): void {
  const ancestors: AnyNode[] = [];
  const keys: Key[] = [];
  const step = (value: unknown) => {
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        const item = value[i];
        if (!item || typeof item !== 'object') continue;
        keys.push(i);
        step(item);
        keys.pop();
      }
      return;
    }
    const node = value as AnyNode;
    const type = node.type;
    const info = typeof type === 'string' ? infoOf(node, type) : null;
    const isNode = info !== null && info.isNode;
    if (isNode) {
      if (enter(node, ancestors, keys) === false) return;
      ancestors.push(node);
    }
    const fields = info ? info.fields : Object.keys(node);
    for (let i = 0; i < fields.length; i++) {
      const child = node[fields[i]];
      if (!child || typeof child !== 'object') continue;
      keys.push(fields[i]);
      step(child);
      keys.pop();
    }
    if (isNode) {
      ancestors.pop();
      leave?.(node);
    }
  };
  if (root && typeof root === 'object') step(root);
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

/** The NodePath of `root` as src/visit.ts makes it: `.get(...keys)` on it reaches what walk saw. */
export function rootPath(root: unknown): NodePath {
  return new recast.types.NodePath({ root }).get('root') as NodePath;
}

/** The NodePath of `target` under `root`, or null. */
export function findPath(root: unknown, target: Node): NodePath | null {
  let keys: Key[] | null = null;
  walk(root, (node, _ancestors, at) => {
    if (keys) return false;
    if (node === (target as unknown)) keys = [...at];
    return !keys;
  });
  return keys ? (rootPath(root).get(...(keys as Key[])) as NodePath) : null;
}
