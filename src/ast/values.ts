// The one evaluator (issue 11): "what value can this expression have?" has one answer here.
//
// An expression evaluates to a string template with holes (through `+`, template literals,
// `.concat`, `util.format`, `url.resolve`, `new URL(path, base)` with `searchParams.append/set`,
// `encodeURIComponent`), an object (literals, variables with straight-line reassignment and property
// writes, spread, `Object.assign`, a local helper function that returns one), a known value of the
// Rules sandbox (`auth0.baseUrl`, `auth0.domain`, `auth0.accessToken`, `configuration.X`), or unknown.
// Keyword tokens (`@@KEY@@`, masked by src/tokens.ts) stay in the text of a template: `TOKEN_PLACEHOLDER`
// finds them.
//
// Holes keep the expression the rule wrote, so a rewrite can put it where the call was. An expression
// read through a local helper's parameters is copied with the arguments in place of the parameters;
// one that needs a variable of the helper itself is unknown (it would mean nothing at the call site).
import * as recast from 'recast';
import type { namedTypes as K } from 'ast-types';
import type { Expression, Node } from '../types.js';
import { b } from '../ast.js';
import { cloneNode, startOf } from '../nodes.js';
import { namedTypes, walk, type AnyNode } from '../walk.js';
import { analyzeScopes, type Binding, type ScopeAnalysis } from './scope.js';

const n = namedTypes;

/** Masked keyword tokens (src/tokens.ts): `$<n>$___$`, as long as the token. */
export const TOKEN_PLACEHOLDER = /\$[0-9a-z]+\$_*\$?/g;

export type Known =
  | { kind: 'auth0.baseUrl' }
  | { kind: 'auth0.domain' }
  | { kind: 'auth0.accessToken' }
  | { kind: 'configuration'; key: string }
  /** A whole keyword token (`'@@API_URL@@'`), by its masked placeholder. */
  | { kind: 'keyword-token'; token: string };

export type Part = { text: string } | { expr: Expression; known?: Known; encoded?: boolean };

export interface StringValue {
  kind: 'string';
  parts: Part[];
}

export interface ObjectValue {
  kind: 'object';
  /** Property name → its value expression (already read through helper parameters). */
  properties: Map<string, Expression>;
  /** False when a spread, computed key or method leaves properties unknown. */
  complete: boolean;
}

export type Value = StringValue | ObjectValue | { kind: 'known'; known: Known; expr: Expression } | { kind: 'unknown' };

const UNKNOWN: Value = { kind: 'unknown' };
const MAX_DEPTH = 12;

/** Parameter → argument, while reading through a local helper's return value. */
interface Frame {
  fn: Node;
  args: Map<Binding, Expression | undefined>;
  outer: Frame | null;
}

export interface Values {
  readonly scopes: ScopeAnalysis;
  evaluate(expr: unknown): Value;
  /** The pieces of a string, or null when it is not one. */
  string(expr: unknown): Part[] | null;
  object(expr: unknown): ObjectValue | null;
  /** The object `expr` (written inside the local function `fn`) is when `fn` is called with `args`. */
  objectIn(expr: unknown, fn: K.Function, args: Expression[]): ObjectValue | null;
  known(expr: unknown): Known | null;
  /** The value a variable holds where `at` reads it (the identifier itself), or null. */
  valueAt(id: K.Identifier): Expression | null;
  /** The function a callee names (a declaration, or a variable bound once to a function), or null. */
  functionOf(callee: unknown): K.Function | null;
}

/**
 * An evaluator over the code under `root` (the rule body, usually). Names free in `root` are the
 * sandbox's (`auth0`, `configuration`); `scopes` may be passed when already computed.
 */
