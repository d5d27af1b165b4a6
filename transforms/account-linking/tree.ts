// Plain walks for questions that need no NodePath: src/visit.ts would build one for every node a
// `visitIdentifier` or `visitNode` method receives, which was most of account-linking's cost.
import { n } from '../../src/ast.js';
import type { Node } from '../../src/types.js';
import type { NodePath } from '../../src/ast.js';
import { rootPath, typeNameCheck, walk, type Key } from '../../src/walk.js';

export const isIdentifierType = typeNameCheck(n.Identifier);
export const isFunctionType = typeNameCheck(n.Function);
export const isCallType = typeNameCheck(n.CallExpression);
export const isNewType = typeNameCheck(n.NewExpression);
export const isDeclaratorType = typeNameCheck(n.VariableDeclarator);
export const isAssignmentType = typeNameCheck(n.AssignmentExpression);


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
