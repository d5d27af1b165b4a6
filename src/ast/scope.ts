// The one name resolver (issue 11): "what does this identifier refer to?" has one answer here.
//
// Two views of the same rules, for two kinds of caller:
// - `analyzeScopes(root)`: one walk builds the scope tree of a subtree (function, block, catch and
//   loop scopes; `var` and function parameters hoisted to the function, `let`/`const`/`class` and
//   block-level function declarations kept in their block) and resolves every reference in it to its
//   binding, with the binding's initialiser and every write. `ruleScopes(rule)` adds the aliases of
//   the rule's `user`/`context`/`callback` parameters (`var ctx = context`), computed once.
// - Path queries (`bindingOwner`, `isRuleParameter`, `isGlobalReference`, `declares`): the same
//   scoping rules, answered on demand by walking a NodePath's ancestors, for visitors that change the
//   tree while they go (an analysis is a snapshot: nodes added after it are unknown to it).
//
// ast-types' own Scope hoists `let`/`const` to the enclosing function, so `{ const configuration = 1; }`
// would hide the global everywhere in the rule; neither view does that.
import * as recast from 'recast';
import type { namedTypes as K } from 'ast-types';
import type { NodePath } from '../ast.js';
import type { Expression, Node, RuleShape } from '../types.js';
import { containsIdentifier, fastCheck, someNode, typeNameCheck, namedTypes, walk, type AnyNode, type Key } from '../walk.js';

const n = namedTypes;

const is = {
  Function: fastCheck(n.Function),
  FunctionExpression: fastCheck(n.FunctionExpression),
  ClassDeclaration: fastCheck(n.ClassDeclaration),
  ClassExpression: fastCheck(n.ClassExpression),
  ObjectProperty: fastCheck(n.ObjectProperty),
  Property: fastCheck(n.Property),
  CatchClause: fastCheck(n.CatchClause),
  FunctionDeclaration: fastCheck(n.FunctionDeclaration),
  VariableDeclaration: fastCheck(n.VariableDeclaration),
  VariableDeclarator: fastCheck(n.VariableDeclarator),
  Identifier: fastCheck(n.Identifier),
  ObjectPattern: fastCheck(n.ObjectPattern),
  ArrayPattern: fastCheck(n.ArrayPattern),
  AssignmentPattern: fastCheck(n.AssignmentPattern),
  RestElement: fastCheck(n.RestElement),
  TSParameterProperty: fastCheck(n.TSParameterProperty),
};

// ---------------------------------------------------------------------------------------------
// Scope kinds and declarations (shared by both views)

/**
 * Node type → kind, from ast-types types (subtypes included); the first listed kind of a type wins.
 * One property read and one lookup, where a chain of `check` calls reads `type` once per check.
 */
function typeKinds<T extends string>(entries: ReadonlyArray<readonly [T, ReadonlyArray<recast.types.Type<unknown>>]>): Map<unknown, T> {
  const kinds = new Map<unknown, T>();
  for (const [kind, types] of entries) {
    for (const name of Object.keys(n)) if (!kinds.has(name) && types.some((type) => type.check({ type: name }))) kinds.set(name, kind);
  }
  return kinds;
}

function kindOf<T>(kinds: Map<unknown, T>, node: unknown): T | undefined {
  return node && typeof node === 'object' ? kinds.get((node as { type?: unknown }).type) : undefined;
}

const referenceKinds = typeKinds([
  ['member', [n.MemberExpression, n.OptionalMemberExpression]],
  ['keyed', [n.ObjectProperty, n.Property, n.ObjectMethod, n.ClassMethod, n.ClassProperty]],
  ['label', [n.LabeledStatement, n.BreakStatement, n.ContinueStatement]],
]);

export type ScopeKind = 'function' | 'block' | 'switch' | 'catch' | 'for' | 'forIn' | 'class';

const scopeKinds = typeKinds<ScopeKind>([
  ['function', [n.Function]],
  ['block', [n.BlockStatement, n.Program]],
  ['switch', [n.SwitchStatement]],
  ['catch', [n.CatchClause]],
  ['for', [n.ForStatement]],
  ['forIn', [n.ForInStatement, n.ForOfStatement]],
  ['class', [n.ClassExpression]],
]);

