// Name resolution with block scopes. ast-types' Scope hoists `let`/`const` to the enclosing
// function, so `{ const configuration = 1; }` would hide the global everywhere in the rule; these
// helpers walk the ancestors instead and look at each block's own declarations.
import * as recast from 'recast';
import type { NodePath } from './ast.js';
import type { Node, RuleShape } from './types.js';
import { fastCheck, someNode } from './walk.js';

const n = recast.types.namedTypes;

const is = {
  Function: fastCheck(n.Function),
  FunctionExpression: fastCheck(n.FunctionExpression),
  ClassDeclaration: fastCheck(n.ClassDeclaration),
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

/**
 * Node type → kind, from ast-types types (subtypes included); the first listed kind of a type wins.
 * One property read and one lookup, where a chain of `check` calls reads `type` once per check.
 */
function typeKinds<K extends string>(entries: ReadonlyArray<readonly [K, ReadonlyArray<recast.types.Type<unknown>>]>): Map<unknown, K> {
  const kinds = new Map<unknown, K>();
  for (const [kind, types] of entries) {
    for (const name of Object.keys(n)) if (!kinds.has(name) && types.some((type) => type.check({ type: name }))) kinds.set(name, kind);
  }
  return kinds;
}

function kindOf<K>(kinds: Map<unknown, K>, node: unknown): K | undefined {
  return node && typeof node === 'object' ? kinds.get((node as { type?: unknown }).type) : undefined;
}

const referenceKinds = typeKinds([
  ['member', [n.MemberExpression, n.OptionalMemberExpression]],
  ['keyed', [n.ObjectProperty, n.Property, n.ObjectMethod, n.ClassMethod, n.ClassProperty]],
  ['label', [n.LabeledStatement, n.BreakStatement, n.ContinueStatement]],
]);

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

const scopeKinds = typeKinds([
  ['function', [n.Function]],
  ['block', [n.BlockStatement, n.Program]],
  ['switch', [n.SwitchStatement]],
  ['catch', [n.CatchClause]],
  ['for', [n.ForStatement]],
  ['forIn', [n.ForInStatement, n.ForOfStatement]],
  ['class', [n.ClassExpression]],
]);

/** True when the scope that `node` opens (function, block, catch, loop) declares `name` itself. */
export function declares(node: Node, name: string): boolean {
  // This runs for every ancestor of every candidate identifier, and most open no scope.
  switch (kindOf(scopeKinds, node)) {
    case 'function': {
      const fn = node as recast.types.namedTypes.Function;
      if (fn.params.some((p) => patternDeclares(p, name))) return true;
      if (is.FunctionExpression(fn) && fn.id?.name === name) return true;
      return functionDeclaresVar(fn as Node, name);
    }
    case 'block':
      return (node as recast.types.namedTypes.BlockStatement).body.some((s) => statementDeclares(s, name));
    case 'switch':
      return (node as recast.types.namedTypes.SwitchStatement).cases.some((c) => c.consequent.some((s) => statementDeclares(s, name)));
    case 'catch': {
      const { param } = node as recast.types.namedTypes.CatchClause;
      return Boolean(param) && patternDeclares(param, name);
    }
    case 'for': {
      const { init } = node as recast.types.namedTypes.ForStatement;
      return is.VariableDeclaration(init) && declarationDeclares(init, name);
    }
    case 'forIn': {
      const { left } = node as recast.types.namedTypes.ForInStatement;
      return is.VariableDeclaration(left) && declarationDeclares(left, name);
    }
    case 'class':
      return (node as recast.types.namedTypes.ClassExpression).id?.name === name;
    default:
      return false;
  }
}

function statementDeclares(statement: Node, name: string): boolean {
  if (is.VariableDeclaration(statement)) return declarationDeclares(statement, name);
  if (is.FunctionDeclaration(statement) || is.ClassDeclaration(statement)) return statement.id?.name === name;
  return false;
}

// declarationNames(…).includes(name) and patternNames(…).includes(name) without building the lists.
function declarationDeclares(declaration: recast.types.namedTypes.VariableDeclaration, name: string): boolean {
  return declaration.declarations.some((d) => is.VariableDeclarator(d) && patternDeclares(d.id, name));
}

function patternDeclares(pattern: unknown, name: string): boolean {
  if (is.Identifier(pattern)) return pattern.name === name;
  if (is.ObjectPattern(pattern)) {
    return pattern.properties.some((p) =>
      is.RestElement(p) ? patternDeclares(p.argument, name) : patternDeclares((p as { value?: unknown }).value, name),
    );
  }
  if (is.ArrayPattern(pattern)) return pattern.elements.some((e) => patternDeclares(e, name));
  if (is.AssignmentPattern(pattern)) return patternDeclares(pattern.left, name);
  if (is.RestElement(pattern)) return patternDeclares(pattern.argument, name);
  if (is.TSParameterProperty(pattern)) return patternDeclares(pattern.parameter, name);
  return false;
}

/**
 * True when a `var` anywhere in the function's body, nested functions excluded, declares `name`.
 * A plain walk over the fields recast visits: this runs for each function around each candidate
 * identifier, where a visit() pass (frames, method dispatch) cost several times more.
 */
function functionDeclaresVar(fn: Node, name: string): boolean {
  return someNode((fn as { body: Node }).body, (node) => is.VariableDeclaration(node) && node.kind === 'var' && declarationDeclares(node, name), is.Function);
}

export function declarationNames(declaration: recast.types.namedTypes.VariableDeclaration): string[] {
  return declaration.declarations.flatMap((d) => (is.VariableDeclarator(d) ? patternNames(d.id) : []));
}

/** The names a binding pattern declares. */
export function patternNames(pattern: unknown): string[] {
  if (is.Identifier(pattern)) return [pattern.name];
  if (is.ObjectPattern(pattern)) {
    return pattern.properties.flatMap((p) =>
      is.RestElement(p) ? patternNames(p.argument) : patternNames((p as { value?: unknown }).value),
    );
  }
  if (is.ArrayPattern(pattern)) return pattern.elements.flatMap((e) => patternNames(e));
  if (is.AssignmentPattern(pattern)) return patternNames(pattern.left);
  if (is.RestElement(pattern)) return patternNames(pattern.argument);
  if (is.TSParameterProperty(pattern)) return patternNames(pattern.parameter);
  return [];
}
