// The rewriting steps of account-linking around the flattening: the client's name and place,
// setPrimaryUser, what the converted calls no longer need, and the Action's set-up.
import * as recast from 'recast';
import type { namedTypes as K } from 'ast-types';
import { b, enclosingStatement, isRuleParam, memberChain, n, type NodePath } from '../../src/ast.js';
import type { Node, Statement, TransformContext } from '../../src/types.js';
import { countReferences, liveReferenceCounts, referenceCounts } from './bindings.js';
import { CLIENT_FACTORY, clientDeclaration, preludeStatements, requireStatement, SCOPES, SDK_VERSION, SECRETS } from './emit.js';
import { matchRequire, type Operation, type RuleScan } from './operations.js';
import { hasTokens } from './urls.js';
import { visit } from '../../src/visit.js';
import { findPath, isAssignmentType, isCallType, isIdentifierType } from './tree.js';
import { containsAny, walk } from '../../src/walk.js';
import { containsIdentifier } from '../../src/nodes.js';

/**
 * The legacy client's own name when the converted calls were its only uses (its declaration goes);
 * otherwise a fresh name, and the legacy client stays for a human to look at.
 */
export function chooseClientName(ctx: TransformContext, scan: RuleScan): string {
  const receiverOf = (op: Operation) => memberChain(op.call.callee)![0];
  for (const name of scan.clients) {
    const converted = scan.operations.filter((op) => op.transport === 'sdk' && receiverOf(op) === name).length;
    if (converted === 0 || countReferences(ctx.rule.body, name) !== converted) continue;
    const entry = scan.requires.find((r) => r.module === 'client' && r.name === name)!;
    visit(ctx.rule.body, {
      visitVariableDeclaration(path) {
        if (!path.node.declarations.includes(entry.declarator)) return this.traverse(path);
        ctx.report({ node: entry.declarator, code: 'removed-client', data: { name } });
        if (path.node.declarations.length > 1) path.node.declarations.splice(path.node.declarations.indexOf(entry.declarator), 1);
        else path.prune();
        return false;
      },
    });
    return name;
  }
  return freeName(ctx.rule.body, 'management');
}

function freeName(body: Node, base: string): string {
  // A name no identifier has is free without the analysis (the usual case).
  if (!containsIdentifier(body, [base])) return base;
  // One analysis for the three candidates.
  const counts = referenceCounts(body);
  for (const name of [base, `${base}Api`, `${base}Client`]) if (!counts.has(name)) return name;
  return `${base}2`;
}

/** `email.raw:` existed in search v2 only. */
export function convertV2Query(op: Operation): boolean {
  if (op.endpoint.kind !== 'search' || !op.endpoint.q) return false;
  let changed = false;
  visit(op.endpoint.q, {
    visitStringLiteral(path) {
      if (path.node.value.includes('email.raw:')) {
        // In place: when `q` is the literal itself, the visit's root path is a wrapper outside the tree.
        path.node.value = path.node.value.replace(/email\.raw:/g, 'email:');
        changed = true;
      }
      return false;
    },
  });
  return changed;
}

/** `context.primaryUser = id` after a link → setPrimaryUser; earlier ones are left to primary-user. */
export function convertPrimaryUser(ctx: TransformContext, linkAnchors: Set<Node>) {
  const { rule } = ctx;
  if (!signalsPrimary(rule)) primaryFromReturnedUser(ctx, linkAnchors);
  visit(rule.body, {
    visitExpressionStatement(path) {
      const expr = path.node.expression;
      if (!n.AssignmentExpression.check(expr) || expr.operator !== '=') return this.traverse(path);
      const chain = memberChain(expr.left);
      if (!chain || chain.length !== 2 || chain[0] !== rule.context || chain[1] !== 'primaryUser') return this.traverse(path);
      const contextPath = path.get('expression', 'left', 'object');
      if (!isRuleParam(contextPath, rule, rule.context) || !afterLink(path, linkAnchors)) return false;
      ctx.report({ node: expr, code: 'primary-user' });
      const call = b.expressionStatement(
        b.callExpression(b.memberExpression(b.memberExpression(b.identifier('api'), b.identifier('authentication')), b.identifier('setPrimaryUser')), [expr.right]),
      );
      (call as { comments?: unknown }).comments = (path.node as { comments?: unknown }).comments;
      path.replace(call);
      return false;
    },
    // The method only traverses other statements: a NodePath only for `x.primaryUser = …`.
  }, (node) => {
    const expr = node.expression as { type?: string; operator?: string; left?: unknown } | undefined;
    return expr?.type === 'AssignmentExpression' && expr.operator === '=' && memberChain(expr.left)?.[1] === 'primaryUser';
  });
}