export function createValues(root: Node | readonly Node[], given?: ScopeAnalysis): Values {
  const lazy = new LazyScopes(root, given ?? null);
  const scopes = {
    resolve: (id: unknown) => lazy.scopes.resolve(id),
    declared: (id: unknown) => lazy.scopes.declared(id),
  };
  let parents: Map<unknown, AnyNode> | null = null;
  const parentOf = (node: unknown): AnyNode | undefined => {
    if (!parents) {
      parents = new Map();
      const map = parents;
      walk(root, (child, ancestors) => {
        const parent = ancestors[ancestors.length - 1];
        if (parent) map.set(child, parent);
      });
    }
    return parents.get(node);
  };

  const isFree = (id: unknown, name: string) => n.Identifier.check(id) && id.name === name && scopes.resolve(id) === null;

  function known(expr: unknown): Known | null {
    if (n.MemberExpression.check(expr) && !expr.computed && n.Identifier.check(expr.property)) {
      const key = expr.property.name;
      if (isFree(expr.object, 'auth0')) {
        if (key === 'baseUrl' || key === 'domain' || key === 'accessToken') return { kind: `auth0.${key}` } as Known;
      }
      if (isFree(expr.object, 'configuration')) return { kind: 'configuration', key };
    }
    if (n.MemberExpression.check(expr) && expr.computed && isFree(expr.object, 'configuration') && n.StringLiteral.check(expr.property)) {
      return { kind: 'configuration', key: expr.property.value };
    }
    const text = literalString(expr);
    if (text !== null) {
      const match = text.match(TOKEN_PLACEHOLDER);
      if (match && match[0] === text) return { kind: 'keyword-token', token: text };
    }
    return null;
  }

  /** A binding's value where `at` reads it: the last straight-line write before it, or null. */
  function reachingValue(binding: Binding, at: Node): Expression | null {
    const start = startOf(at);
    type Def = { node: Node; value: Expression | null };
    const defs: Def[] = [];
    if (binding.declarator && binding.init) defs.push({ node: binding.declarator as Node, value: binding.init });
    else if (binding.kind === 'function' || binding.kind === 'param' || binding.kind === 'catch' || binding.kind === 'class') return null;
    for (const write of binding.writes) {
      const value = n.AssignmentExpression.check(write) && write.operator === '=' && n.Identifier.check(write.left) ? (write.right as Expression) : null;
      defs.push({ node: write, value });
    }
    let best: Def | null = null;
    // A write whose own right-hand side holds the read (`o = Object.assign({}, o, …)`) comes after it.
    for (const def of defs) if (startOf(def.node) < start && !contains(def.node, at) && (!best || startOf(def.node) > startOf(best.node))) best = def;
    if (!best || !best.value) return null;
    if (!straightLine(best.node, at)) return null;
    // A later write in a loop around the read may run before it.
    for (const def of defs) {
      if (startOf(def.node) > start && sharesLoop(def.node, at)) return null;
    }
    return best.value;
  }

  /** True when `def`'s statement runs before `at` whenever `at` runs: `at` is in a later sibling of it. */
  function straightLine(def: Node, at: Node): boolean {
    // Up through expressions only: a write under an `if` or a loop may not run.
    let statement: AnyNode | undefined = def as unknown as AnyNode;
    while (statement && !n.Statement.check(statement)) statement = parentOf(statement);
    if (!statement || !isStatementInList(statement)) return false;
    const list = listOf(statement);
    if (!list) return false;
    for (let current: AnyNode | undefined = at as unknown as AnyNode; current; current = parentOf(current)) {
      const index = list.indexOf(current);
      if (index >= 0) return index > list.indexOf(statement);
      // The read may sit in a function defined after the write (a callback): still after it.
    }
    return false;
  }

  function isStatementInList(node: AnyNode): boolean {
    return n.Statement.check(node) && listOf(node) !== null;
  }

  function listOf(statement: AnyNode): unknown[] | null {
    const parent = parentOf(statement);
    if (!parent) return Array.isArray(root) && root.includes(statement as unknown as Node) ? (root as unknown[]) : null;
    for (const key of ['body', 'consequent']) {
      const list = parent[key];
      if (Array.isArray(list) && list.includes(statement)) return list;
    }
    return null;
  }

  function sharesLoop(write: Node, read: Node): boolean {
    for (let current = parentOf(read); current; current = parentOf(current)) {
      if (n.Function.check(current)) return false;
      if (isLoop(current)) return contains(current, write);
    }
    return false;
  }

  function contains(ancestor: unknown, node: unknown): boolean {
    for (let current: unknown = node; current; current = parentOf(current)) if (current === ancestor) return true;
    return false;
  }

  function valueAt(id: K.Identifier): Expression | null {
    const binding = scopes.resolve(id);
    return binding ? reachingValue(binding, id as unknown as Node) : null;
  }

  function functionOf(callee: unknown): K.Function | null {
    if (!n.Identifier.check(callee)) return null;
    const binding = scopes.resolve(callee);
    if (!binding) return null;
    if (binding.kind === 'function' && binding.writes.length === 0) {
      const parent = parentOf(binding.id);
      if (n.FunctionDeclaration.check(parent)) return parent;
    }
    const init = binding.writes.length === 0 ? binding.init : null;
    if (n.FunctionExpression.check(init) || n.ArrowFunctionExpression.check(init)) return init as unknown as K.Function;
    return null;
  }

  /** The single value a helper returns: an arrow's expression body, or its only top-level `return`. */
  function returned(fn: K.Function): Expression | null {
    if (!n.BlockStatement.check(fn.body)) return fn.body as Expression;
    const returns = fn.body.body.filter((s) => n.ReturnStatement.check(s)) as K.ReturnStatement[];
    let nested = false;
    walk(fn.body, (node) => {
      if (n.Function.check(node)) return false;
      if (n.ReturnStatement.check(node) && !returns.includes(node)) nested = true;
    });
    return !nested && returns.length === 1 ? ((returns[0].argument as Expression | null) ?? null) : null;
  }

  /** Reads an identifier: a helper's parameter gives its argument, a variable its reaching value. */
  function readIdentifier(id: K.Identifier, frame: Frame | null): { expr: Expression; frame: Frame | null } | null {
    const binding = scopes.resolve(id);
    if (!binding) return null;
    for (let f = frame; f; f = f.outer) {
      if (f.args.has(binding)) {
        const arg = f.args.get(binding);
        return arg ? { expr: arg, frame: f.outer } : null;
      }
    }
    const value = reachingValue(binding, id as unknown as Node);
    return value ? { expr: value, frame } : null;
  }

  /** An expression as it reads at the call site: parameters replaced by arguments; null when it needs a helper's own variable. */
  function materialize(expr: Expression, frame: Frame | null): Expression | null {
    if (!frame) return expr;
    let usable = true;
    const replace = new Map<unknown, Expression>();
    walk(expr, (node) => {
      if (!n.Identifier.check(node)) return;
      const binding = scopes.resolve(node);
      if (!binding) return;
      for (let f: Frame | null = frame; f; f = f.outer) {
        if (f.args.has(binding)) {
          const arg = f.args.get(binding);
          const outer = arg ? materialize(arg, f.outer) : null;
          if (outer) replace.set(node, outer);
          else usable = false;
          return;
        }
        if (contains(f.fn, binding.id)) {
          usable = false;
          return;
        }
      }
    });
    if (!usable) return null;
    if (replace.size === 0) return expr;
    if (replace.has(expr)) return replace.get(expr)!;
    const copy = cloneNode(expr);
    // Same walk order on the copy: the nth identifier of the original is the nth of the copy.
    const originals: unknown[] = [];
    walk(expr, (node) => {
      if (n.Identifier.check(node)) originals.push(node);
    });
    let index = 0;
    const swaps: Array<{ holder: Record<string | number, unknown>; key: string | number; value: Expression }> = [];
    walk(copy, (node, ancestors, keys) => {
      if (!n.Identifier.check(node)) return;
      const value = replace.get(originals[index++]);
      if (!value) return;
      const parent = ancestors[ancestors.length - 1];
      const key = keys[keys.length - 1];
      if (typeof key === 'number') swaps.push({ holder: parent[keys[keys.length - 2]] as unknown as Record<number, unknown>, key, value });
      else {
        if ((n.ObjectProperty.check(parent) || n.Property.check(parent)) && parent.shorthand) parent.shorthand = false;
        swaps.push({ holder: parent, key, value });
      }
    });
    for (const { holder, key, value } of swaps) holder[key] = value;
    return copy;
  }

  function hole(expr: Expression, frame: Frame | null, encoded = false): Part[] | null {
    const here = materialize(expr, frame);
    if (!here) return null;
    const k = known(here);
    return [k ? { expr: here, known: k, ...(encoded ? { encoded } : {}) } : { expr: here, ...(encoded ? { encoded } : {}) }];
  }

  function stringParts(expr: unknown, frame: Frame | null, depth: number): Part[] | null {
    if (depth > MAX_DEPTH) return null;
    const text = literalString(expr);
    if (text !== null) return [{ text }];
    if (n.NumericLiteral.check(expr)) return [{ text: String(expr.value) }];
    if (n.TemplateLiteral.check(expr)) {
      const parts: Part[] = [];
      for (let i = 0; i < expr.quasis.length; i++) {
        const quasi = expr.quasis[i];
        parts.push({ text: quasi.value.cooked ?? quasi.value.raw });
        const inner = expr.expressions[i] as Expression | undefined;
        if (!inner) continue;
        const value = stringParts(inner, frame, depth + 1) ?? hole(inner, frame);
        if (!value) return null;
        parts.push(...value);
      }
      return merge(parts);
    }
    if (n.BinaryExpression.check(expr) && expr.operator === '+') {
      const left = stringParts(expr.left, frame, depth + 1);
      const right = stringParts(expr.right, frame, depth + 1);
      // One side must be a string for `+` to concatenate; a hole on both sides is still a template.
      const l = left ?? hole(expr.left as Expression, frame);
      const r = right ?? hole(expr.right as Expression, frame);
      if (!l || !r) return null;
      if (!left && !right && !(l.some(isKnownString) || r.some(isKnownString))) return null;
      return merge([...l, ...r]);
    }
    if (n.Identifier.check(expr)) {
      const read = readIdentifier(expr, frame);
      if (!read) return null;
      if (n.NewExpression.check(read.expr)) {
        return calleeName(read.expr.callee) === 'URLSearchParams'
          ? searchParamsObjectParts(expr, read.expr, read.frame, depth)
          : urlObjectParts(expr, read.expr, read.frame, depth);
      }
      return stringParts(read.expr, read.frame, depth + 1);
    }
    const k = known(expr);
    if (k && k.kind !== 'keyword-token') return hole(expr as Expression, frame);
    if (n.CallExpression.check(expr)) return callParts(expr, frame, depth);
    if (n.NewExpression.check(expr)) return newUrlParts(expr, frame, depth);
    if (n.MemberExpression.check(expr) && !expr.computed && n.Identifier.check(expr.property) && expr.property.name === 'href') {
      return stringParts(expr.object, frame, depth + 1);
    }
    // `config.endpoints.userApi`: a property of an object the evaluator knows (already read at the call site).
    const held = memberOfObject(expr, frame, depth);
    if (held) return stringParts(held, null, depth + 1);
    return null;
  }

  /** The value expression of `object.key` when the object is known and holds that key. */
  function memberOfObject(expr: unknown, frame: Frame | null, depth: number): Expression | null {
    if (!n.MemberExpression.check(expr)) return null;
    const key = !expr.computed && n.Identifier.check(expr.property) ? expr.property.name : expr.computed ? literalString(expr.property) : null;
    if (key === null) return null;
    const object = objectValue(expr.object, frame, depth + 1);
    return object?.properties.get(key) ?? null;
  }

  function callParts(call: K.CallExpression, frame: Frame | null, depth: number): Part[] | null {
    const callee = call.callee;
    const args = call.arguments as Expression[];
    const chain = calleeName(callee);
    if (chain === 'encodeURIComponent' && args.length === 1) {
      const inner = stringParts(args[0], frame, depth + 1);
      if (inner && inner.every((p) => 'text' in p)) return [{ text: encodeURIComponent(inner.map((p) => ('text' in p ? p.text : '')).join('')) }];
      return hole(args[0], frame, true)?.map((p) => ('expr' in p ? { ...p, encoded: true } : p)) ?? null;
    }
    if (chain === 'String' && args.length === 1) return stringParts(args[0], frame, depth + 1) ?? hole(args[0], frame);
    if (chain === 'util.format' || chain === 'format') return formatParts(args, frame, depth);
    if (chain === 'url.resolve' && args.length === 2) return resolveParts(args[0], args[1], frame, depth);
    if (n.MemberExpression.check(callee) && !callee.computed && n.Identifier.check(callee.property)) {
      const method = callee.property.name;
      if (method === 'concat') {
        const head = stringParts(callee.object, frame, depth + 1);
        if (!head) return null;
        const rest = args.map((a) => stringParts(a, frame, depth + 1) ?? hole(a, frame));
        if (rest.some((r) => !r)) return null;
        return merge([...head, ...rest.flatMap((r) => r!)]);
      }
      if (method === 'toString' && args.length === 0) return stringParts(callee.object, frame, depth + 1);
    }
    return null;
  }

  function formatParts(args: Expression[], frame: Frame | null, depth: number): Part[] | null {
    const format = literalString(args[0]);
    if (format === null) return null;
    const parts: Part[] = [];
    let next = 1;
    const pieces = format.split(/(%[sdij%])/);
    for (const piece of pieces) {
      if (piece === '%%') parts.push({ text: '%' });
      else if (/^%[sdij]$/.test(piece)) {
        const arg = args[next++];
        if (!arg) return null;
        const value = stringParts(arg, frame, depth + 1) ?? hole(arg, frame);
        if (!value) return null;
        parts.push(...value);
      } else parts.push({ text: piece });
    }
    return next === args.length ? merge(parts) : null;
  }

  /** `url.resolve(base, path)` / `new URL(path, base)`: an absolute path replaces the base's path. */
  function resolveParts(baseExpr: unknown, pathExpr: unknown, frame: Frame | null, depth: number): Part[] | null {
    const path = stringParts(pathExpr, frame, depth + 1);
    const base = stringParts(baseExpr, frame, depth + 1) ?? (n.Node.check(baseExpr) ? hole(baseExpr as Expression, frame) : null);
    if (!path || !base) return null;
    const first = path[0];
    if (first && 'text' in first && /^https?:\/\//.test(first.text)) return path;
    if (!first || !('text' in first)) return null;
    if (first.text.startsWith('/')) {
      // The origin of the base: auth0.baseUrl is https://<domain>/api/v2.
      const head = base[0];
      if (base.length === 1 && 'expr' in head && head.known?.kind === 'auth0.baseUrl') {
        if (first.text.startsWith('/api/v2')) return merge([head, { text: first.text.slice('/api/v2'.length) }, ...path.slice(1)]);
        return null;
      }
      if ('text' in head) {
        const origin = /^https?:\/\/[^/]+/.exec(head.text)?.[0];
        if (origin && base.length === 1) return merge([{ text: origin }, ...path]);
      }
      return null;
    }
    // A relative path resolves against the base's directory: only a base ending in `/` keeps it whole.
    const last = base[base.length - 1];
    if (last && 'text' in last && last.text.endsWith('/')) return merge([...base, ...path]);
    return null;
  }

  function newUrlParts(expr: K.NewExpression, frame: Frame | null, depth: number): Part[] | null {
    if (calleeName(expr.callee) === 'URLSearchParams') return searchParamsParts(expr, [], frame, depth);
    if (calleeName(expr.callee) !== 'URL' && calleeName(expr.callee) !== 'url.URL') return null;
    const [path, base] = expr.arguments as Expression[];
    if (!base) return stringParts(path, frame, depth + 1);
    return resolveParts(base, path, frame, depth);
  }

  /** One `key=value` pair as URLSearchParams writes it: a text value encoded now, a hole marked encoded. */
  function queryPair(key: string, value: Expression, frame: Frame | null, depth: number): Part[] | null {
    const valueParts = stringParts(value, frame, depth + 1);
    const text = valueParts && valueParts.every((p) => 'text' in p) ? valueParts.map((p) => ('text' in p ? p.text : '')).join('') : null;
    if (text !== null) return [{ text: new URLSearchParams({ [key]: text }).toString() }];
    const held = hole(value, frame)?.map((p) => ('expr' in p ? { ...p, encoded: true } : p));
    return held ? [{ text: `${new URLSearchParams({ [key]: '' }).toString()}` }, ...held] : null;
  }

  /**
   * `new URLSearchParams({ k: v })` (an object literal or a variable holding one), with the
   * `append`/`set` calls made on it before the read: the query text without its `?`.
   */
  function searchParamsParts(expr: K.NewExpression, later: Array<[string, Expression, 'append' | 'set']>, frame: Frame | null, depth: number): Part[] | null {
    const [init] = expr.arguments as Expression[];
    const pairs: Array<[string, Expression]> = [];
    if (init) {
      const object = objectValue(init, frame, depth + 1);
      if (!object || !object.complete) return null;
      pairs.push(...object.properties);
    }
    for (const [key, value, method] of later) {
      const index = pairs.findIndex(([k]) => k === key);
      // A second pair of one key (an append of a key already there) is not modelled.
      if (index >= 0 && method === 'append') return null;
      if (index >= 0) pairs[index] = [key, value];
      else pairs.push([key, value]);
    }
    const parts: Part[] = [];
    for (const [key, value] of pairs) {
      const pair = queryPair(key, value, frame, depth);
      if (!pair) return null;
      if (parts.length > 0) parts.push({ text: '&' });
      parts.push(...pair);
    }
    return merge(parts);
  }

  /** `const p = new URLSearchParams(…)` then `p.set/append(k, v)` before the read (`p.toString()`, `'?' + p`). */
  function searchParamsObjectParts(id: K.Identifier, init: K.NewExpression, frame: Frame | null, depth: number): Part[] | null {
    const binding = scopes.resolve(id);
    if (!binding) return null;
    const readAt = startOf(id as unknown as Node);
    const later: Array<[string, Expression, 'append' | 'set']> = [];
    for (const ref of binding.references) {
      if (startOf(ref as unknown as Node) >= readAt || ref === id) continue;
      const member = parentOf(ref);
      const call = member && parentOf(member);
      const name = n.MemberExpression.check(member) && member.object === (ref as unknown) && n.Identifier.check(member.property) ? member.property.name : null;
      if (name === 'toString') continue;
      if ((name !== 'append' && name !== 'set') || !n.CallExpression.check(call) || call.callee !== (member as unknown) || !straightLine(call as unknown as Node, id as unknown as Node)) return null;
      const [key, value] = call.arguments as Expression[];
      const keyText = literalString(key);
      if (keyText === null || !value) return null;
      later.push([keyText, value, name]);
    }
    return searchParamsParts(init, later, frame, depth);
  }

  /** `const u = new URL(…)` then `u.searchParams.append/set(k, v)` before the read: the query joins the URL. */
  function urlObjectParts(id: K.Identifier, init: Expression, frame: Frame | null, depth: number): Part[] | null {
    if (!n.NewExpression.check(init)) return null;
    const base = newUrlParts(init, frame, depth + 1);
    const binding = scopes.resolve(id);
    if (!base || !binding) return null;
    const readAt = startOf(id as unknown as Node);
    const query: Part[] = [];
    for (const ref of binding.references) {
      if (startOf(ref as unknown as Node) >= readAt || ref === id) continue;
      const member = parentOf(ref);
      const search = member && parentOf(member);
      const method = search && parentOf(search);
      const isSearchParams = n.MemberExpression.check(member) && n.Identifier.check(member.property) && member.property.name === 'searchParams';
      if (!isSearchParams) {
        // `u.href` / `u.toString()` reads are fine; anything else may change the URL.
        if (n.MemberExpression.check(member) && n.Identifier.check(member.property) && ['href', 'toString'].includes(member.property.name)) continue;
        if (n.MemberExpression.check(member) && member.object === (ref as unknown)) return null;
        continue;
      }
      const name = n.MemberExpression.check(search) && n.Identifier.check(search.property) ? search.property.name : null;
      if (!n.CallExpression.check(method) || method.callee !== (search as unknown) || (name !== 'append' && name !== 'set') || !straightLine(method as unknown as Node, id as unknown as Node)) return null;
      const [key, value] = method.arguments as Expression[];
      const keyText = literalString(key);
      if (keyText === null || !value) return null;
      const valueParts = stringParts(value, frame, depth + 1);
      const encodedValue: Part[] = valueParts && valueParts.every((p) => 'text' in p)
        ? [{ text: encodeURIComponent(valueParts.map((p) => ('text' in p ? p.text : '')).join('')) }]
        : (hole(value, frame)?.map((p) => ('expr' in p ? { ...p, encoded: true } : p)) ?? []);
      if (encodedValue.length === 0) return null;
      query.push({ text: `${query.length === 0 ? '?' : '&'}${encodeURIComponent(keyText)}=` }, ...encodedValue);
    }
    const last = base[base.length - 1];
    if (query.length > 0 && last && 'text' in last && last.text.includes('?')) query[0] = { text: `&${(query[0] as { text: string }).text.slice(1)}` };
    return merge([...base, ...query]);
  }

  function objectValue(expr: unknown, frame: Frame | null, depth: number, at?: Node): ObjectValue | null {
    if (depth > MAX_DEPTH) return null;
    if (n.ObjectExpression.check(expr)) {
      const properties = new Map<string, Expression>();
      let complete = true;
      for (const prop of expr.properties) {
        if (n.SpreadElement.check(prop) || (n as unknown as { SpreadProperty: typeof n.SpreadElement }).SpreadProperty?.check(prop)) {
          const spread = objectValue((prop as K.SpreadElement).argument, frame, depth + 1);
          if (!spread) {
            complete = false;
            continue;
          }
          for (const [key, value] of spread.properties) properties.set(key, value);
          if (!spread.complete) complete = false;
          continue;
        }
        if (!(n.ObjectProperty.check(prop) || n.Property.check(prop)) || prop.computed) {
          complete = false;
          continue;
        }
        const key = n.Identifier.check(prop.key) ? prop.key.name : literalString(prop.key);
        if (key === null) {
          complete = false;
          continue;
        }
        const value = materialize(prop.value as Expression, frame);
        if (value) properties.set(key, value);
        else complete = false;
      }
      return { kind: 'object', properties, complete };
    }
    if (n.Identifier.check(expr)) {
      const read = readIdentifier(expr, frame);
      if (!read) return null;
      const base = objectValue(read.expr, read.frame, depth + 1);
      if (!base) return null;
      return frame ? base : withPropertyWrites(base, expr, at);
    }
    const held = memberOfObject(expr, frame, depth);
    if (held) return objectValue(held, null, depth + 1);
    if (n.CallExpression.check(expr)) {
      const name = calleeName(expr.callee);
      const args = expr.arguments as Expression[];
      if (name === 'Object.assign' || name === '_.assign' || name === '_.extend' || name === 'Object.freeze') {
        const merged: ObjectValue = { kind: 'object', properties: new Map(), complete: true };
        for (const arg of name === 'Object.freeze' ? args.slice(0, 1) : args) {
          const value = objectValue(arg, frame, depth + 1);
          if (!value) return null;
          for (const [key, v] of value.properties) merged.properties.set(key, v);
          if (!value.complete) merged.complete = false;
        }
        return merged;
      }
      const fn = functionOf(expr.callee);
      if (fn && !fn.async && !fn.generator) {
        const value = returned(fn);
        if (!value) return null;
        const argsByParam = new Map<Binding, Expression | undefined>();
        fn.params.forEach((param, index) => {
          if (!n.Identifier.check(param)) return;
          const binding = scopes.declared(param);
          if (binding) argsByParam.set(binding, args[index] ? (materialize(args[index], frame) ?? undefined) : undefined);
        });
        if (fn.params.some((p) => !n.Identifier.check(p))) return null;
        return objectValue(value, { fn: fn as unknown as Node, args: argsByParam, outer: frame }, depth + 1);
      }
    }
    return null;
  }

  /** `opts.url = …`, `opts.qs.email = …` between the variable's value and the read. */
  function withPropertyWrites(base: ObjectValue, id: K.Identifier, at?: Node): ObjectValue {
    const binding = scopes.resolve(id);
    if (!binding) return base;
    const readAt = startOf(at ?? (id as unknown as Node));
    const value = reachingValue(binding, id as unknown as Node);
    const from = value ? startOf(value as unknown as Node) : -1;
    let result = base;
    for (const ref of binding.references) {
      const position = startOf(ref as unknown as Node);
      if (position <= from || position >= readAt) continue;
      const member = parentOf(ref);
      const assignment = member && parentOf(member);
      if (!n.MemberExpression.check(member) || member.object !== (ref as unknown) || !n.AssignmentExpression.check(assignment) || assignment.left !== member) continue;
      const key = !member.computed && n.Identifier.check(member.property) ? member.property.name : literalString(member.property);
      if (key === null || assignment.operator !== '=' || !straightLine(assignment as unknown as Node, id as unknown as Node)) {
        return { ...result, complete: false };
      }
      result = { ...result, properties: new Map(result.properties).set(key, assignment.right as Expression) };
    }
    return result;
  }

  function evaluate(expr: unknown): Value {
    const k = known(expr);
    if (k && k.kind !== 'keyword-token') return { kind: 'known', known: k, expr: expr as Expression };
    const object = objectValue(expr, null, 0);
    if (object) return object;
    const parts = stringParts(expr, null, 0);
    if (parts) return { kind: 'string', parts };
    return UNKNOWN;
  }

  return Object.assign(lazy, {
    evaluate,
    string: (expr) => stringParts(expr, null, 0),
    object: (expr) => objectValue(expr, null, 0),
    objectIn: (expr, fn, args) => {
      if (fn.params.some((p) => !n.Identifier.check(p))) return null;
      const byParam = new Map<Binding, Expression | undefined>();
      fn.params.forEach((param, index) => {
        const binding = scopes.declared(param);
        if (binding) byParam.set(binding, args[index]);
      });
      return objectValue(expr, { fn: fn as unknown as Node, args: byParam, outer: null }, 0);
    },
    known,
    valueAt,
    functionOf,
  } satisfies Omit<Values, 'scopes'>);
}

/**
 * The scope analysis, built on the first question (most rules scanned never ask one). A getter of a
 * class, not one in the object literal createValues returns: V8 keeps an object's own getter in an
 * accessor pair that young-generation collections did not free (measured), so the getter closure and
 * the context it shares with createValues' other closures (the rule's whole tree) lasted until a full
 * collection, and a migration spent twice as long in garbage collection.
 */
class LazyScopes {
  constructor(
    private readonly root: Node | readonly Node[],
    private analysis: ScopeAnalysis | null,
  ) {}

  get scopes(): ScopeAnalysis {
    return (this.analysis ??= analyzeScopes(this.root));
  }
}

const isLoop = (node: unknown) =>
  n.ForStatement.check(node) || n.ForInStatement.check(node) || n.ForOfStatement.check(node) || n.WhileStatement.check(node) || n.DoWhileStatement.check(node);

function isKnownString(part: Part): boolean {
  return 'expr' in part && Boolean(part.known);
}

export function literalString(node: unknown): string | null {
  if (n.StringLiteral.check(node)) return node.value;
  if (n.Literal.check(node) && typeof (node as K.Literal).value === 'string') return (node as K.Literal).value as string;
  if (n.TemplateLiteral.check(node) && node.expressions.length === 0) return node.quasis[0].value.cooked ?? node.quasis[0].value.raw;
  return null;
}

function calleeName(callee: unknown): string | null {
  if (n.Identifier.check(callee)) return callee.name;
  if (n.MemberExpression.check(callee) && !callee.computed && n.Identifier.check(callee.property)) {
    const head = calleeName(callee.object);
    return head ? `${head}.${callee.property.name}` : null;
  }
  return null;
}

/** Adjacent text parts joined; empty text dropped. */
export function merge(parts: Part[]): Part[] {
  const out: Part[] = [];
  for (const part of parts) {
    const last = out[out.length - 1];
    if ('text' in part && last && 'text' in last) out[out.length - 1] = { text: last.text + part.text };
    else if (!('text' in part && part.text === '')) out.push(part);
  }
  return out;
}

/** A template's text with `${…}` for each hole (for tests and messages). */
export function describeParts(parts: Part[]): string {
  return parts.map((p) => ('text' in p ? p.text : `\${${p.known ? p.known.kind + (p.known.kind === 'configuration' ? '.' + p.known.key : '') : recast.print(p.expr).code}${p.encoded ? '|enc' : ''}}`)).join('');
}

/** An object value's properties as `key: source` lines (for tests and messages). */
export function describeObject(value: ObjectValue): string {
  return [...value.properties].map(([key, v]) => `${key}: ${recast.print(v).code}`).join(', ') + (value.complete ? '' : ', …');
}

/** The builder of an `auth0.baseUrl` expression, for values that stand for it. */
export function baseUrlExpression(): Expression {
  return b.memberExpression(b.identifier('auth0'), b.identifier('baseUrl'));
}
