// AST helpers for transforms that move or copy statements (user-metadata, redirect). Pure; no reporting.
import type { NodePath } from './ast.js';
import { n, statements } from './ast.js';
import type { Node, Statement } from './types.js';

/**
 * A deep copy of an AST node. `loc` and recast's `original` are shared, so findings raised on the copy
 * point at the rule's source and recast can still reuse the original text when printing it.
 */
export function cloneNode<T>(node: T): T {
  if (Array.isArray(node)) return node.map((item) => cloneNode(item)) as T;
  if (!node || typeof node !== 'object') return node;
  const copy: Record<string, unknown> = {};
  const record = node as Record<string, unknown>;
  // Keys rather than entries, primitives copied in place: this copies whole rule bodies (callback-to-return's trial).
  const keys = Object.keys(record);
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i];
    const value = record[key];
    copy[key] = key === 'loc' || key === 'tokens' || value === null || typeof value !== 'object' ? value : cloneNode(value);
  }
  // recast keeps the parsed node in a non-enumerable `original`: the copy prints like the rule's text.
  const original = (node as { original?: unknown }).original;
  if (original) Object.defineProperty(copy, 'original', { value: original, enumerable: false, writable: true, configurable: true });
  return copy as T;
}

/**
 * `statements(code)` for a code template used on many rules: parsed once (a parse costs more than
 * the rest of a small rule's transform), a fresh copy per use that prints as the parse would.
 */
const templates = new Map<string, Statement[]>();
export function template(code: string): Statement[] {
  let parsed = templates.get(code);
  if (!parsed) templates.set(code, (parsed = statements(code)));
  return cloneNode(parsed);
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

/**
 * The innermost function around `path`, or null when it is directly in the visited root. Read up through
 * parentPath values (lists fail the check): NodePath's `parent` tests every ancestor with ast-types' own
 * check, which showed in profiles.
 */
export function enclosingFunction(path: NodePath): Node | null {
  for (let current: NodePath | null = path.parentPath; current; current = current.parentPath) {
    if (n.Function.check(current.value)) return current.value as Node;
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

// Plain scans for names live with the walk (src/ast/scope.ts asks them too); re-exported for the transforms.
export { containsIdentifier, identifiersIn } from './walk.js';