/** Whether the rule says who the primary is through `context.primaryUser` or `user.user_id`. */
function signalsPrimary(rule: TransformContext['rule']): boolean {
  let found = false;
  walk(rule.body, (node) => {
    if (!isAssignmentType(node.type)) return;
    const chain = memberChain(node.left);
    if (chain?.length === 2 && ((chain[0] === rule.context && chain[1] === 'primaryUser') || (chain[0] === rule.user && chain[1] === 'user_id'))) found = true;
  });
  return found;
}

/** `callback(null, primaryUser, context)` after the link: the rule's way of naming the primary. */
function primaryFromReturnedUser(ctx: TransformContext, linkAnchors: Set<Node>) {
  const { rule } = ctx;
  visit(rule.body, {
    visitFunction() {
      return false;
    },
    visitCallExpression(path) {
      const call = path.node;
      const [error, returned] = call.arguments;
      const isCallback = n.Identifier.check(call.callee) && call.callee.name === rule.callback;
      const nullError = n.NullLiteral.check(error) || (n.Literal.check(error) && error.value === null);
      const other = n.Identifier.check(returned) && returned.name !== rule.user;
      if (!isCallback || !nullError || !other) return this.traverse(path);
      const statement = enclosingStatement(path);
      if (!statement || !afterLink(statement, linkAnchors)) return false;
      const name = (returned as K.Identifier).name;
      ctx.report({ node: returned, code: 'primary-user-from-returned-user', data: { value: name } });
      const setPrimary = b.expressionStatement(
        b.callExpression(b.memberExpression(b.memberExpression(b.identifier('api'), b.identifier('authentication')), b.identifier('setPrimaryUser')), [
          b.memberExpression(b.identifier(name), b.identifier('user_id')),
        ]),
      );
      // The rule's comment explains the switch: it stays with the call that now makes it.
      const holder = statement.node as { comments?: unknown[] };
      (setPrimary as { comments?: unknown[] }).comments = holder.comments;
      holder.comments = undefined;
      statement.insertBefore(setPrimary);
      return false;
    },
  });
}

function afterLink(path: NodePath, anchors: Set<Node>): boolean {
  for (let current: NodePath | null = path; current; current = current.parent) {
    const list = current.parentPath?.value;
    if (Array.isArray(list)) {
      const before = list.slice(0, list.indexOf(current.node)) as Node[];
      if (before.some((s) => containsAny(s, anchors))) return true;
    }
    if (n.Function.check(current.node)) return false;
  }
  return false;
}

/**
 * Statements that only build a request the converted calls no longer make: `opts = …;`,
 * `opts.method = …;`, `url.searchParams.append(…);`, for a variable the calls read and nothing else
 * does. Its declaration then goes with the other unused ones.
 */
function removeDeadWrites(ctx: TransformContext, body: Node, candidates: Set<string>) {
  const found = new Map<string, Array<{ list: unknown[]; statement: Node }>>();
  walk(body, (node, ancestors, keys) => {
    if (!n.ExpressionStatement.check(node)) return;
    const name = writtenName(node.expression);
    if (!name || !candidates.has(name)) return;
    const parent = ancestors[ancestors.length - 1];
    const list = parent?.[keys[keys.length - 2] as string];
    if (!Array.isArray(list)) return;
    found.set(name, [...(found.get(name) ?? []), { list, statement: node as unknown as Node }]);
  });
  for (const [name, statements] of found) {
    const inside = statements.reduce((sum, { statement }) => sum + countReferences(statement, name), 0);
    if (countReferences(body, name) !== inside) continue;
    for (const { list, statement } of statements) {
      ctx.report({ node: statement, code: 'removed-variable', data: { name } });
      list.splice(list.indexOf(statement), 1);
    }
  }
}

/** The variable an expression statement only writes to: `x = …`, `x.a.b = …`, `x.searchParams.append/set(…)`. */
function writtenName(expr: unknown): string | null {
  if (n.AssignmentExpression.check(expr)) {
    if (n.Identifier.check(expr.left)) return expr.left.name;
    const chain = memberChain(expr.left);
    return chain && chain.length > 1 ? chain[0] : null;
  }
  if (n.CallExpression.check(expr)) {
    const chain = memberChain(expr.callee);
    if (chain && chain.length === 3 && chain[1] === 'searchParams' && ['append', 'set'].includes(chain[2])) return chain[0];
  }
  return null;
}

