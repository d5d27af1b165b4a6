import * as recast from 'recast';
import { b, enclosingStatement, memberExpression, memberChain, n, type NodePath } from '../src/ast.js';
import { ruleScopes, type RuleRole, type RuleScopes } from '../src/ast/scope.js';
import type { BlockStatement, Expression, Node, Transform } from '../src/types.js';

import { visit } from '../src/visit.js';
import { fastCheck, someNode } from '../src/walk.js';

const SET_PRIMARY_USER = 'api.authentication.setPrimaryUser';
const METADATA_SETTERS = ['api.user.setUserMetadata', 'api.user.setAppMetadata'];

/**
 * `context.primaryUser = id` → `api.authentication.setPrimaryUser(id)` wherever it sits. Assigning
 * `user.user_id` changed the subject in Rules too; it gets the same call and a review finding.
 * Account-linking detection is not done here: the account-linking transform runs first and owns it.
 * Reference: rules-to-actions.md §10, rule-patterns.md §11.
 */
export const primaryUser: Transform = {
  id: 'primary-user',
  description: 'context.primaryUser = id (and user.user_id = id) → api.authentication.setPrimaryUser(id)',
  safety: 'review',
  relevant: /primaryUser|user_id['\"]?\]?\s*=(?!=)/,
  messages: {
    'primary-user-set': {
      severity: 'info',
      text: 'context.primaryUser → api.authentication.setPrimaryUser: the identity logging in must already be linked to that user; it can be called once per login.',
    },
    'subject-assignment': {
      severity: 'warning',
      text: 'Assigning user.user_id switched the login subject in Rules; event.user cannot be changed in an Action. Converted to api.authentication.setPrimaryUser({{value}}), which only works when the identity logging in is linked to that user: review.',
    },
    'subject-assignment-redundant': {
      severity: 'info',
      text: 'Assigning user.user_id has no effect in an Action; the rule also sets context.primaryUser, which becomes api.authentication.setPrimaryUser, so this line is removed.',
    },
    'metadata-discarded': {
      severity: 'warning',
      text: 'This Action sets metadata with api.user.set*Metadata and calls api.authentication.setPrimaryUser: user metadata set in the same Action is discarded (app metadata is at risk too), because it targets the identity logging in. Write the primary user’s metadata with the Management API.',
    },
    'primary-user-not-converted': {
      severity: 'error',
      text: 'context.primaryUser is assigned inside an expression; call api.authentication.setPrimaryUser(id) as a statement where the primary user is known.',
    },
  },
  apply(ctx) {
    const bodies = [ctx.rule.body, ctx.module.continueBody].filter((body): body is BlockStatement => Boolean(body));
    const shapes = bodies.map((body) => scanShapes(body));
    // Names resolve per handler body, only where an assignment may need it.
    const scopes = bodies.map((body, i) => (shapes[i].primaryAssignment || shapes[i].subjectAssignment ? ruleScopes(ctx.rule, body) : null));
    const setsPrimary = bodies.some((body, i) => assignsPrimaryUser(body, shapes[i], scopes[i]));
    const converted: Node[] = [];
    for (const [i, body] of bodies.entries()) {
      const names = scopes[i];
      if (!names) continue;
      visit(body, {
        visitAssignmentExpression(path) {
          const { left, right, operator } = path.node;
          const kind = isRoleMember(names, left, 'context', 'primaryUser') ? 'primary' : isRoleMember(names, left, 'user', 'user_id') ? 'subject' : null;
          if (!kind) return this.traverse(path);
          const statement = path.parent;
          if (operator !== '=' || !n.ExpressionStatement.check(statement.node)) {
            if (kind === 'primary') {
              ctx.todo({ node: path.node, code: 'primary-user-not-converted', statement: enclosingStatement(path)?.node });
            }
            // A subject assignment inside an expression is left to context-to-event (no effect in Actions).
            return false;
          }
          if (kind === 'subject' && setsPrimary) {
            ctx.report({ node: path.node, code: 'subject-assignment-redundant' });
            removeStatement(statement);
            return false;
          }
          ctx.report(
            kind === 'primary'
              ? { node: path.node, code: 'primary-user-set' }
              : { node: path.node, code: 'subject-assignment', data: { value: recast.print(right).code } },
          );
          converted.push(path.node);
          path.replace(b.callExpression(memberExpression(SET_PRIMARY_USER), [right as Expression]));
          return false;
        },
      });
    }
    // Converting only adds calls (to `converted`): a body without one before has none now.
    const primaryCall = converted[0] ?? bodies.filter((_, i) => shapes[i].primaryCall).flatMap((body) => findCalls(body, SET_PRIMARY_USER))[0];
    const setsMetadata = () => bodies.some((body) => someNode(body, (node) => isCall(node) && METADATA_SETTERS.includes(memberChain(node.callee)?.join('.') ?? '')));
    if (primaryCall && setsMetadata()) {
      ctx.report({ node: primaryCall, code: 'metadata-discarded' });
    }
  },
};

/** `context.primaryUser` (`role` 'context') or `user.user_id`, through the rule's parameter or an alias of it. */
function isRoleMember(scopes: RuleScopes, node: unknown, role: RuleRole, property: string): boolean {
  return isChain(node, property) && scopes.roleOf((node as { object: unknown }).object) === role;
}

/** `x.property` written statically (`context.primaryUser`, `user['user_id']`), `x` a name. */
function isChain(node: unknown, property: string): boolean {
  const chain = memberChain(node);
  return chain !== null && chain.length === 2 && chain[1] === property && chain[0] !== 'this';
}

const isAssignment = fastCheck(n.AssignmentExpression);
const isCall = fastCheck(n.CallExpression);

interface Shapes {
  primaryCall: boolean;
  /** `x.primaryUser = …` written statically; whether `x` is the rule's context (or an alias) needs the scopes. */
  primaryAssignment: boolean;
  subjectAssignment: boolean;
}

/** What a body holds, from one plain scan: visits (for the scope lookups) run only where needed. */
function scanShapes(body: BlockStatement): Shapes {
  const shapes: Shapes = { primaryCall: false, primaryAssignment: false, subjectAssignment: false };
  someNode(body, (node) => {
    if (isCall(node) && memberChain(node.callee)?.join('.') === SET_PRIMARY_USER) shapes.primaryCall = true;
    if (isAssignment(node) && isChain(node.left, 'primaryUser')) shapes.primaryAssignment = true;
    if (isAssignment(node) && isChain(node.left, 'user_id')) shapes.subjectAssignment = true;
    return false;
  });
  return shapes;
}

function assignsPrimaryUser(body: BlockStatement, shapes: Shapes, scopes: RuleScopes | null): boolean {
  if (shapes.primaryCall) return true;
  if (!shapes.primaryAssignment || !scopes) return false;
  return someNode(body, (node) => isAssignment(node) && isRoleMember(scopes, node.left, 'context', 'primaryUser'));
}

/** Calls to `callee`, in source order; nodes only, so a plain scan. */
function findCalls(body: BlockStatement, callee: string): Node[] {
  const calls: Node[] = [];
  someNode(body, (node) => {
    if (isCall(node) && memberChain(node.callee)?.join('.') === callee) calls.push(node);
    return false;
  });
  return calls;
}

function removeStatement(path: NodePath) {
  if (Array.isArray(path.parentPath?.value)) path.prune();
  else path.replace(b.blockStatement([]));
}
