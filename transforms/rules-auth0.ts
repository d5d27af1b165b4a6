import { b, memberExpression, n, propertyName, type NodePath } from '../src/ast.js';
import { isBoundWithin, namesDeclaredIn } from '../src/ast/scope.js';
import { identifiersIn, template } from '../src/nodes.js';
import type { BlockStatement, Expression, Statement, Transform, TransformContext } from '../src/types.js';
import { visit } from '../src/visit.js';
import { ensureTokenHelper, SCOPES, SECRETS } from './account-linking/emit.js';

const HELPER = 'rulesAuth0';

/**
 * What is left of the Rules `auth0` object once account-linking and user-metadata converted its
 * Management API calls (reference: rules-to-actions.md §7): `auth0.domain` and `auth0.baseUrl` read
 * outside a request become the AUTH0_DOMAIN secret, and the whole object handed to a library (such
 * as `new Auth0UserUpdateUtilities(user, auth0)`) becomes `{ domain, baseUrl, accessToken }` with a
 * token of the M2M application in the secrets. Runs before no-equivalent, which flags the rest.
 */
export const rulesAuth0: Transform = {
  id: 'rules-auth0',
  description: 'auth0.domain/baseUrl → the AUTH0_DOMAIN secret; the auth0 object passed whole → { domain, baseUrl, accessToken } from an M2M application',
  safety: 'review',
  relevant: /\bauth0\b/,
  messages: {
    'domain-secret': {
      severity: 'info',
      text: 'auth0.{{name}} → {{to}}: create the Action secret AUTH0_DOMAIN with the tenant\'s domain (the one auth0.domain gave, not a custom domain).',
    },
    'auth0-object-passed': {
      severity: 'warning',
      text: 'The Rules auth0 object passed here is now `await rulesAuth0(event, api)`: { domain, baseUrl, accessToken } with a token of the M2M application in the secrets AUTH0_DOMAIN, AUTH0_CLIENT_ID and AUTH0_CLIENT_SECRET (scopes read:users and update:users, those of the Rules token), cached in api.cache and fetched on every login that reaches this line. It has no `users` object: check what the code it goes to reads from it.',
    },
  },
  apply(ctx) {
    // A rule that declares its own `auth0` anywhere is left to no-equivalent.
    if (namesDeclaredIn(ctx.ast).has('auth0')) return;
    const bodies = [ctx.rule.body, ctx.module.continueBody].filter((body): body is BlockStatement => Boolean(body) && identifiersIn(body, ['auth0']).size > 0);
    if (bodies.length === 0) return;
    // With the Rules token still there, the domain goes with it into no-equivalent's TODO.
    const keepsToken = bodies.some((body) => uses(body).some((use) => use.member === 'accessToken'));
    let passed = false;
    let domain = false;
    for (const body of bodies) {
      for (const use of uses(body)) {
        if ((use.member === 'domain' || use.member === 'baseUrl') && !keepsToken) {
          const to = use.member === 'domain' ? secretExpression() : baseUrlExpression();
          ctx.report({ node: use.top.node, code: 'domain-secret', data: { name: use.member, to: use.member === 'domain' ? 'event.secrets.AUTH0_DOMAIN' : '`https://${event.secrets.AUTH0_DOMAIN}/api/v2`' } });
          use.top.replace(to);
          domain = true;
        } else if (use.member === null && isPassed(use.top) && canAwait(use.top, ctx)) {
          ctx.report({ node: use.top.node, code: 'auth0-object-passed' });
          use.top.replace(b.awaitExpression(b.callExpression(b.identifier(HELPER), [b.identifier('event'), b.identifier('api')])));
          passed = true;
        }
      }
    }
    if (domain) ctx.addSecret('AUTH0_DOMAIN');
    if (passed) setUpHelper(ctx);
  },
};

interface Use {
  /** `auth0.domain` / `auth0.baseUrl` / `auth0.accessToken`, or null for the object itself. */
  member: string | null;
  /** The member expression, or the identifier when the object is used whole. */
  top: NodePath;
}

/** Free `auth0` references in a body. */
function uses(body: BlockStatement): Use[] {
  const found: Use[] = [];
  visit(body, {
    visitIdentifier(path) {
      if (path.node.name !== 'auth0' || isBoundWithin(path, 'auth0', body)) return false;
      const parent = path.parent?.node;
      if (n.MemberExpression.check(parent) && parent.property === path.node && !parent.computed) return false;
      if ((n.ObjectProperty.check(parent) || n.Property.check(parent)) && parent.key === path.node && !parent.computed && !parent.shorthand) return false;
      if (n.MemberExpression.check(parent) && parent.object === path.node) {
        const name = propertyName(parent);
        if (name === 'domain' || name === 'baseUrl' || name === 'accessToken') found.push({ member: name, top: path.parent });
        return false;
      }
      found.push({ member: null, top: path });
      return false;
    },
  }, (node) => node.name === 'auth0');
  return found;
}

/** An argument of a call or `new`: the object handed over whole. */
function isPassed(path: NodePath): boolean {
  const parent = path.parent?.node;
  return (n.CallExpression.check(parent) || n.NewExpression.check(parent)) && parent.arguments.includes(path.node as never);
}

/**
 * `await` is allowed: the nearest function is async. In the rule's own body only when the rule is
 * async: a sync rule's body may still end up in a callback bridge (callback-to-return).
 */
function canAwait(path: NodePath, ctx: TransformContext): boolean {
  for (let current = path.parent; current; current = current.parent) {
    const node = current.node;
    if (node === ctx.rule.body) return ctx.rule.isAsync;
    if (node === ctx.module.continueBody) return true;
    if (n.Function.check(node)) return Boolean(node.async);
  }
  return false;
}

function secretExpression(): Expression {
  return memberExpression('event.secrets.AUTH0_DOMAIN');
}

function baseUrlExpression(): Expression {
  return b.templateLiteral(
    [b.templateElement({ raw: 'https://', cooked: 'https://' }, false), b.templateElement({ raw: '/api/v2', cooked: '/api/v2' }, true)],
    [secretExpression()],
  );
}

function setUpHelper(ctx: TransformContext) {
  const { prelude } = ctx.module;
  if (!prelude.some((s) => n.FunctionDeclaration.check(s) && s.id?.name === HELPER)) {
    prelude.push(
      ...(template(`
/** What a library read from the Rules auth0 object: the tenant domain and a Management API token of the M2M application in the secrets. */
async function ${HELPER}(event, api) {
  const { AUTH0_DOMAIN: domain, AUTH0_CLIENT_ID: clientId, AUTH0_CLIENT_SECRET: clientSecret } = event.secrets;
  return { domain, baseUrl: \`https://\${domain}/api/v2\`, accessToken: await managementApiToken(api, domain, clientId, clientSecret) };
}
`) as Statement[]),
    );
  }
  ensureTokenHelper(prelude);
  for (const secret of SECRETS) ctx.addSecret(secret);
  for (const scope of SCOPES) ctx.addScope(scope);
}