/** Requires, legacy clients, URL/token/header variables the converted calls no longer read. */
export function removeUnused(ctx: TransformContext, scan: RuleScan) {
  const { rule } = ctx;
  // A request wrapper whose calls were all converted goes (into a comment), and the Rules token it held with it.
  for (const [name, fn] of scan.wrappers) {
    if (countReferences(rule.body, name) > 0) continue;
    visit(rule.body, {
      visitFunction(path) {
        if (path.node !== fn) return this.traverse(path);
        const holder = n.FunctionDeclaration.check(fn) ? path : path.parent?.parent;
        if (!holder || !(n.FunctionDeclaration.check(holder.node) || (n.VariableDeclaration.check(holder.node) && holder.node.declarations.length === 1))) return false;
        // Commented out rather than deleted: what the helper did (its error message) stays readable.
        ctx.disable({ node: holder.node, code: 'removed-wrapper', data: { name }, statement: holder });
        return false;
      },
    });
  }
  const candidates = new Set<string>(scan.operations.flatMap((op) => op.inputs));
  removeDeadWrites(ctx, rule.body, candidates);
  // Counted once, then less what each removed declarator held: a declarator's uses change only when one goes.
  const { counts, remove } = liveReferenceCounts(rule.body);
  for (;;) {
    let removed = false;
    visit(rule.body, {
      visitVariableDeclaration(path) {
        const declaration = path.node;
        for (const declarator of [...declaration.declarations] as K.VariableDeclarator[]) {
          const found = classifyDeclarator(declarator, scan, candidates, counts);
          if (!found) continue;
          remove(declarator);
          for (const name of identifierNames(declarator.init)) candidates.add(name);
          ctx.report({ node: declarator, code: found.code, data: found.data });
          if (declaration.declarations.length === 1) {
            const list = path.parentPath?.value;
            if (Array.isArray(list)) path.prune();
            else path.replace(b.emptyStatement());
          } else {
            declaration.declarations.splice(declaration.declarations.indexOf(declarator), 1);
          }
          removed = true;
          return false;
        }
        this.traverse(path);
      },
      // A declaration with no declarator whose names are all unused is only traversed: no NodePath for it.
    }, (node) => (node.declarations as K.VariableDeclarator[]).some((declarator) => {
      const names = declaratorNames(declarator);
      return names.length > 0 && !names.some((name) => counts.has(name));
    }));
    if (!removed) break;
  }
  // A require already hoisted by require-dependencies, and its dependency.
  ctx.module.requires.splice(0, ctx.module.requires.length, ...ctx.module.requires.filter((statement) => {
    if (!n.VariableDeclaration.check(statement)) return true;
    const [declarator] = statement.declarations as K.VariableDeclarator[];
    const required = matchRequire(declarator?.init);
    if (!required || required.module === 'auth0') return !required;
    const names = n.Identifier.check(declarator.id) ? [declarator.id.name] : [];
    const keep = names.some((name) => counts.has(name));
    if (!keep) ctx.report({ node: statement, code: 'removed-require', data: { name: names.join(', '), module: required.module } });
    return keep;
  }));
  const stillRequired = new Set<string>();
  walk([...ctx.module.requires, ...rule.body.body], (node) => {
    const required = isCallType(node.type) ? matchRequire(node) : null;
    if (required) stillRequired.add(required.module);
  });
  for (const module of ['request', 'axios', 'node-fetch']) {
    if (!stillRequired.has(module)) {
      const index = ctx.needs.dependencies.findIndex((d) => d.name === module);
      if (index >= 0) ctx.needs.dependencies.splice(index, 1);
    }
  }
  // Secrets (configuration.X) that only fed the removed token or URL.
  let printed: string | undefined;
  for (let i = ctx.needs.secrets.length - 1; i >= 0; i--) {
    const name = ctx.needs.secrets[i];
    if (SECRETS.includes(name)) continue;
    printed ??= recast.print(rule.body).code;
    if (!new RegExp(`\\b${name}\\b`).test(printed)) ctx.needs.secrets.splice(i, 1);
  }
}

