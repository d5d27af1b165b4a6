import { n, type NodePath } from '../src/ast.js';
import { visitContextChains } from '../src/context-writes.js';
import type { Transform } from '../src/types.js';
import { onlyTested } from '../src/value-use.js';
import { visit } from '../src/visit.js';

/** Context objects that are absent on some logins, and their optional Action paths. */
const OPTIONAL_OBJECTS: Record<string, string> = {
  riskAssessment: 'event.authentication?.riskAssessment?.',
  organization: 'event.organization?.',
};

/**
 * What people migrating rules by hand did better than a literal conversion (issue 17): each is an
 * `info` finding with the fix as a suggestion, never a change of behaviour: the Action keeps doing
 * what the rule did, crash included.
 */
export const suggestions: Transform = {
  id: 'suggestions',
  description: 'Suggests what hand migrations do better: optional chaining, a deny around parsing, client ids, acr_values',
  safety: 'safe',
  relevant: /riskAssessment|organization|JSON\.parse|clientName|acr_values/,
  messages: {
    'optional-object': {
      severity: 'info',
      text: 'context.{{object}} is absent on some logins: reading {{from}} throws then, in the rule as in the Action.',
      suggestion: 'Read it as {{optional}}{{rest}} and decide what to do when it is missing.',
    },
    'unguarded-parse': {
      severity: 'info',
      text: 'JSON.parse throws on a malformed value: the rule failed with that error, and so does the Action (the login fails with an unhandled error).',
      suggestion: "Wrap it in try { … } catch (err) { return api.access.deny('…'); } (or log and continue) so the login gets a clear answer.",
    },
    'client-name-match': {
      severity: 'info',
      text: 'The application is recognised by its name, which can be changed in the dashboard and need not be unique.',
      suggestion: 'Match on event.client.client_id instead.',
    },
    'acr-values-from-query': {
      severity: 'info',
      text: 'acr_values is read from the query string, which only holds it when the application sent it there.',
      suggestion: "Use event.transaction?.acr_values (an array of the requested values, e.g. .includes('…')).",
    },
  },
  apply(ctx) {
    visitContextChains(ctx.rule, ({ keys, levels }) => {
      const [first, ...rest] = keys;
      if (first && first in OPTIONAL_OBJECTS && rest.length > 0 && rest[0] !== null && !isWriteTarget(levels[levels.length - 1])) {
        // Only an unguarded read: a rule that tests the object first already handles its absence.
        if (!guarded(ctx.rule.fn, first)) {
          ctx.report({
            node: levels[2].node,
            code: 'optional-object',
            data: { object: first, from: ['context', ...keys.slice(0, 2)].join('.'), optional: OPTIONAL_OBJECTS[first], rest: String(rest[0]) },
          });
        }
      }
      if (first === 'clientName' && comparedWithLiteral(levels[1])) ctx.report({ node: levels[1].node, code: 'client-name-match' });
      if (first === 'request' && keys[1] === 'query' && keys[2] === 'acr_values') {
        ctx.report({ node: levels[3].node, code: 'acr-values-from-query' });
      }
    });
    visit(ctx.rule.body, {
      visitTryStatement(path) {
        // Parsing inside the try block is handled; the catch and finally blocks are not.
        if (path.node.handler) this.traverse(path.get('handler'));
        if (path.node.finalizer) this.traverse(path.get('finalizer'));
        return false;
      },
      visitCallExpression(path) {
        if (isJsonParse(path.node)) ctx.report({ node: path.node, code: 'unguarded-parse' });
        this.traverse(path);
      },
    }, (node) => node.type === 'TryStatement' || isJsonParse(node));
  },
};

function isJsonParse(call: { callee?: unknown }): boolean {
  const callee = call.callee;
  return n.MemberExpression.check(callee) && n.Identifier.check(callee.object) && callee.object.name === 'JSON' &&
    n.Identifier.check(callee.property) && callee.property.name === 'parse';
}

function isWriteTarget(path: NodePath): boolean {
  const parent = path.parent?.node;
  return (n.AssignmentExpression.check(parent) && path.name === 'left') || n.UpdateExpression.check(parent) ||
    (n.UnaryExpression.check(parent) && parent.operator === 'delete');
}

/** The rule tests `context.<object>` for presence somewhere (`if (context.riskAssessment)`, `&&`, `?.`). */
function guarded(root: unknown, object: string): boolean {
  let found = false;
  visit(root as never, {
    visitMemberExpression(path) {
      const { property, computed } = path.node;
      if (!computed && n.Identifier.check(property) && property.name === object && (onlyTested(path) || isOptionalBase(path))) found = true;
      this.traverse(path);
    },
    visitOptionalMemberExpression() {
      found = true;
      return false;
    },
  });
  return found;
}

function isOptionalBase(path: NodePath): boolean {
  const parent = path.parent?.node as { optional?: boolean } | undefined;
  return Boolean(parent?.optional);
}

/** `context.clientName === 'App'`, `['A', 'B'].includes(context.clientName)`, `indexOf`, a `switch` on it. */
function comparedWithLiteral(path: NodePath): boolean {
  const parent = path.parent?.node;
  const isLiteral = (node: unknown) => n.StringLiteral.check(node) || (n.ArrayExpression.check(node) && node.elements.some((e) => n.StringLiteral.check(e)));
  if (n.BinaryExpression.check(parent) && ['===', '!==', '==', '!='].includes(parent.operator)) {
    return isLiteral(path.name === 'left' ? parent.right : parent.left);
  }
  if (n.SwitchStatement.check(parent)) return true;
  if (n.CallExpression.check(parent) && parent.arguments[0] === path.node && n.MemberExpression.check(parent.callee)) {
    const method = parent.callee.property;
    return n.Identifier.check(method) && ['includes', 'indexOf'].includes(method.name) &&
      (isLiteral(parent.callee.object) || n.Identifier.check(parent.callee.object));
  }
  return false;
}
