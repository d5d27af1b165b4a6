// Shared matching for the transforms that turn writes to `context.*` into `api.*` calls
// (token-claims, multifactor, saml-configuration). Pure helpers: they return data and never report.
import * as recast from 'recast';
import { b, n, statements, type NodePath } from './ast.js';
import { isRuleParameter, ruleScopes, type RuleScopes } from './ast/scope.js';
import type { Expression, Node, RuleShape, Statement } from './types.js';
import { visit } from './visit.js';
import { fastCheck, someNode } from './walk.js';

const isDeclarator = fastCheck(n.VariableDeclarator);
const isIdentifier = fastCheck(n.Identifier);

/**
 * Tells whether an identifier stands for the rule's `context`: the parameter or an alias of it
 * (`var ctx = context`, src/ast/scope.ts). Aliases are resolved on the tree as it is now; a caller
 * that may need the rule's scopes too passes how to get them, so they are computed once.
 */
export function contextMatcher(
  rule: RuleShape,
  scopes: () => RuleScopes = () => ruleScopes(rule),
): ((path: NodePath) => boolean) & { mayMatch(node: { name?: unknown }): boolean } {
  // Without a declarator initialised with the name there is no alias: the analysis is spared.
  const aliases = someNode(rule.fn, (node) => isDeclarator(node) && isIdentifier(node.init) && node.init.name === rule.context) ? scopes() : null;
  const matches = (path: NodePath) => {
    if (isRuleParameter(path, rule.context, rule)) return true;
    return Boolean(aliases) && aliases!.roleOf(path.node) === 'context' && !isDeclaratorId(path);
  };
  // The same test without a path, true for every node it may hold for: visit()'s `only`.
  const mayMatch = (node: { name?: unknown }) => node.name === rule.context || (aliases !== null && aliases.roleOf(node) === 'context');
  return Object.assign(matches, { mayMatch });
}

export function isDeclaratorId(path: NodePath): boolean {
  return n.VariableDeclarator.check(path.parent?.node) && path.name === 'id';
}

export interface MemberChain {
  /** Property names above the base; null for a computed key that is not a literal. */
  keys: Array<string | null>;
  /** levels[0] is the base; levels[i] is the member expression that reads keys[i - 1]. */
  levels: NodePath[];
}

/**
 * Calls `onChain` with the member chain above each use of the rule's `context` (or an alias), in
 * visit order; the chain's parts are not visited on their own.
 */
export function visitContextChains(rule: RuleShape, onChain: (chain: MemberChain) => void): void {
  const isContext = contextMatcher(rule);
  visit(rule.fn, {
    visitIdentifier(path) {
      if (!isContext(path)) return this.traverse(path);
      onChain(chainAbove(path));
      return false;
    },
  }, isContext.mayMatch);
}

/** The member expressions built on top of `path`: `context.idToken[k]` from `context` → keys ['idToken', null]. */
export function chainAbove(path: NodePath): MemberChain {
  const keys: Array<string | null> = [];
  const levels: NodePath[] = [path];
  let current = path;
  // An `object` is a field of its member expression, whose path is the parentPath (the same NodePath#parent
  // gives, without its ast-types check of the ancestors).
  while (current.name === 'object' && n.MemberExpression.check(current.parentPath?.value)) {
    current = current.parentPath;
    keys.push(staticKey(current.value as recast.types.namedTypes.MemberExpression));
    levels.push(current);
  }
  return { keys, levels };
}

export function staticKey(member: recast.types.namedTypes.MemberExpression): string | null {
  const { property } = member;
  if (!member.computed) return n.Identifier.check(property) ? property.name : null;
  if (n.StringLiteral.check(property) || n.NumericLiteral.check(property)) return String(property.value);
  if (n.Literal.check(property) && (typeof property.value === 'string' || typeof property.value === 'number')) {
    return String(property.value);
  }
  return null;
}

/** The key of a member expression as an expression: `a.b` → 'b', `a[k]` → k. */
export function keyExpression(member: recast.types.namedTypes.MemberExpression) {
  if (!member.computed && n.Identifier.check(member.property)) return b.stringLiteral(member.property.name);
  return member.property;
}

/** How an assignment `left = right` at `path` (the assignment) is used. */
export function assignmentAt(path: NodePath): recast.types.namedTypes.AssignmentExpression | null {
  // A `left` is a field of its node: parentPath holds it (NodePath#parent tests each ancestor with ast-types' own check).
  const parent = path.parentPath?.value;
  return n.AssignmentExpression.check(parent) && path.name === 'left' ? parent : null;
}

