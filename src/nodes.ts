// AST helpers for transforms that move or copy statements (user-metadata, redirect). Pure; no reporting.
import type { NodePath } from './ast.js';
import { n } from './ast.js';
import type { Node } from './types.js';

/**
 * A deep copy of an AST node. `loc` and recast's `original` are shared, so findings raised on the copy
 * point at the rule's source and recast can still reuse the original text when printing it.
 */
export function cloneNode<T>(node: T): T {
  if (Array.isArray(node)) return node.map((item) => cloneNode(item)) as T;
  if (!node || typeof node !== 'object') return node;
  const copy: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) {
    copy[key] = key === 'loc' || key === 'original' || key === 'tokens' ? value : cloneNode(value);
  }
  return copy as T;
}

/** Source offset of a node, for ordering; generated nodes come last. */
export function startOf(node: unknown): number {
  const start = (node as { start?: unknown } | null)?.start;
  return typeof start === 'number' ? start : Number.POSITIVE_INFINITY;
}

export function endOf(node: unknown): number {
  const end = (node as { end?: unknown } | null)?.end;
  return typeof end === 'number' ? end : Number.POSITIVE_INFINITY;
}

/** The innermost function around `path`, or null when it is directly in the visited root. */
export function enclosingFunction(path: NodePath): Node | null {
  for (let current = path.parent; current; current = current.parent) {
    if (n.Function.check(current.node)) return current.node as Node;
  }
  return null;
}

/** True when `ancestor` is `path`'s node or one of its ancestors. */
export function isWithin(path: NodePath, ancestor: unknown): boolean {
  for (let current: NodePath | null = path; current; current = current.parent) if (current.node === ancestor) return true;
  return false;
}

/** True when the statement carries a `TODO(rules2actions)` comment already. */
export function hasTodo(node: unknown): boolean {
  const comments = (node as { comments?: Array<{ value?: string }> } | null)?.comments ?? [];
  return comments.some((c) => typeof c.value === 'string' && c.value.includes('TODO(rules2actions)'));
}
