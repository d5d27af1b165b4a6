// Name resolution with block scopes. ast-types' Scope hoists `let`/`const` to the enclosing
// function, so `{ const configuration = 1; }` would hide the global everywhere in the rule; these
// helpers walk the ancestors instead and look at each block's own declarations.
import * as recast from 'recast';
import type { NodePath } from './ast.js';

const n = recast.types.namedTypes;
import type { Node, RuleShape } from './types.js';
import { visit } from './visit.js';

/** True when the identifier at `path` is a read or write of a variable (not a key, label or member name). */
export function isReference(path: NodePath): boolean {
  const parent = path.parent?.node;
  const field = path.name;
  if (!parent) return true;
  if ((n.MemberExpression.check(parent) || n.OptionalMemberExpression.check(parent)) && field === 'property') {
    return Boolean(parent.computed);
  }
  if ((n.ObjectProperty.check(parent) || n.Property.check(parent)) && field === 'key') return Boolean(parent.computed);
  if ((n.ObjectMethod.check(parent) || n.ClassMethod.check(parent) || n.ClassProperty.check(parent)) && field === 'key') {
    return Boolean(parent.computed);
  }
  if (n.LabeledStatement.check(parent) || n.BreakStatement.check(parent) || n.ContinueStatement.check(parent)) return false;
  return true;
}

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
  for (let current: NodePath | null = path.parent; current; current = current.parent) {
    if (declares(current.node, name)) return current.node;
    if (current.node === root) return null;
  }
  return null;
}

/** A free name of the rule: not declared anywhere in the rule function (a global of the Rules sandbox). */
export function isGlobalReference(path: NodePath, name: string, rule: RuleShape): boolean {
  return n.Identifier.check(path.node) && path.node.name === name && isReference(path) && !isBoundWithin(path, name, rule.fn);
}

/** The rule's own parameter `name` (by position), not a variable of the same name declared inside the rule. */
export function isRuleParameter(path: NodePath, name: string | undefined, rule: RuleShape): boolean {
  if (!name || !n.Identifier.check(path.node) || path.node.name !== name || !isReference(path)) return false;
  for (let current: NodePath | null = path.parent; current; current = current.parent) {
    if (current.node === rule.fn) return true;
    if (declares(current.node, name)) return false;
  }
  // Visits that start at the rule body (or the onContinuePostLogin body cut from it) reach the root
  // without meeting a declaration: the name is the rule's own parameter.
  return true;
}

/** True when the scope that `node` opens (function, block, catch, loop) declares `name` itself. */
export function declares(node: Node, name: string): boolean {
  if (n.Function.check(node)) {
    if (node.params.some((p) => patternNames(p).includes(name))) return true;
    if (n.FunctionExpression.check(node) && node.id?.name === name) return true;
    return functionVars(node).includes(name);
  }
  if (n.BlockStatement.check(node) || n.Program.check(node)) return node.body.some((s) => statementDeclares(s, name));
  if (n.SwitchStatement.check(node)) return node.cases.some((c) => c.consequent.some((s) => statementDeclares(s, name)));
  if (n.CatchClause.check(node)) return Boolean(node.param) && patternNames(node.param).includes(name);
  if (n.ForStatement.check(node)) return n.VariableDeclaration.check(node.init) && declarationNames(node.init).includes(name);
  if (n.ForInStatement.check(node) || n.ForOfStatement.check(node)) {
    return n.VariableDeclaration.check(node.left) && declarationNames(node.left).includes(name);
  }
  if (n.ClassExpression.check(node)) return node.id?.name === name;
  return false;
}

function statementDeclares(statement: Node, name: string): boolean {
  if (n.VariableDeclaration.check(statement)) return declarationNames(statement).includes(name);
  if (n.FunctionDeclaration.check(statement) || n.ClassDeclaration.check(statement)) return statement.id?.name === name;
  return false;
}

/** `var` names anywhere in a function body, nested functions excluded. */
function functionVars(fn: Node): string[] {
  const names: string[] = [];
  visit((fn as { body: Node }).body, {
    visitFunction() {
      return false;
    },
    visitVariableDeclaration(path) {
      if (path.node.kind === 'var') names.push(...declarationNames(path.node));
      this.traverse(path);
    },
  });
  return names;
}

export function declarationNames(declaration: recast.types.namedTypes.VariableDeclaration): string[] {
  return declaration.declarations.flatMap((d) => (n.VariableDeclarator.check(d) ? patternNames(d.id) : []));
}

/** The names a binding pattern declares. */
export function patternNames(pattern: unknown): string[] {
  if (n.Identifier.check(pattern)) return [pattern.name];
  if (n.ObjectPattern.check(pattern)) {
    return pattern.properties.flatMap((p) =>
      n.RestElement.check(p) ? patternNames(p.argument) : patternNames((p as { value?: unknown }).value),
    );
  }
  if (n.ArrayPattern.check(pattern)) return pattern.elements.flatMap((e) => patternNames(e));
  if (n.AssignmentPattern.check(pattern)) return patternNames(pattern.left);
  if (n.RestElement.check(pattern)) return patternNames(pattern.argument);
  if (n.TSParameterProperty?.check(pattern)) return patternNames(pattern.parameter);
  return [];
}