/**
 * True when the value of the expression at `path` is thrown away: an expression statement, a
 * non-final member of a sequence used as a statement, or an arrow body (`forEach(x => …)`).
 */
export function valueUnused(path: NodePath): boolean {
  const parent = path.parent?.node;
  if (n.ExpressionStatement.check(parent)) return true;
  if (n.ArrowFunctionExpression.check(parent) && path.name === 'body') return true;
  if (n.SequenceExpression.check(parent)) {
    const last = parent.expressions[parent.expressions.length - 1] === path.node;
    return !last || valueUnused(path.parent);
  }
  return false;
}

/** The expression statement whose expression is the node at `path`, or null. */
export function expressionStatementOf(path: NodePath): NodePath | null {
  return n.ExpressionStatement.check(path.parent?.node) ? path.parent : null;
}

/** Replaces one statement with several; `if (x) stmt;` gets a block to hold them. Comments stay on top. */
export function replaceStatement(statement: NodePath, replacement: Statement[]): void {
  const original = statement.node as Node & { comments?: unknown[] };
  const first = replacement[0] as (Statement & { comments?: unknown[] }) | undefined;
  if (first && original.comments?.length) first.comments = [...(original.comments ?? []), ...(first.comments ?? [])];
  const inList = Array.isArray(statement.parentPath?.value);
  if (inList || replacement.length === 1) statement.replace(...replacement);
  else statement.replace(b.blockStatement(replacement));
}

/**
 * Statements from a code template, without source positions: recast would otherwise try to reuse
 * the template's own whitespace and glue the statements onto one line.
 */
export function freshStatements(code: string): Statement[] {
  return statements(code).map((statement) => stripPositions(statement));
}

function stripPositions<T>(node: T): T {
  if (Array.isArray(node)) return node.map((item) => stripPositions(item)) as T;
  if (!node || typeof node !== 'object') return node;
  const copy: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === 'loc' || key === 'start' || key === 'end' || key === 'original' || key === 'tokens' || key === 'extra') continue;
    copy[key] = stripPositions(value);
  }
  return copy as T;
}

/**
 * An expression from a code template, positions kept: recast reprints it with the template's own
 * line breaks, re-indented to where it lands.
 */
export function templateExpression(code: string): Expression {
  const [statement] = statements(`${code};`);
  return (statement as recast.types.namedTypes.ExpressionStatement).expression as Expression;
}

/** Source text of an object literal: one line when it fits in `width`, else one property per line. */
export function objectCode(properties: string[], width = 80): string {
  if (properties.length === 0) return '{}';
  const oneLine = `{ ${properties.join(', ')} }`;
  if (!properties.some((p) => p.includes('\n')) && oneLine.length <= width) return oneLine;
  return `{\n${properties.map((p) => indentText(p, '  ')).join(',\n')}\n}`;
}

function indentText(text: string, pad: string): string {
  return text
    .split('\n')
    .map((line) => pad + line)
    .join('\n');
}

const MUTATORS = new Set(['push', 'pop', 'shift', 'unshift', 'splice', 'sort', 'reverse', 'fill', 'copyWithin']);

export function isDeleteOrUpdate(path: NodePath): boolean {
  // An operand is its node's `argument` field: parentPath holds the node (a list there is no operator).
  const parent = path.parentPath?.value;
  return n.UpdateExpression.check(parent) || (n.UnaryExpression.check(parent) && parent.operator === 'delete');
}

/** The value at `path` is changed in place: assigned, deleted, incremented, or a mutating array method is called on it. */
export function isMutated(path: NodePath): boolean {
  if (assignmentAt(path) || isDeleteOrUpdate(path)) return true;
  const member = path.parent?.node;
  return (
    n.MemberExpression.check(member) &&
    path.name === 'object' &&
    MUTATORS.has(staticKey(member) ?? '') &&
    n.CallExpression.check(path.parent.parent?.node) &&
    path.parent.name === 'callee'
  );
}

interface Commented {
  comments?: Array<{ leading?: boolean; trailing?: boolean }> | null;
}

/**
 * Moves the comments of nodes a conversion drops (an object property whose value became an
 * argument) above `target`, so none is lost.
 */
export function carryComments(sources: unknown[], target: unknown): void {
  const moved = sources.flatMap((source) => {
    const node = source as Commented & { key?: Commented };
    return [...(node?.comments ?? []), ...(node?.key?.comments ?? [])];
  });
  if (moved.length === 0) return;
  const holder = target as Commented;
  holder.comments = [...(holder.comments ?? []), ...moved.map((comment) => ({ ...comment, leading: true, trailing: false }))];
}