function identifierNames(node: unknown): string[] {
  const names: string[] = [];
  walk(node, (child) => {
    if (isIdentifierType(child.type)) names.push(child.name as string);
  });
  return names;
}

/** `x` or `{ a, b: c }` → the names a declarator declares that removeUnused can count. */
function declaratorNames(declarator: K.VariableDeclarator): string[] {
  return n.Identifier.check(declarator.id)
    ? [declarator.id.name]
    : n.ObjectPattern.check(declarator.id)
      ? declarator.id.properties.flatMap((p) => ((n.ObjectProperty.check(p) || n.Property.check(p)) && n.Identifier.check(p.value) ? [p.value.name] : []))
      : [];
}

function classifyDeclarator(
  declarator: K.VariableDeclarator,
  scan: RuleScan,
  candidates: Set<string>,
  counts: Map<string, number>,
): { code: string; data: Record<string, string> } | null {
  const names = declaratorNames(declarator);
  if (names.length === 0 || names.some((name) => counts.has(name))) return null;
  const name = names.join(', ');
  const required = matchRequire(declarator.init);
  if (required) return { code: 'removed-require', data: { name, module: required.module } };
  if (scan.requires.some((r) => r.module === 'client' && r.declarator === declarator)) return { code: 'removed-client', data: { name } };
  if (names.some((n2) => candidates.has(n2))) return { code: 'removed-variable', data: { name } };
  const init = declarator.init ? recast.print(declarator.init).code : '';
  const apiish = /auth0\.(accessToken|baseUrl|domain)|\/api\/v2|Bearer/.test(init) || hasTokens(init);
  return apiish ? { code: 'removed-variable', data: { name } } : null;
}

/** `const management = managementClient(event, api);` right before the first call that needs it. */
export function placeClient(ctx: TransformContext, client: string, anchors: Statement[], lostTokens: string[]) {
  const declarations: Statement[] = [];
  for (const anchor of anchors) {
    let inScope = false;
    const anchorPath = findPath(ctx.rule.body, anchor);
    if (!anchorPath) continue;
    for (let p: NodePath | null = anchorPath; p && p.node !== ctx.rule.fn; p = p.parent) {
      const list = p.parentPath?.value;
      if (Array.isArray(list) && list.slice(0, list.indexOf(p.node)).some((s: Node) => declarations.includes(s as Statement))) inScope = true;
    }
    if (inScope) continue;
    const declaration = clientDeclaration(client);
    declarations.push(declaration);
    const path = anchorPath as NodePath;
    const comments = (anchor as { comments?: unknown[] }).comments;
    if (comments && declarations.length === 1) {
      (declaration as { comments?: unknown[] }).comments = comments;
      (anchor as { comments?: unknown[] }).comments = undefined;
    }
    if (Array.isArray(path.parentPath?.value)) path.insertBefore(declaration);
    else path.replace(b.blockStatement([declaration, anchor]));
  }
  // Keyword tokens must survive the rewrite byte for byte: keep the ones removed code held in a note.
  const tokens = lostTokens;
  if (tokens.length > 0 && declarations[0]) {
    const note = b.commentLine(` rules2actions: ${tokens.join(', ')} (keyword token) no longer used here: the Management API domain is the AUTH0_DOMAIN secret.`, true, false);
    const target = declarations[0] as { comments?: unknown[] };
    target.comments = [...(target.comments ?? []), note];
  }
}

export function setUp(ctx: TransformContext, scopes: readonly string[] = SCOPES) {
  const { module, options } = ctx;
  const existing = module.requires.findIndex((s) => n.VariableDeclaration.check(s) && matchRequire((s.declarations[0] as K.VariableDeclarator)?.init)?.module === 'auth0');
  if (existing >= 0) module.requires.splice(existing, 1, requireStatement());
  else module.requires.push(requireStatement());
  const hasPrelude = module.prelude.some((s) => n.FunctionDeclaration.check(s) && s.id?.name === CLIENT_FACTORY);
  if (!hasPrelude) module.prelude.push(...preludeStatements());
  for (const secret of SECRETS) ctx.addSecret(secret);
  for (const scope of scopes) ctx.addScope(scope);
  const version = SDK_VERSION[options.sdk];
  const dependency = ctx.needs.dependencies.find((d) => d.name === 'auth0');
  if (dependency) dependency.version = version;
  else ctx.addDependency({ name: 'auth0', version });
}
