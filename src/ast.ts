// Small AST helpers shared by the transforms. They return data (or null) and never report.
import * as recast from 'recast';
import type { namedTypes as K } from 'ast-types';
import type { Expression, Statement } from './types.js';
import { isRuleParameter } from './ast/scope.js';
import { parse } from './parse.js';
import type { RuleShape } from './types.js';
import { visit } from './visit.js';
import { namedTypes } from './walk.js';

export const b = uncheckedBuilders(recast.types.builders);

/**
 * ast-types' builders without their field checks: the same node (same prototype, fields in the same
 * order, defaults from the same functions), as each builder's first call makes and checks it. The
 * checks were a few percent of a migration (a builder checks every field of the node, defaults too),
 * and a node that would fail one still fails the output's syntax check (src/migrate.ts).
 */
function uncheckedBuilders(builders: typeof recast.types.builders): typeof recast.types.builders {
  type Field = { defaultFn?: (this: object) => unknown };
  type Def = { buildParams: string[]; allFields: Record<string, Field> };
  const fast: Record<string, (...args: unknown[]) => unknown> = {};
  for (const [name, checked] of Object.entries(builders as unknown as Record<string, (...args: unknown[]) => { type: string }>)) {
    let build: ((args: unknown[]) => object) | undefined;
    fast[name] = (...args) => {
      if (build) return build(args);
      const node = checked(...args);
      const prototype = Object.getPrototypeOf(node) as object;
      const def = recast.types.Type.def(node.type) as unknown as Def;
      const params = def.buildParams;
      const fields = Object.keys(def.allFields).map((field) => [field, def.allFields[field]] as const);
      build = (values) => {
        const built: Record<string, unknown> = Object.create(prototype);
        for (let i = 0; i < params.length; i++) {
          const param = params[i];
          if (!Object.hasOwn(built, param)) built[param] = i < values.length ? values[i] : def.allFields[param].defaultFn!.call(built);
        }
        for (const [field, { defaultFn }] of fields) if (!Object.hasOwn(built, field)) built[field] = defaultFn!.call(built);
        return built;
      };
      return node;
    };
  }
  return fast as unknown as typeof recast.types.builders;
}
// Shallow checks by type name (ast-types' own check was a few percent of a migration, spread over every helper).
export const n = namedTypes;
export type NodePath = recast.types.NodePath;

/** True when the identifier at `path` refers to the rule's own parameter `name` (not a shadowing one). */
export function isRuleParam(path: NodePath, rule: RuleShape, name: string | undefined): boolean {
  return isRuleParameter(path, name, rule);
}

/**
 * The static property names of a member chain: `context.request.geoip['city_name']` →
 * ['context', 'request', 'geoip', 'city_name']. Null for computed keys that are not literals.
 */
export function memberChain(node: unknown): string[] | null {
  if (n.Identifier.check(node)) return [node.name];
  if (n.ThisExpression.check(node)) return ['this'];
  if (!n.MemberExpression.check(node) && !n.OptionalMemberExpression.check(node)) return null;
  const head = memberChain(node.object);
  const key = propertyName(node);
  return head && key !== null ? [...head, key] : null;
}

export function propertyName(node: K.MemberExpression | K.OptionalMemberExpression): string | null {
  const { property, computed } = node;
  if (!computed && n.Identifier.check(property)) return property.name;
  if (n.StringLiteral.check(property) || (n.Literal.check(property) && typeof property.value === 'string')) {
    return String((property as K.StringLiteral).value);
  }
  return null;
}

/** `a.b.c` → nested MemberExpressions; a segment that is not an identifier is emitted as `['x-y']`. */
export function memberExpression(path: string | string[], optionalAfter: string[] = []): Expression {
  const parts = typeof path === 'string' ? path.split('.') : path;
  let expr: Expression = b.identifier(parts[0]);
  for (const part of parts.slice(1)) {
    const valid = /^[A-Za-z_$][\w$]*$/.test(part);
    const property = valid ? b.identifier(part) : b.stringLiteral(part);
    const optional: boolean = optionalAfter.length > 0 && optionalAfter.includes(memberChain(expr)?.join('.') ?? '');
    expr = optional
      ? b.optionalMemberExpression(expr, property, !valid, true)
      : b.memberExpression(expr, property, !valid);
  }
  return expr;
}

/** Parses a code template into statements (for generated helpers). */
export function statements(code: string): Statement[] {
  return parse(code).program.body;
}

export function expression(code: string): Expression {
  const [statement] = statements(`(${code});`);
  return (statement as K.ExpressionStatement).expression;
}

/** Visits every node of the rule body. */
export function visitRule(rule: RuleShape, methods: recast.types.Visitor): void {
  visit(rule.body, methods);
}

/**
 * The statement in a statement list (block or program) that contains `path`: the place where a
 * comment or a replacement statement can go. `if (x) stmt;` yields the `if`.
 */
export function enclosingStatement(path: NodePath): NodePath | null {
  let current: NodePath | null = path;
  while (current && !(n.Statement.check(current.node) && Array.isArray(current.parentPath?.value))) {
    current = current.parent;
  }
  return current;
}

/** True when `path` sits inside a function nested in the rule (not directly in the rule body). */
export function insideNestedFunction(path: NodePath, rule: RuleShape): boolean {
  for (let current = path.parent; current; current = current.parent) {
    if (current.node === rule.fn) return false;
    if (n.Function.check(current.node)) return true;
  }
  return false;
}

export function isCallTo(node: unknown, name: string | undefined): node is K.CallExpression {
  return Boolean(name) && n.CallExpression.check(node) && n.Identifier.check(node.callee) && node.callee.name === name;
}

/** A single-quoted JavaScript string literal, for code templates. */
export function quote(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n').replace(/\r/g, '\\r')}'`;
}

/** Removes a declarator, and its declaration when it was the only one. */
export function removeDeclarator(path: NodePath): void {
  const declaration = path.parent;
  if (declaration.node.declarations.length > 1) path.prune();
  else declaration.prune();
}
