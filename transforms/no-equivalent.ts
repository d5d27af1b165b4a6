import { b, enclosingStatement, insideNestedFunction, memberChain, memberExpression, n, propertyName, type NodePath } from '../src/ast.js';
import { declares, isBoundWithin, isReference, ruleScopes, statementDeclaredNames, type RuleScopes } from '../src/ast/scope.js';
import { hasTodo, identifiersIn } from '../src/nodes.js';
import type { BlockStatement, Expression, Node, Statement, Transform, TransformContext } from '../src/types.js';
import { visit } from '../src/visit.js';
import { fastCheck, walk } from '../src/walk.js';

const TOKEN_FIELDS = new Set(['accessToken', 'baseUrl', 'domain']);
const RESERVED = new Set(['event', 'api', 'exports', 'module', 'require', 'global', 'undefined', 'arguments']);

/**
 * Rules globals with no Action equivalent that the other transforms leave behind (reference:
 * rules-to-actions.md §7 and §12): `global.X`, the Rules `auth0` object (Management API token,
 * base URL, domain, users.*) and `UnauthorizedError`. Each stays where it was under a TODO, except
 * a self-contained memoisation (`global.x = global.x || init()`), which becomes a module-scope variable.
 */
export const noEquivalent: Transform = {
  id: 'no-equivalent',
  description: 'global.X, auth0.accessToken/baseUrl/domain/users.*, UnauthorizedError → TODO with what to use instead',
  safety: 'review',
  relevant: /\bglobal\b|\bauth0\b|UnauthorizedError/,
  messages: {
    'global-module-variable': {
      severity: 'warning',
      text: 'global.{{name}} memoised a value while the container stayed warm; it is now a module-scope variable of the Action, reused the same best-effort way, but no longer shared with other rules.',
    },
    'global-state': {
      severity: 'error',
      text: 'global.{{name}} has no Action equivalent (Rules kept it across logins on a warm container, shared by every rule). Use api.cache for values reused across logins (strings, best-effort), api.transaction.setMetadata within one login, or a module-scope variable.',
    },
    'management-api-token': {
      severity: 'error',
      text: 'auth0.{{name}} does not exist in Actions: there is no Management API token, base URL or domain. Create a machine-to-machine application for the Management API with only the scopes needed, keep its domain, client id and secret in Action secrets, and get a token with the client-credentials grant (cache it in api.cache).',
      // What reads the Rules token here was not converted (its endpoint or flow unresolved): an Action would fail at the first login.
      fails: true,
    },
    'auth0-object': {
      severity: 'error',
      text: 'auth0.{{name}} (the Rules Management API object) does not exist in Actions: use ManagementClient from the auth0 package, with a machine-to-machine application’s credentials in Action secrets.',
    },
    'unauthorized-error': {
      severity: 'error',
      text: 'UnauthorizedError does not exist in Actions (there is only access_denied): deny the login with api.access.deny(message) where this error was meant to end the login.',
    },
    'unauthorized-error-replaced': {
      severity: 'warning',
      text: 'UnauthorizedError does not exist in Actions: this is now a plain Error with the same message. Where it reaches the callback the login is still denied with that message (access_denied); check any test of its type or name.',
    },
    'unauthorized-thrown': {
      severity: 'info',
      text: 'throw new UnauthorizedError(message) → return api.access.deny(message): Actions should not throw, and deny gives the same access_denied error.',
    },
  },
  apply(ctx) {
    const bodies = [ctx.rule.body, ctx.module.continueBody].filter((body): body is BlockStatement => Boolean(body));
    const flagged = new WeakMap<object, Set<string>>();
    const flag = createFlagger(ctx, flagged);
    // Each pass looks for one free name: skipped when the handler does not hold it. A converted
    // `global.x` adds the identifier `x`.
    const names = ['global', 'auth0', 'UnauthorizedError'];
    const holds = new Map(bodies.map((body) => [body, identifiersIn(body, names)]));
    if (bodies.every((body) => holds.get(body)!.size === 0)) return;
    // Free in the handler (src/ast/scope.ts's path queries: a few identifiers, no whole analysis), not a
    // parameter or `var` of the rule, and not declared beside the rule in the module.
    const moduleNames = new Set(ctx.ast.program.body.flatMap(statementDeclaredNames));
    const isFree = (body: BlockStatement) => (path: NodePath, name: string) =>
      n.Identifier.check(path.node) && path.node.name === name && !moduleNames.has(name) && isReference(path) &&
      !isBoundWithin(path, name, body) && !declares(ctx.rule.fn, name);
    const present = (body: BlockStatement, name: string) => holds.get(body)!.has(name);
    const added = convertGlobals(ctx, bodies.filter((body) => present(body, 'global')), flag, isFree);
    for (const body of bodies) {
      for (const name of added) holds.get(body)!.add(name);
      if (present(body, 'auth0')) flagAuth0(body, flag, flagged, isFree(body));
      if (present(body, 'UnauthorizedError')) convertUnauthorized(ctx, body, flag, isFree(body), () => ruleScopes(ctx.rule, body));
    }
  },
};

