import * as recast from 'recast';
import { b, n, quote, statements } from '../src/ast.js';
import { analyzeScopes } from '../src/ast/scope.js';
import type { Node, Statement, Transform } from '../src/types.js';
import { containsIdentifier } from '../src/nodes.js';

/**
 * Turns the rule function into `exports.onExecutePostLogin = async (event, api) => {…}` and places
 * what the other transforms contributed around it: hoisted requires, helpers, onContinuePostLogin.
 * Runs last: earlier transforms still see the rule's own parameter names.
 */
export const ruleSignature: Transform = {
  id: 'rule-signature',
  description: 'Rule function → exports.onExecutePostLogin; hoisted requires, helpers and onContinuePostLogin around it',
  safety: 'safe',
  messages: {
    'rule-guard': {
      severity: 'info',
      text: "Starts with `if (api.rules.wasExecuted('{{ruleId}}')) return;` so the Action does nothing while Rule {{ruleId}} is still enabled.",
    },
    'function-name-referenced': {
      severity: 'error',
      text: 'The rule refers to its own name `{{name}}`, which no longer exists in the Action.',
    },
  },
  apply(ctx) {
    const { rule, module, options, ast } = ctx;
    const body = rule.body;

    const name = n.FunctionDeclaration.check(rule.fn) || n.FunctionExpression.check(rule.fn) ? rule.fn.id?.name : undefined;
    // Rules rarely name themselves: a plain scan spares the analysis.
    if (typeof name === 'string' && !name.startsWith('__rules2actions') && containsIdentifier(body, [name])) {
      const scopes = analyzeScopes(rule.fn as Node);
      // The rule itself: free in it (a declaration's name is outside it) or a function expression's own name.
      const own = scopes.scopeOf(rule.fn)?.bindings.get(name);
      const self = own?.id === rule.fn.id ? own : null;
      for (const id of self ? self.references : (scopes.free.get(name) ?? [])) {
        ctx.todo({ node: id as Node, code: 'function-name-referenced', data: { name } });
      }
    }

    if (options.ruleId && options.guard) {
      const [guard] = statements(`if (api.rules.wasExecuted(${quote(options.ruleId)})) return;`);
      body.body.unshift(guard);
      ctx.report({ node: rule.fn, code: 'rule-guard', data: { ruleId: options.ruleId } });
    }

    const handlers: Statement[] = [handler('onExecutePostLogin', body)];
    // Comments inside the rule's header (`function /* c */ (user, …)`) have no place in the handler's
    // `(event, api)`: they go above it.
    handlers[0].comments = headerComments(rule.fn, rule.statement);
    if (module.continueBody) handlers.push(handler('onContinuePostLogin', module.continueBody));

    const replacement = [...module.requires, ...module.prelude, ...handlers];
    // The rule's own comments (a file header, say) frame the whole module; hoisted code keeps its own.
    const comments = rule.statement.comments ?? [];
    const first = replacement[0];
    const last = replacement[replacement.length - 1];
    first.comments = [...comments.filter((c) => c.leading), ...(first.comments ?? [])];
    last.comments = [...(last.comments ?? []), ...comments.filter((c) => c.trailing)];
    const program = ast.program.body;
    program.splice(program.indexOf(rule.statement), 1, ...replacement);
  },
};

type Comment = { type: string; value: string };
type Commented = { comments?: Comment[] | null } | null | undefined;

function headerComments(fn: Commented & { id?: Commented; params: Commented[] }, statement: Commented): Statement['comments'] {
  const holders: Commented[] = [fn === statement ? null : fn, fn.id, ...fn.params];
  // New comment nodes: each printed on a line of its own above the handler.
  return holders
    .flatMap((node) => node?.comments ?? [])
    .map((c) => (c.type === 'CommentBlock' || c.type === 'Block' ? b.commentBlock(c.value, true, false) : b.commentLine(c.value, true, false)));
}

function handler(name: string, body: recast.types.namedTypes.BlockStatement): Statement {
  const fn = b.arrowFunctionExpression([b.identifier('event'), b.identifier('api')], body);
  fn.async = true;
  return b.expressionStatement(
    b.assignmentExpression('=', b.memberExpression(b.identifier('exports'), b.identifier(name)), fn),
  );
}
