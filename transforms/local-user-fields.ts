import { b, n, type NodePath } from '../src/ast.js';
import { freshStatements } from '../src/context-writes.js';
import { ruleScopes } from '../src/ast/scope.js';
import { startOf } from '../src/nodes.js';
import type { Node, Transform, TransformContext } from '../src/types.js';
import { visit } from '../src/visit.js';
import { someNode } from '../src/walk.js';

/** Fields other transforms own: metadata (user-metadata), the subject (primary-user). */
const OWNED_ELSEWHERE = new Set(['app_metadata', 'user_metadata', 'user_id']);
/** Standard profile claims: in Rules a change to these reached the issued ID token too. */
const PROFILE_CLAIMS = new Set([
  'name', 'nickname', 'picture', 'given_name', 'family_name', 'middle_name', 'email', 'email_verified', 'phone_number',
  'phone_verified', 'preferred_username', 'profile', 'website', 'gender', 'birthdate', 'zoneinfo', 'locale', 'address', 'updated_at',
]);

interface FieldUse {
  /** The `user.X` member expression. */
  path: NodePath;
  write: boolean;
}

/**
 * A rule that changes a `user.X` field and reads it back (`user.groups = [user.groups]; user.groups.some(…)`)
 * relied on the change; `event.user` cannot be changed in an Action, so a local variable carries the
 * rule's value: `let userGroups = user.groups;`, and the change and the reads after it use it
 * (issue 17, item 1). A field changed and never read back is left to context-to-event
 * (`write-has-no-effect`).
 */
export const localUserFields: Transform = {
  id: 'local-user-fields',
  description: 'user.X changed and read back in the rule → a local variable that carries the rule\'s value',
  safety: 'safe',
  relevant: /=/,
  messages: {
    'local-variable': {
      severity: 'info',
      text: '{{from}} is changed and read back in this rule: `{{name}}` carries the rule\'s value (event.user cannot be changed in an Action). Later Actions do not see the change; pass it with api.transaction.setMetadata if one needs it.',
    },
    'local-variable-claim': {
      severity: 'warning',
      text: '{{from}} is changed and read back in this rule: `{{name}}` carries the rule\'s value for this rule. In Rules the change also reached the ID token\'s `{{field}}` claim, which an Action cannot change: check whether the application relies on it.',
    },
  },
  apply(ctx) {
    const fields = userFieldUses(ctx);
    if (fields.size === 0) return;
    // Taken names are gathered (a walk of the whole module) only for a field that needs a variable, before any change.
    let taken: Set<string> | undefined;
    const declarations = [];
    for (const [field, uses] of fields) {
      const writes = uses.filter((use) => use.write);
      if (writes.length === 0) continue;
      const first = Math.min(...writes.map((use) => startOf(use.path.node)));
      // Read back: a read after the first change (the change's own right-hand side included).
      if (!uses.some((use) => !use.write && startOf(use.path.node) > first)) continue;
      const name = freeName((taken ??= identifierNames(ctx.ast)), `user${field[0].toUpperCase()}${field.slice(1).replace(/_(\w)/g, (_m, c: string) => c.toUpperCase())}`);
      const firstWrite = writes.find((use) => startOf(use.path.node) === first)!;
      const from = `${ctx.rule.user}.${field}`;
      if (PROFILE_CLAIMS.has(field)) ctx.report({ node: firstWrite.path.parent.node, code: 'local-variable-claim', data: { from, name, field } });
      else ctx.report({ node: firstWrite.path.parent.node, code: 'local-variable', data: { from, name } });
      const [declaration] = freshStatements(`let ${name} = ${ctx.rule.user}.${field};`);
      // Findings about the read it holds (context-to-event's) point at the first change, where the copy starts.
      const init = (declaration as { declarations: Array<{ init: { loc?: unknown } }> }).declarations[0].init;
      init.loc = (firstWrite.path.node as { loc?: unknown }).loc;
      declarations.push(declaration);
      for (const use of uses) if (startOf(use.path.node) >= first) use.path.replace(b.identifier(name));
    }
    ctx.rule.body.body.unshift(...declarations);
  },
};