/** True when the identifier at `path` is `name`, free in the handler: the Rules sandbox's global. */
type IsFree = (path: NodePath, name: string) => boolean;

type Flag = (path: NodePath, node: Node, code: string, data: Record<string, string>) => void;

/** Reports with a TODO, once per statement, code and data however many references the statement holds. */
function createFlagger(ctx: TransformContext, flagged: WeakMap<object, Set<string>>): Flag {
  return (path, node, code, data) => {
    const statement = (enclosingStatement(path)?.node ?? node) as Node;
    const key = `${code}:${JSON.stringify(data)}`;
    const keys = flagged.get(statement) ?? new Set<string>();
    if (keys.has(key)) return;
    keys.add(key);
    flagged.set(statement, keys);
    ctx.todo({ node, code, data, statement });
  };
}

// ---------------------------------------------------------------------------------------------
// global.X

interface GlobalUse {
  path: NodePath;
  name: string | null;
  body: BlockStatement;
}

/** Returns the names of the module-scope variables it introduced. */
function convertGlobals(ctx: TransformContext, bodies: BlockStatement[], flag: Flag, freeIn: (body: BlockStatement) => IsFree): Set<string> {
  const uses: GlobalUse[] = [];
  for (const body of bodies) {
    const isFree = freeIn(body);
    visit(body, {
      visitIdentifier(path) {
        if (!isFree(path, 'global')) return false;
        const parent = path.parent.node;
        const name = n.MemberExpression.check(parent) && parent.object === path.node ? propertyName(parent) : null;
        uses.push({ path, name, body });
        return false;
      },
    }, (node) => node.name === 'global');
  }
  if (uses.length === 0) return new Set();

  const taken = identifierNames(ctx);
  const names = new Set(uses.map((u) => u.name).filter((name): name is string => name !== null));
  const safe = new Set<string>();
  for (const name of names) {
    if (!/^[A-Za-z_$][\w$]*$/.test(name) || RESERVED.has(name) || taken.has(name)) continue;
    if (uses.some((u) => u.name === null)) continue;
    const writes = uses.filter((u) => u.name === name && isWrite(u.path.parent));
    const memo = writes.filter((u) => isMemoisation(ctx, u.path.parent, name));
    if (memo.length > 0 && memo.length === writes.length) safe.add(name);
  }

  for (const name of safe) {
    const first = uses.find((u) => u.name === name && isWrite(u.path.parent))!;
    ctx.report({ node: enclosingStatement(first.path)?.node ?? first.path.node, code: 'global-module-variable', data: { name } });
    ctx.module.prelude.push(b.variableDeclaration('let', [b.variableDeclarator(b.identifier(name))]));
  }
  const flaggedNames = new Set<string>();
  for (const use of uses) {
    if (use.name !== null && safe.has(use.name)) {
      use.path.parent.replace(b.identifier(use.name));
      continue;
    }
    // One TODO per name and handler, at its first use: the others are the same state.
    const key = `${bodies.indexOf(use.body)}:${use.name ?? '*'}`;
    if (flaggedNames.has(key)) continue;
    flaggedNames.add(key);
    const node = use.name !== null ? use.path.parent.node : use.path.node;
    flag(use.path, node, 'global-state', { name: use.name ?? '*' });
  }
  return safe;
}

function isWrite(memberPath: NodePath): boolean {
  const parent = memberPath.parent?.node;
  if (n.AssignmentExpression.check(parent) && parent.left === memberPath.node) return true;
  if (n.UpdateExpression.check(parent)) return true;
  return n.UnaryExpression.check(parent) && parent.operator === 'delete';
}

/**
 * `global.x = global.x || init();` or `if (!global.x) { global.x = init(); }`, directly in the handler
 * (not in a nested function, so it runs before any use in the same flow).
 */