/** True when the identifier `node`, found under `parent` in field `field`, reads or writes a variable (not a key, label or member name). */
function isReferenceIn(node: unknown, parent: AnyNode | undefined, field?: Key): boolean {
  if (!parent) return true;
  switch (kindOf(referenceKinds, parent)) {
    case 'member':
      return field !== undefined ? field !== 'property' || Boolean(parent.computed) : parent.property !== node || Boolean(parent.computed);
    case 'keyed':
      return field !== undefined ? field !== 'key' || Boolean(parent.computed) : parent.key !== node || Boolean(parent.computed);
    case 'label':
      return false;
    default:
      return true;
  }
}

/** True when the identifier at `path` is a read or write of a variable (not a key, label or member name). */
export function isReference(path: NodePath): boolean {
  const parent = path.parent?.node;
  if (!parent) return true;
  switch (kindOf(referenceKinds, parent)) {
    case 'member':
      return path.name === 'property' ? Boolean(parent.computed) : true;
    case 'keyed':
      return path.name === 'key' ? Boolean(parent.computed) : true;
    case 'label':
      return false;
    default:
      return true;
  }
}

/** True when the scope that `node` opens (function, block, catch, loop) declares `name` itself. */
export function declares(node: Node, name: string): boolean {
  // This runs for every ancestor of every candidate identifier, and most open no scope. The names a
  // block, a switch or a function's `var`s declare are read once and kept (see `declaredNames`):
  // scanning them per identifier made a rule with thousands of statements quadratic.
  switch (kindOf(scopeKinds, node)) {
    case 'function': {
      const fn = node as K.Function;
      if (fn.params.some((p) => patternDeclares(p, name))) return true;
      if (is.FunctionExpression(fn) && fn.id?.name === name) return true;
      return functionDeclaresVar(fn as Node, name);
    }
    case 'block':
      return declaredNames(node, (node as K.BlockStatement).body, statementNames).has(name);
    case 'switch':
      return declaredNames(node, (node as K.SwitchStatement).cases, switchNames).has(name);
    case 'catch': {
      const { param } = node as K.CatchClause;
      return Boolean(param) && patternDeclares(param, name);
    }
    case 'for': {
      const { init } = node as K.ForStatement;
      return is.VariableDeclaration(init) && declarationDeclares(init, name);
    }
    case 'forIn': {
      const { left } = node as K.ForInStatement;
      return is.VariableDeclaration(left) && declarationDeclares(left, name);
    }
    case 'class':
      return (node as K.ClassExpression).id?.name === name;
    default:
      return false;
  }
}

// ---------------------------------------------------------------------------------------------
// Declared names, kept per scope node
//
// A kept set is used again while the node holds the same list of the same length and no edit that
// may add, remove or rename a declaration happened since: the NodePath edits (replace, insert, push,
// prune…) drop them all when what they insert or remove holds a declaration, so do
// `renameReferences` and `forgetDeclaredNames()` (called before each transform and after the last).
//
// A Map dropped whole, not a WeakMap: V8's young-generation collections keep a WeakMap's values
// alive after their keys died (measured), and a value reaching its own key (the function body lists)
// kept its entry until a full collection: a rule's tree went to the old generation with them.

interface Kept {
  list: unknown;
  length: number;
  names: Set<string>;
}

let kept = new Map<object, Kept>();

/** Drops every kept set of declared names (the tree may have been edited outside NodePath). */
export function forgetDeclaredNames(): void {
  if (kept.size) kept = new Map();
}

function declaredNames<L extends object>(node: object, list: L, read: (list: L) => Set<string>): Set<string> {
  const length = Array.isArray(list) ? list.length : -1;
  const found = kept.get(node);
  if (found && found.list === list && found.length === length) return found.names;
  const names = read(list);
  kept.set(node, { list, length, names });
  return names;
}