/**
 * `user.X` uses per field X, in source order, for the fields the rule assigns as a whole (`=`, `op=`,
 * `++`). A field that is deleted or changed deeper (`user.X.y = v`) is left alone: a local variable
 * holding event.user's object would not keep those changes away from it.
 */
function userFieldUses(ctx: TransformContext): Map<string, FieldUse[]> {
  const { rule } = ctx;
  const uses = new Map<string, FieldUse[]>();
  const unsafe = new Set<string>();
  // Only rules that assign a user field (through the name, or an alias: a declarator `x = user`) need the scope analysis.
  // One scan for both questions; a write through the name answers it whatever the aliases.
  let aliased = false;
  let writesAny = false;
  const writesUser = someNode(rule.body, (node) => {
    if (n.VariableDeclarator.check(node) && n.Identifier.check(node.init) && node.init.name === rule.user) aliased = true;
    if (isFieldWrite(node, undefined)) {
      writesAny = true;
      if (isFieldWrite(node, rule.user)) return true;
    }
    return aliased && writesAny;
  });
  if (!writesUser && !(aliased && writesAny)) return uses;
  const scopes = ruleScopes(rule);
  if (!scopes.params.user) return uses;
  visit(rule.body, {
    visitMemberExpression(path) {
      const { object, property, computed } = path.node;
      // The rule's user, directly or through an alias (`var u = user`): one object, one set of fields.
      if (!n.Identifier.check(object) || computed || !n.Identifier.check(property) || scopes.roleOf(object) !== 'user') {
        this.traverse(path);
        return;
      }
      const field = property.name;
      if (OWNED_ELSEWHERE.has(field)) return false;
      const parent = path.parent?.node;
      const write =
        (n.AssignmentExpression.check(parent) && path.name === 'left') || (n.UpdateExpression.check(parent) && path.name === 'argument');
      if ((n.UnaryExpression.check(parent) && parent.operator === 'delete') || deeplyChanged(path)) unsafe.add(field);
      const list = uses.get(field) ?? [];
      list.push({ path, write });
      uses.set(field, list);
      return false;
    },
  }, (node) => n.Identifier.check(node.object) && !node.computed && n.Identifier.check(node.property) && scopes.roleOf(node.object) === 'user');
  for (const field of unsafe) uses.delete(field);
  return uses;
}

/** `user.X.y = v`, `user.X.y++`, `delete user.X.y`: X changed below its top level. */
function deeplyChanged(path: NodePath): boolean {
  let current = path;
  while (n.MemberExpression.check(current.parent?.node) && current.name === 'object') {
    current = current.parent;
    const parent = current.parent?.node;
    if (n.AssignmentExpression.check(parent) && current.name === 'left') return true;
    if (n.UpdateExpression.check(parent) || (n.UnaryExpression.check(parent) && parent.operator === 'delete')) return true;
  }
  return false;
}

/** `name.X = …` / `name.X++` (any name when `name` is undefined). */
function isFieldWrite(node: unknown, name: string | undefined): boolean {
  const target = n.AssignmentExpression.check(node) ? node.left : n.UpdateExpression.check(node) ? node.argument : null;
  return n.MemberExpression.check(target) && n.Identifier.check(target.object) && (name === undefined || target.object.name === name);
}

function identifierNames(root: Node): Set<string> {
  const names = new Set<string>();
  someNode(root, (node) => {
    if (n.Identifier.check(node)) names.add(node.name);
    return false;
  });
  return names;
}

function freeName(taken: Set<string>, base: string): string {
  let name = base;
  for (let i = 2; taken.has(name); i++) name = `${base}${i}`;
  taken.add(name);
  return name;
}