function isMemoisation(ctx: TransformContext, memberPath: NodePath, name: string): boolean {
  const assignment = memberPath.parent;
  const statement = assignment?.parent;
  if (!n.AssignmentExpression.check(assignment?.node)) return false;
  if (!n.ExpressionStatement.check(statement?.node) || insideNestedFunction(statement, ctx.rule)) return false;
  const { operator, right } = assignment.node;
  if (operator === '||=' || operator === '??=') return true;
  if (operator !== '=') return false;
  if (n.LogicalExpression.check(right) && (right.operator === '||' || right.operator === '??') && isGlobalMember(right.left, name)) return true;
  // if (!global.x) global.x = …;
  let guard: NodePath | null = statement.parent;
  if (n.BlockStatement.check(guard?.node) && guard.node.body.length === 1) guard = guard.parent;
  return (
    n.IfStatement.check(guard?.node) &&
    !guard.node.alternate &&
    n.UnaryExpression.check(guard.node.test) &&
    guard.node.test.operator === '!' &&
    isGlobalMember(guard.node.test.argument, name)
  );
}

function isGlobalMember(node: unknown, name: string): boolean {
  const chain = memberChain(node);
  return chain !== null && chain.length === 2 && chain[0] === 'global' && chain[1] === name;
}

/** Names used as variables anywhere in the module: a module-scope variable must not clash with them. */
function identifierNames(ctx: TransformContext): Set<string> {
  const names = new Set<string>();
  // A plain walk: only the parent is needed, and a NodePath for every identifier of the module cost more than the rest.
  walk(ctx.ast, (node, ancestors) => {
    if (!isIdentifier(node)) return;
    const parent = ancestors[ancestors.length - 1];
    const isProperty =
      (n.MemberExpression.check(parent) && parent.property === node && !parent.computed) ||
      ((n.ObjectProperty.check(parent) || n.Property.check(parent)) && parent.key === node && !parent.computed && !parent.shorthand);
    if (!isProperty) names.add(node.name);
    return false;
  });
  return names;
}

const isIdentifier = fastCheck(n.Identifier);

// ---------------------------------------------------------------------------------------------
// auth0.*

function flagAuth0(body: BlockStatement, flag: Flag, flagged: WeakMap<object, Set<string>>, isFree: IsFree) {
  visit(body, {
    visitIdentifier(path) {
      if (!isFree(path, 'auth0')) return false;
      const statement = enclosingStatement(path);
      // Already flagged by the transform that owns it (user-metadata, account-linking).
      if (statement && hasTodo(statement.node) && !flagged.has(statement.node)) return false;
      const chain: string[] = [];
      let top: NodePath = path;
      while (n.MemberExpression.check(top.parent?.node) && top.parent.node.object === top.node) {
        const name = propertyName(top.parent.node);
        if (name === null) break;
        chain.push(name);
        top = top.parent;
        if (TOKEN_FIELDS.has(chain[0]) || chain.length === 2) break;
      }
      const name = chain.join('.') || '*';
      const code = TOKEN_FIELDS.has(chain[0]) ? 'management-api-token' : 'auth0-object';
      flag(path, top.node as Node, code, { name });
      return false;
    },
  }, (node) => node.name === 'auth0');
}

// ---------------------------------------------------------------------------------------------
// UnauthorizedError

function convertUnauthorized(ctx: TransformContext, body: BlockStatement, flag: Flag, isFree: IsFree, names: () => RuleScopes) {
  let scopes: RuleScopes | undefined;
  visit(body, {
    visitIdentifier(path) {
      if (!isFree(path, 'UnauthorizedError')) return false;
      const created = path.parent;
      if (n.NewExpression.check(created.node) && created.node.callee === path.node) {
        const holder = created.parent?.node;
        // callback(new UnauthorizedError(m)) (or through an alias of callback) is callback-to-return's: it becomes api.access.deny(m).
        if (n.CallExpression.check(holder) && n.Identifier.check(holder.callee) && (scopes ??= names()).roleOf(holder.callee) === 'callback') return false;
        if (n.ThrowStatement.check(holder) && Array.isArray(created.parent.parentPath?.value) && !insideNestedFunction(path, ctx.rule) && !insideTry(path)) {
          const message = (created.node.arguments[0] as Expression | undefined) ?? b.stringLiteral('');
          ctx.report({ node: holder, code: 'unauthorized-thrown' });
          created.parent.replace(b.returnStatement(b.callExpression(memberExpression('api.access.deny'), [message])) as Statement);
          return false;
        }
        // The error object keeps its message: passed to the callback later, it still denies with it.
        ctx.report({ node: created.node, code: 'unauthorized-error-replaced' });
        path.replace(b.identifier('Error'));
        return false;
      }
      flag(path, path.node, 'unauthorized-error', {});
      return false;
    },
  }, (node) => node.name === 'UnauthorizedError');
}

function insideTry(path: NodePath): boolean {
  for (let current = path.parent; current; current = current.parent) {
    if (n.TryStatement.check(current.node) && current.node.handler) return true;
    if (n.Function.check(current.node)) return false;
  }
  return false;
}