function statementNames(list: readonly unknown[], names = new Set<string>()): Set<string> {
  for (const statement of list) {
    if (is.VariableDeclaration(statement)) for (const name of declarationNames(statement)) names.add(name);
    else if ((is.FunctionDeclaration(statement) || is.ClassDeclaration(statement)) && statement.id) names.add((statement.id as K.Identifier).name);
  }
  return names;
}

function switchNames(cases: readonly unknown[]): Set<string> {
  const names = new Set<string>();
  for (const c of cases) statementNames((c as K.SwitchCase).consequent, names);
  return names;
}

/** The names `var`s declare anywhere in a function's body, nested functions excluded. */
function varNames(body: object): Set<string> {
  const names = new Set<string>();
  forEachVar(body, (declaration) => {
    for (const name of declarationNames(declaration)) names.add(name);
  });
  return names;
}

/**
 * Calls `found` for every `var` declaration under `value`, in visit order, nested functions excluded.
 * A `var` stands only where a statement or a for head does: expressions are not entered (walking
 * them was most of the cost of hoisting, which runs for every function of every analysis).
 */
function forEachVar(value: unknown, found: (declaration: K.VariableDeclaration) => void): void {
  if (!value || typeof value !== 'object') return;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) forEachVar(value[i], found);
    return;
  }
  const node = value as AnyNode;
  switch (node.type) {
    case 'VariableDeclaration':
      if (node.kind === 'var') found(node as unknown as K.VariableDeclaration);
      return;
    case 'BlockStatement':
    case 'Program':
      return forEachVar(node.body, found);
    case 'IfStatement':
      forEachVar(node.consequent, found);
      return forEachVar(node.alternate, found);
    case 'ForStatement':
      forEachVar(node.init, found);
      return forEachVar(node.body, found);
    case 'ForInStatement':
    case 'ForOfStatement':
      forEachVar(node.left, found);
      return forEachVar(node.body, found);
    case 'WhileStatement':
    case 'DoWhileStatement':
    case 'LabeledStatement':
    case 'WithStatement':
    case 'CatchClause':
      return forEachVar(node.body, found);
    case 'TryStatement':
      forEachVar(node.block, found);
      forEachVar(node.handler, found);
      return forEachVar(node.finalizer, found);
    case 'SwitchStatement':
      for (const c of node.cases as AnyNode[]) forEachVar(c.consequent, found);
      return;
    default:
      return;
  }
}

const isDeclarationType = typeNameCheck(n.VariableDeclaration, n.VariableDeclarator, n.FunctionDeclaration, n.ClassDeclaration);

function holdsDeclaration(value: unknown): boolean {
  return Boolean(value) && typeof value === 'object' && someNode(value, (node) => isDeclarationType((node as { type?: unknown }).type));
}

// Every NodePath edit goes through these (prune and the visitor's returned node through replace).
{
  const proto = (recast.types.NodePath as unknown as { prototype: Record<string, (...args: unknown[]) => unknown> }).prototype;
  for (const method of ['replace', 'insertAt', 'insertBefore', 'insertAfter', 'push', 'unshift', 'pop', 'shift']) {
    const original = proto[method];
    if (typeof original !== 'function' || (original as { declaredNamesHook?: true }).declaredNamesHook) continue;
    const hooked = function (this: { value: unknown }, ...args: unknown[]) {
      const removes = method === 'replace' || method === 'pop' || method === 'shift';
      if (args.some(holdsDeclaration) || (removes && holdsDeclaration(this.value))) forgetDeclaredNames();
      return original.apply(this, args);
    };
    (hooked as { declaredNamesHook?: true }).declaredNamesHook = true;
    proto[method] = hooked;
  }
}

function statementDeclares(statement: Node, name: string): boolean {
  if (is.VariableDeclaration(statement)) return declarationDeclares(statement, name);
  if (is.FunctionDeclaration(statement) || is.ClassDeclaration(statement)) return statement.id?.name === name;
  return false;
}

function declarationDeclares(declaration: K.VariableDeclaration, name: string): boolean {
  return declaration.declarations.some((d) => is.VariableDeclarator(d) && patternDeclares(d.id, name));
}

function patternDeclares(pattern: unknown, name: string): boolean {
  if (is.Identifier(pattern)) return pattern.name === name;
  if (is.ObjectPattern(pattern)) {
    return pattern.properties.some((p) => (is.RestElement(p) ? patternDeclares(p.argument, name) : patternDeclares((p as { value?: unknown }).value, name)));
  }
  if (is.ArrayPattern(pattern)) return pattern.elements.some((e) => patternDeclares(e, name));
  if (is.AssignmentPattern(pattern)) return patternDeclares(pattern.left, name);
  if (is.RestElement(pattern)) return patternDeclares(pattern.argument, name);
  if (is.TSParameterProperty(pattern)) return patternDeclares(pattern.parameter, name);
  return false;
}

/** True when a `var` anywhere in the function's body, nested functions excluded, declares `name`. */
function functionDeclaresVar(fn: Node, name: string): boolean {
  // Kept with the body itself, so a body replaced by another one is read again.
  return declaredNames(fn, (fn as { body: Node }).body, varNames).has(name);
}

/** The names one statement declares in the scope it sits in (`const { a, b } = require('x')` → a, b). */
export function statementDeclaredNames(statement: unknown): string[] {
  return [...statementNames([statement])];
}

/**
 * Every name declared anywhere under `root` (variables, functions, classes, parameters, catch
 * parameters), whatever their scope: for a fresh name that must clash with none of them.
 */
export function namesDeclaredIn(root: unknown): Set<string> {
  const names = new Set<string>();
  const add = (pattern: unknown) => {
    for (const id of patternIdentifiers(pattern)) names.add(id.name);
  };
  someNode(root, (node) => {
    if (is.VariableDeclarator(node)) add(node.id);
    else if (is.Function(node)) {
      add(node.id);
      node.params.forEach(add);
    } else if (is.ClassDeclaration(node)) add(node.id);
    else if (is.CatchClause(node)) add(node.param);
    return false;
  });
  return names;
}

export function declarationNames(declaration: K.VariableDeclaration): string[] {
  return declaration.declarations.flatMap((d) => (is.VariableDeclarator(d) ? patternNames(d.id) : []));
}

/** The names a binding pattern declares. */
export function patternNames(pattern: unknown): string[] {
  return patternIdentifiers(pattern).map((id) => id.name);
}

/** The identifiers a binding pattern declares. */
export function patternIdentifiers(pattern: unknown, out: K.Identifier[] = []): K.Identifier[] {
  if (is.Identifier(pattern)) out.push(pattern);
  else if (is.ObjectPattern(pattern)) {
    for (const p of pattern.properties) patternIdentifiers(is.RestElement(p) ? p.argument : (p as { value?: unknown }).value, out);
  } else if (is.ArrayPattern(pattern)) for (const e of pattern.elements) patternIdentifiers(e, out);
  else if (is.AssignmentPattern(pattern)) patternIdentifiers(pattern.left, out);
  else if (is.RestElement(pattern)) patternIdentifiers(pattern.argument, out);
  else if (is.TSParameterProperty(pattern)) patternIdentifiers(pattern.parameter, out);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Path queries

/**
 * True when `name` at `path` is bound by a declaration between the identifier and `root`
 * (`root` included): a parameter, a `var`, a block's `let`/`const`/function/class, a catch
 * parameter, a loop variable.
 */
export function isBoundWithin(path: NodePath, name: string, root: Node): boolean {
  return bindingOwner(path, name, root) !== null;
}

/** The nearest node up to `root` whose scope declares `name`, or null when it is not declared there. */
export function bindingOwner(path: NodePath, name: string, root: Node): Node | null {
  // Lists on the way declare nothing: see isRuleParameter.
  for (let current: NodePath | null = path.parentPath; current; current = current.parentPath) {
    if (declares(current.value, name)) return current.value;
    if (current.value === root) return null;
  }
  return null;
}

/** A free name of the rule: not declared anywhere in the rule function (a global of the Rules sandbox). */
export function isGlobalReference(path: NodePath, name: string, rule: RuleShape): boolean {
  return is.Identifier(path.node) && path.node.name === name && isReference(path) && !isBoundWithin(path, name, rule.fn);
}

/** The rule's own parameter `name` (by position), not a variable of the same name declared inside the rule. */
export function isRuleParameter(path: NodePath, name: string | undefined, rule: RuleShape): boolean {
  if (!name || !is.Identifier(path.node) || path.node.name !== name || !isReference(path)) return false;
  // Up through every ancestor value (lists included, which declare nothing): NodePath's `parent`
  // and `node` getters cost more than the check.
  for (let current: NodePath | null = path.parentPath; current; current = current.parentPath) {
    if (current.value === rule.fn) return true;
    if (declares(current.value, name)) return false;
  }
  // Visits that start at the rule body (or the onContinuePostLogin body cut from it) reach the root
  // without meeting a declaration: the name is the rule's own parameter.
  return true;
}

// ---------------------------------------------------------------------------------------------
// Analysis: one walk, every reference resolved

export type BindingKind = 'param' | 'var' | 'let' | 'const' | 'function' | 'class' | 'catch';

export interface Binding {
  name: string;
  kind: BindingKind;
  scope: Scope;
  /** The identifier that declares it. */
  id: K.Identifier;
  /** The declarator when a `var`/`let`/`const` declares it. */
  declarator: K.VariableDeclarator | null;
  /** The declarator's initialiser when the binding is the declarator's whole id (not destructured). */
  init: Expression | null;
  /** Assignments (`x = …`, `x += …`, `[x] = …`), updates (`x++`) and for-in/of heads that write it after its declaration. */
  writes: Node[];
  /** Every identifier that reads or writes it (declaration excluded), in source order. */
  references: K.Identifier[];
}

export interface Scope {
  kind: ScopeKind | 'root';
  node: Node;
  parent: Scope | null;
  bindings: Map<string, Binding>;
}

export interface ScopeAnalysis {
  root: Node;
  /** The scope `root` opens (or a root scope holding nothing when it opens none). */
  scope: Scope;
  /**
   * The binding an identifier refers to; `null` when it is free in `root` (a global, or declared
   * outside `root`); `undefined` when the identifier is not a reference known to this analysis
   * (a property key, a declaration, or a node added after the analysis).
   */
  resolve(id: unknown): Binding | null | undefined;
  /** The binding an identifier declares (a parameter, declarator id, function or class name…). */
  declared(id: unknown): Binding | undefined;
  /** Free references by name. */
  free: Map<string, K.Identifier[]>;
  /** Every binding, in declaration order. */
  bindings: Binding[];
  /** The innermost scope around `node` (a scope-opening node maps to the scope it opens). */
  scopeOf(node: unknown): Scope | undefined;
  /** The binding `name` resolves to from `scope`, or null when it is free there. */
  lookup(scope: Scope, name: string): Binding | null;
}

/** True when a binding holds the same value all along: no write after its declaration. */
export function isConstant(binding: Binding): boolean {
  return binding.writes.length === 0;
}

const isWriteParentType = typeNameCheck(n.AssignmentExpression);
const isUpdateType = typeNameCheck(n.UpdateExpression);
const isPatternType = typeNameCheck(n.ObjectPattern, n.ArrayPattern, n.AssignmentPattern, n.RestElement, n.ObjectProperty, n.Property);
const isForInType = typeNameCheck(n.ForInStatement, n.ForOfStatement);

/**
 * Builds the scopes of `root` and resolves every identifier in it. A list of statements is read as
 * the body of a block: what it declares is its root scope's.
 */
export function analyzeScopes(root: Node | readonly Node[]): ScopeAnalysis {
  const resolved = new Map<unknown, Binding | null>();
  const declaredBy = new Map<unknown, Binding>();
  const scopes = new Map<unknown, Scope>();
  const free = new Map<string, K.Identifier[]>();
  const all: Binding[] = [];
  let current: Scope = { kind: 'root', node: root as Node, parent: null, bindings: new Map() };
  const top = current;
  // Nodes that open a scope under `root` map to the scope they open; the root scope is replaced when root opens one.
  const stack: Scope[] = [];

  const declare = (scope: Scope, id: K.Identifier, kind: BindingKind, declarator: K.VariableDeclarator | null) => {
    const existing = scope.bindings.get(id.name);
    if (existing) {
      // `var x; var x = 1;` or a function redeclared: one binding; a later initialiser is a write.
      declaredBy.set(id, existing);
      if (declarator?.init && existing.declarator !== declarator) existing.writes.push(declarator);
      return;
    }
    const init = declarator && declarator.id === id ? ((declarator.init as Expression | null | undefined) ?? null) : null;
    const binding: Binding = { name: id.name, kind, scope, id, declarator, init, writes: [], references: [] };
    scope.bindings.set(id.name, binding);
    declaredBy.set(id, binding);
    all.push(binding);
  };
  const declareDeclaration = (scope: Scope, declaration: K.VariableDeclaration) => {
    const kind = declaration.kind === 'let' || declaration.kind === 'const' ? declaration.kind : 'var';
    for (const d of declaration.declarations) {
      if (!is.VariableDeclarator(d)) continue;
      for (const id of patternIdentifiers(d.id)) declare(scope, id, kind, d);
    }
  };
  const declareStatements = (scope: Scope, list: readonly unknown[]) => {
    for (const s of list) {
      if (is.VariableDeclaration(s) && s.kind !== 'var') declareDeclaration(scope, s);
      else if ((is.FunctionDeclaration(s) || is.ClassDeclaration(s)) && s.id) declare(scope, s.id as K.Identifier, is.FunctionDeclaration(s) ? 'function' : 'class', null);
    }
  };
  const hoistVars = (scope: Scope, body: unknown) => forEachVar(body, (declaration) => declareDeclaration(scope, declaration));

  const open = (node: AnyNode): Scope | null => {
    const kind = kindOf(scopeKinds, node);
    if (!kind) return null;
    const scope: Scope = { kind, node: node as unknown as Node, parent: current, bindings: new Map() };
    switch (kind) {
      case 'function': {
        const fn = node as unknown as K.Function;
        if (is.FunctionExpression(fn) && fn.id) declare(scope, fn.id as K.Identifier, 'function', null);
        for (const p of fn.params) for (const id of patternIdentifiers(p)) declare(scope, id, 'param', null);
        hoistVars(scope, fn.body);
        break;
      }
      case 'block': {
        const list = (node as unknown as K.BlockStatement).body;
        declareStatements(scope, list);
        // The program (or a root that is not inside a function) also holds the `var`s.
        if (node.type === 'Program' || (node as unknown) === root) hoistVars(scope, list);
        break;
      }
      case 'switch':
        for (const c of (node as unknown as K.SwitchStatement).cases) declareStatements(scope, c.consequent);
        break;
      case 'catch': {
        const { param } = node as unknown as K.CatchClause;
        for (const id of patternIdentifiers(param)) declare(scope, id, 'catch', null);
        break;
      }
      case 'for': {
        const { init } = node as unknown as K.ForStatement;
        if (is.VariableDeclaration(init) && init.kind !== 'var') declareDeclaration(scope, init);
        break;
      }
      case 'forIn': {
        const { left } = node as unknown as K.ForInStatement;
        if (is.VariableDeclaration(left) && left.kind !== 'var') declareDeclaration(scope, left);
        break;
      }
      case 'class': {
        const { id } = node as unknown as K.ClassExpression;
        if (id) declare(scope, id as K.Identifier, 'class', null);
        break;
      }
    }
    return scope;
  };

  const lookup = (scope: Scope, name: string): Binding | null => {
    for (let s: Scope | null = scope; s; s = s.parent) {
      const found = s.bindings.get(name);
      if (found) return found;
    }
    return null;
  };

  if (Array.isArray(root)) {
    declareStatements(top, root);
    hoistVars(top, root);
  }

  walk(
    root,
    (node, ancestors, keys) => {
      const scope = open(node);
      if (scope) {
        scopes.set(node, scope);
        stack.push(current);
        current = scope;
      }
      if (!is.Identifier(node) || declaredBy.has(node)) return;
      const parent = ancestors[ancestors.length - 1];
      const field = keys[keys.length - 1];
      if (!isReferenceIn(node, parent, field)) return;
      // A function or class expression's own name, a label: not a reference.
      if (field === 'id' && (is.Function(parent) || is.ClassExpression(parent) || is.ClassDeclaration(parent))) return;
      const binding = lookup(current, node.name);
      resolved.set(node, binding);
      if (binding) {
        binding.references.push(node);
        const write = writeOf(node, ancestors);
        if (write) binding.writes.push(write);
      } else {
        const list = free.get(node.name);
        if (list) list.push(node);
        else free.set(node.name, [node]);
      }
    },
    (node) => {
      if (scopes.get(node) === current && current !== top) current = stack.pop()!;
    },
  );

  const rootScope = scopes.get(root) ?? top;
  return {
    root: root as Node,
    scope: rootScope,
    resolve: (id) => resolved.get(id),
    declared: (id) => declaredBy.get(id),
    free,
    bindings: all,
    scopeOf: (node) => scopes.get(node),
    lookup,
  };
}

/** The assignment, update or for-in/of head that writes the identifier, or null when it only reads it. */
function writeOf(id: unknown, ancestors: readonly AnyNode[]): Node | null {
  let child: unknown = id;
  for (let i = ancestors.length - 1; i >= 0; i--) {
    const parent = ancestors[i];
    const type = parent.type;
    if (isWriteParentType(type)) return parent.left === child ? (parent as unknown as Node) : null;
    if (isUpdateType(type)) return parent as unknown as Node;
    if (isForInType(type)) return parent.left === child ? (parent as unknown as Node) : null;
    // Up through destructuring patterns only (`[a, b] = …`, `({a} = …)`); an object property's value
    // is a pattern only inside one of those.
    if (!isPatternType(type)) return null;
    if ((is.ObjectProperty(parent) || is.Property(parent)) && parent.value !== child) return null;
    if (is.AssignmentPattern(parent) && parent.left !== child) return null;
    child = parent;
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// The rule: its parameters and their aliases

export type RuleRole = 'user' | 'context' | 'callback';

export interface RuleScopes extends ScopeAnalysis {
  /** The binding of each rule parameter (undefined when the rule declares fewer or destructures it). */
  params: Partial<Record<RuleRole, Binding>>;
  /** Each parameter's binding and every alias of it (`var ctx = context`, never reassigned), transitively. */
  aliases: Record<RuleRole, Set<Binding>>;
  /** The rule parameter an identifier stands for (directly or through an alias), or null. */
  roleOf(id: unknown): RuleRole | null;
}

/**
 * Scopes of the rule function, with its parameters' aliases. With `body`, a handler body cut from the
 * rule (redirect's onContinuePostLogin copy) is read as the rule function's body: its names resolve as
 * they did in the rule.
 */
export function ruleScopes(rule: Pick<RuleShape, 'fn'>, body?: Node): RuleScopes {
  const fn = body && body !== rule.fn.body ? ({ ...rule.fn, body } as unknown as Node) : (rule.fn as Node);
  const analysis = analyzeScopes(fn);
  const fnScope = analysis.scopeOf(fn)!;
  const roles: RuleRole[] = ['user', 'context', 'callback'];
  const params: Partial<Record<RuleRole, Binding>> = {};
  const aliases = { user: new Set<Binding>(), context: new Set<Binding>(), callback: new Set<Binding>() };
  const roleByBinding = new Map<Binding, RuleRole>();
  (rule.fn.params as unknown[]).forEach((param, index) => {
    const role = roles[index];
    if (!role || !is.Identifier(param)) return;
    const binding = fnScope.bindings.get(param.name);
    if (!binding || binding.id !== param) return;
    params[role] = binding;
    aliases[role].add(binding);
    roleByBinding.set(binding, role);
  });
  // An alias is a binding initialised with a parameter (or another alias) and never written again;
  // declarations come in source order, so one pass in order plus a pass for out-of-order ones.
  for (let changed = true; changed; ) {
    changed = false;
    for (const binding of analysis.bindings) {
      if (roleByBinding.has(binding) || binding.writes.length > 0 || binding.kind === 'param' || !is.Identifier(binding.init)) continue;
      const target = analysis.resolve(binding.init);
      const role = target ? roleByBinding.get(target) : undefined;
      if (!role) continue;
      aliases[role].add(binding);
      roleByBinding.set(binding, role);
      changed = true;
    }
  }
  return {
    ...analysis,
    params,
    aliases,
    roleOf(id) {
      const binding = analysis.resolve(id) ?? analysis.declared(id);
      return binding ? (roleByBinding.get(binding) ?? null) : null;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Conveniences over the analysis

/** Identifier references to a free `name` (or to the binding `name` has in `root`'s own scope) under `root`. */
export function referencesTo(analysis: ScopeAnalysis, name: string): K.Identifier[] {
  const own = analysis.scope.bindings.get(name);
  return own ? own.references : (analysis.free.get(name) ?? []);
}

/**
 * Reference counts by name under `root` (only `name`'s when given): free names and variables,
 * functions and classes declared anywhere under it, by name. A parameter or catch parameter of a
 * function under `root` is another variable that happens to share the name: its uses are not counted.
 * (Callers ask "is this declaration still used?" of names they declared once.)
 */
export function referenceCounts(root: Node | readonly Node[], name?: string): Map<string, number> {
  const counts = new Map<string, number>();
  const analysis = analyzeScopes(root);
  const add = (found: string, count: number) => {
    if (count > 0 && (name === undefined || found === name)) counts.set(found, (counts.get(found) ?? 0) + count);
  };
  for (const [found, list] of analysis.free) add(found, list.length);
  for (const binding of analysis.bindings) if (binding.kind !== 'param' && binding.kind !== 'catch') add(binding.name, binding.references.length);
  return counts;
}

/**
 * `referenceCounts(root)`, kept up to date while declarators or statements are taken out of `root`:
 * `remove(subtree)` before taking it out subtracts the references it holds, as analysed in the whole
 * of `root` (taking code out changes what no other name refers to). One analysis instead of one per removal.
 */
export function liveReferenceCounts(root: Node | readonly Node[]): { counts: Map<string, number>; remove(subtree: unknown): void } {
  const analysis = analyzeScopes(root);
  const counts = new Map<string, number>();
  const add = (found: string, count: number) => {
    if (count > 0) counts.set(found, (counts.get(found) ?? 0) + count);
  };
  for (const [found, list] of analysis.free) add(found, list.length);
  for (const binding of analysis.bindings) if (binding.kind !== 'param' && binding.kind !== 'catch') add(binding.name, binding.references.length);
  const remove = (subtree: unknown) =>
    walk(subtree, (node) => {
      if (!is.Identifier(node)) return;
      const binding = analysis.resolve(node);
      if (binding === undefined || (binding !== null && (binding.kind === 'param' || binding.kind === 'catch'))) return;
      const left = (counts.get(node.name) ?? 0) - 1;
      if (left > 0) counts.set(node.name, left);
      else counts.delete(node.name);
    });
  return { counts, remove };
}

export function countReferences(root: Node | readonly Node[], name: string): number {
  // Most questions are about a name that is not there at all: a plain scan answers them without the analysis.
  if (!containsIdentifier(root, [name])) return 0;
  return referenceCounts(root, name).get(name) ?? 0;
}

/** Renames the references to `from` that mean what `from` means at `root` (not those shadowed inside). */
export function renameReferences(root: Node | Node[], from: string, to: string): void {
  {
    const analysis = analyzeScopes(root);
    const own = analysis.scope.bindings.get(from);
    const targets = own ? [own.id, ...own.references] : (analysis.free.get(from) ?? []);
    const shorthand = new Set<unknown>(targets);
    walk(root, (child) => {
      // `{ from }` keeps its key when the value is renamed.
      if ((is.ObjectProperty(child) || is.Property(child)) && child.shorthand && shorthand.has(child.value)) child.shorthand = false;
    });
    for (const id of targets) id.name = to;
    if (targets.length) forgetDeclaredNames();
  }
}
