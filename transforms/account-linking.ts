import * as recast from 'recast';
import { b, enclosingStatement, isRuleParam, memberChain, n, type NodePath } from '../src/ast.js';
import type { Node, Statement, Transform, TransformContext } from '../src/types.js';
import { countReferences } from './account-linking/bindings.js';
import { CLIENT_FACTORY, clientDeclaration, preludeStatements, requireStatement, SCOPES, SDK_VERSION, SECRETS } from './account-linking/emit.js';
import { flatten, unsafeReason, type Flattened, type InheritedHandlers } from './account-linking/flatten.js';
import { matchRequire, scanRule, type Operation, type RuleScan } from './account-linking/operations.js';
import { securitySignals, unescapedEmail } from './account-linking/security.js';
import { tokensIn } from './account-linking/urls.js';

import type { namedTypes as K } from 'ast-types';

/**
 * Account linking (issue 3): Management API calls made with `request`, `axios`, the legacy `auth0`
 * client or the Rules `auth0.users` object become `ManagementClient` calls of the chosen SDK major;
 * callback and `.then` flows are flattened into `await`; `context.primaryUser = id` after the link
 * becomes `api.authentication.setPrimaryUser(id)`. Fires only when the rule links (a call to
 * `/identities`, `linkUsers`, `users.link`); a flow that cannot be flattened safely stays as it was.
 * Runs before callback-to-return, which converts the callback calls flattened into the rule body.
 */
export const accountLinking: Transform = {
  id: 'account-linking',
  description: 'Account linking: Management API calls → ManagementClient (cached M2M token), callbacks flattened, setPrimaryUser',
  safety: 'review',
  messages: {
    'linking-detected': {
      severity: 'info',
      text: 'Account linking: the Management API is called through ManagementClient (auth0@{{version}}) with the M2M application in the secrets AUTH0_DOMAIN, AUTH0_CLIENT_ID and AUTH0_CLIENT_SECRET (scopes read:users and update:users); its token is cached in api.cache.',
    },
    'call-converted': { severity: 'info', text: '`{{from}}` → `await {{to}}`.' },
    'callback-flattened': {
      severity: 'info',
      text: 'The callback of `{{from}}` now follows an await; its error checks became a try/catch that answers as the rule did.',
    },
    'unchecked-api-error': {
      severity: 'warning',
      text: 'The rule did not check for a failure of `{{from}}`; in the Action a failed call throws and the login fails.',
      suggestion: 'Wrap the call in try/catch and deny with a message (or log and continue).',
    },
    'primary-user': {
      severity: 'info',
      text: '`context.primaryUser = …` → api.authentication.setPrimaryUser(…), after the link has succeeded.',
    },
    'primary-user-from-returned-user': {
      severity: 'warning',
      text: 'After linking, the rule passed `{{value}}` back to the callback to switch the login to it; that has no effect (neither did it in Rules). The Action calls api.authentication.setPrimaryUser({{value}}.user_id) so the login continues as the primary: check that this is what the rule meant.',
    },
    'removed-require': { severity: 'info', text: '`{{name}}` ({{module}}) is no longer needed: the Action calls the Management API through ManagementClient.' },
    'removed-client': {
      severity: 'info',
      text: 'The legacy client `{{name}}` (Rules token auth0.accessToken) is replaced by a ManagementClient built from the Action secrets.',
    },
    'removed-variable': {
      severity: 'info',
      text: '`{{name}}` held a Management API URL, token or headers; the ManagementClient needs none of them.',
    },
    'tenant-url': {
      severity: 'info',
      text: 'The Management API base URL ({{base}}) becomes the AUTH0_DOMAIN secret; set it to the tenant\'s default domain{{host}}.',
    },
    'search-v2-converted': {
      severity: 'warning',
      text: 'User search v2 is gone (end of life 2019-06-30): the query now runs on search engine v3{{raw}}. v3 matches email case-insensitively; review the results.',
    },
    'unsafe-linking-flow': {
      severity: 'error',
      text: '`{{call}}` was not converted: {{reason}}. Rewrite this flow with await (see the Account linking section of the README).',
    },
    'link-unverified-email': {
      severity: 'error',
      text: 'Accounts are linked by email without checking email_verified on either side: anyone who signs up with a victim\'s address takes over the account. The Action keeps this behaviour.',
      suggestion: 'Link only when event.user.email_verified and the candidate\'s email_verified are both true.',
    },
    'link-unverified-current-user': {
      severity: 'warning',
      text: 'The current user\'s email_verified is not checked before linking: an unverified signup can be merged into an existing account.',
      suggestion: 'Return early unless event.user.email_verified is true.',
    },
    'link-unverified-candidates': {
      severity: 'warning',
      text: 'The candidates\' email_verified is not checked before linking: an account that never proved its email can become the primary.',
      suggestion: 'Keep only candidates with email_verified === true.',
    },
    'link-current-user-not-excluded': {
      severity: 'warning',
      text: 'The search also returns the current user and the rule does not exclude it: it may try to link the user to itself.',
      suggestion: 'Filter out candidates whose user_id equals event.user.user_id.',
    },
    'link-ambiguous-candidates': {
      severity: 'warning',
      text: 'When several accounts match, the rule picks one without a deterministic rule (the API order is not guaranteed).',
      suggestion: 'Deny or skip when there is more than one candidate, or sort them (e.g. by created_at).',
    },
    'unescaped-email': {
      severity: 'warning',
      text: 'The email goes into the {{where}} unencoded: quotes, `+` or `&` in an address change what is searched. {{now}}',
      suggestion: 'Use users-by-email, or escape the email before putting it into a search query.',
    },
    'search-on-every-login': {
      severity: 'warning',
      text: 'The Management API is searched on every login with no guard: each login costs API rate limit (and an M2M token when the cache is cold).',
      suggestion: 'Skip when event.stats.logins_count > 1, when event.user.identities.length > 1, or when an app_metadata flag says linking was done.',
    },
    'token-logged': {
      severity: 'warning',
      text: 'A Management API token is written to the logs.',
      suggestion: 'Remove the log statement: logs are readable by everyone with dashboard access.',
    },
    'link-id-split': {
      severity: 'warning',
      text: '`split(\'|\')[1]` takes the second segment of a user id: wrong for ids such as oauth2|github|123. The Action keeps it.',
      suggestion: 'Use the identity\'s own user_id (identities[0].user_id) or cut at the first `|` only.',
    },
  },
  apply(ctx) {
    const scan = scanRule(ctx.rule.body, ctx.module.requires);
    const links = scan.operations.filter((op) => op.endpoint.kind === 'link');
    if (links.length === 0) return;
    ctx.markLinking?.();

    const deferred = reportSecurity(ctx, scan);
    const inherited: InheritedHandlers = new Map();
    const unsafe = scan.operations.map((op) => ({ op, reason: unsafeReason(op, scan.operations, ctx.rule, inherited) })).filter((u) => u.reason);
    if (unsafe.length > 0) {
      for (const { op, reason } of unsafe) {
        ctx.todo({ node: op.call, code: 'unsafe-linking-flow', data: { call: op.describe, reason: reason! }, statement: enclosingStatement(op.path)!.node });
      }
      for (const d of deferred) ctx.todo({ node: d.op.call, code: d.code, statement: enclosingStatement(d.op.path)!.node });
      return;
    }
    convert(ctx, scan, deferred);
  },
};

interface DeferredTodo {
  op: Operation;
  code: string;
}

/** Reports what the rule as written risks; error findings get their TODO once the link is rewritten. */
function reportSecurity(ctx: TransformContext, scan: RuleScan): DeferredTodo[] {
  const signals = securitySignals(ctx.rule, scan.operations);
  const link = scan.operations.find((op) => op.endpoint.kind === 'link')!;
  const search = scan.operations.find((op) => op.endpoint.kind !== 'link');
  const deferred: DeferredTodo[] = [];
  if (!signals.verifiesCurrentUser && !signals.verifiesCandidates) deferred.push({ op: link, code: 'link-unverified-email' });
  else if (!signals.verifiesCurrentUser) ctx.report({ node: link.call, code: 'link-unverified-current-user' });
  else if (!signals.verifiesCandidates) ctx.report({ node: link.call, code: 'link-unverified-candidates' });
  if (search && !signals.excludesCurrentUser) ctx.report({ node: search.call, code: 'link-current-user-not-excluded' });
  if (search && !signals.choosesDeterministically) ctx.report({ node: link.call, code: 'link-ambiguous-candidates' });
  if (search && !signals.guardsSearch) ctx.report({ node: search.call, code: 'search-on-every-login' });
  for (const op of scan.operations) {
    if (op.endpoint.kind === 'link' || !unescapedEmail(op, ctx.rule.user)) continue;
    const byEmail = op.endpoint.kind === 'by-email';
    ctx.report({
      node: op.call,
      code: 'unescaped-email',
      data: {
        where: byEmail ? 'URL' : 'search query',
        now: byEmail ? 'The SDK encodes it now, so such addresses find their accounts in the Action where the rule found none.' : 'The Action keeps the query as the rule built it.',
      },
    });
  }
  for (const node of signals.splitIds) ctx.report({ node, code: 'link-id-split' });
  for (const node of signals.tokenLogs) ctx.report({ node, code: 'token-logged' });
  return deferred;
}

function convert(ctx: TransformContext, firstScan: RuleScan, deferred: DeferredTodo[]) {
  const { rule, options } = ctx;
  const sdk = options.sdk;
  const client = chooseClientName(ctx, firstScan);
  const firstLink = firstScan.operations.find((op) => op.endpoint.kind === 'link')!;
  ctx.report({ node: firstLink.call, code: 'linking-detected', data: { version: SDK_VERSION[sdk] } });

  const tokensBefore = tokensIn(rule.body);
  const reportedBases = new Set<string>();
  for (const op of firstScan.operations) {
    if (op.url && op.url.base !== 'base-url') {
      const base = op.url.base === 'hard-coded' ? `https://${op.url.host}/api/v2` : op.url.base === 'keyword-token' ? 'a keyword token' : 'a domain expression';
      if (!reportedBases.has(base)) {
        reportedBases.add(base);
        ctx.report({ node: op.call, code: 'tenant-url', data: { base, host: op.url.host ? ` (${op.url.host}, unless that is a custom domain)` : '' } });
      }
    }
    if (op.endpoint.kind === 'search' && op.endpoint.engine === 'v2') {
      const raw = convertV2Query(op);
      ctx.report({ node: op.call, code: 'search-v2-converted', data: { raw: raw ? ' and `email.raw` became `email`' : '' } });
    }
  }

  // Outermost first: flattening a callback hoists the calls nested in it into the rule body.
  const inherited: InheritedHandlers = new Map();
  const generated = new WeakSet<Node>();
  const linkAnchors = new Set<Node>();
  const anchors: Statement[] = [];
  const anchorOf = new Map<Node, Statement>();
  for (;;) {
    const scan = scanRule(rule.body, ctx.module.requires, firstScan.clients);
    const op = scan.operations.find((o) => !generated.has(o.call));
    if (!op) break;
    const wasCallback = op.style === 'callback' || op.style === 'then';
    const original = op.call;
    const result: Flattened = flatten(op, rule, sdk, client, inherited);
    generated.add(result.call);
    anchors.push(result.anchor);
    anchorOf.set(original, result.anchor);
    if (op.endpoint.kind === 'link') linkAnchors.add(result.anchor);
    ctx.report({ node: original, code: 'call-converted', data: { from: op.describe, to: result.describe } });
    if (wasCallback) ctx.report({ node: original, code: 'callback-flattened', data: { from: op.describe } });
    if (result.unchecked && wasCallback) ctx.report({ node: original, code: 'unchecked-api-error', data: { from: op.describe } });
  }
  for (const d of deferred) {
    ctx.todo({ node: d.op.call, code: d.code, statement: anchorOf.get(d.op.call) });
  }

  convertPrimaryUser(ctx, linkAnchors);
  removeUnused(ctx, firstScan);
  const tokensAfter = tokensIn(rule.body);
  const lost = tokensBefore.filter((token) => {
    const index = tokensAfter.indexOf(token);
    if (index < 0) return true;
    tokensAfter.splice(index, 1);
    return false;
  });
  placeClient(ctx, client, anchors, lost);
  setUp(ctx);
}

/**
 * The legacy client's own name when the converted calls were its only uses (its declaration goes);
 * otherwise a fresh name, and the legacy client stays for a human to look at.
 */
function chooseClientName(ctx: TransformContext, scan: RuleScan): string {
  const receiverOf = (op: Operation) => memberChain(op.call.callee)![0];
  for (const name of scan.clients) {
    const converted = scan.operations.filter((op) => op.transport === 'sdk' && receiverOf(op) === name).length;
    if (converted === 0 || countReferences(ctx.rule.body, name) !== converted) continue;
    const entry = scan.requires.find((r) => r.module === 'client' && r.name === name)!;
    recast.visit(ctx.rule.body, {
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
  for (const name of [base, `${base}Api`, `${base}Client`]) if (countReferences(body, name) === 0) return name;
  return `${base}2`;
}

/** `email.raw:` existed in search v2 only. */
function convertV2Query(op: Operation): boolean {
  if (op.endpoint.kind !== 'search' || !op.endpoint.q) return false;
  let changed = false;
  recast.visit(op.endpoint.q, {
    visitStringLiteral(path) {
      if (path.node.value.includes('email.raw:')) {
        path.replace(b.stringLiteral(path.node.value.replace(/email\.raw:/g, 'email:')));
        changed = true;
      }
      return false;
    },
  });
  return changed;
}

/** `context.primaryUser = id` after a link → setPrimaryUser; earlier ones are left to primary-user. */
function convertPrimaryUser(ctx: TransformContext, linkAnchors: Set<Node>) {
  const { rule } = ctx;
  if (!signalsPrimary(rule)) primaryFromReturnedUser(ctx, linkAnchors);
  recast.visit(rule.body, {
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
  });
}

/** Whether the rule says who the primary is through `context.primaryUser` or `user.user_id`. */
function signalsPrimary(rule: TransformContext['rule']): boolean {
  let found = false;
  recast.visit(rule.body, {
    visitAssignmentExpression(path) {
      const chain = memberChain(path.node.left);
      if (chain?.length === 2 && ((chain[0] === rule.context && chain[1] === 'primaryUser') || (chain[0] === rule.user && chain[1] === 'user_id'))) found = true;
      this.traverse(path);
    },
  });
  return found;
}

/** `callback(null, primaryUser, context)` after the link: the rule's way of naming the primary. */
function primaryFromReturnedUser(ctx: TransformContext, linkAnchors: Set<Node>) {
  const { rule } = ctx;
  recast.visit(rule.body, {
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

function contains(root: Node, target: Node): boolean {
  if (root === target) return true;
  let found = false;
  recast.visit(root, {
    visitNode(path) {
      if (path.node === target) {
        found = true;
        return false;
      }
      this.traverse(path);
    },
  });
  return found;
}

function afterLink(path: NodePath, anchors: Set<Node>): boolean {
  for (let current: NodePath | null = path; current; current = current.parent) {
    const list = current.parentPath?.value;
    if (Array.isArray(list)) {
      const before = list.slice(0, list.indexOf(current.node)) as Node[];
      if (before.some((s) => [...anchors].some((a) => contains(s, a)))) return true;
    }
    if (n.Function.check(current.node)) return false;
  }
  return false;
}

/** Requires, legacy clients, URL/token/header variables the converted calls no longer read. */
function removeUnused(ctx: TransformContext, scan: RuleScan) {
  const { rule } = ctx;
  const candidates = new Set<string>(scan.operations.flatMap((op) => op.inputs));
  for (;;) {
    let removed = false;
    recast.visit(rule.body, {
      visitVariableDeclaration(path) {
        const declaration = path.node;
        for (const declarator of [...declaration.declarations] as K.VariableDeclarator[]) {
          const found = classifyDeclarator(declarator, scan, candidates, rule.body);
          if (!found) continue;
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
    });
    if (!removed) break;
  }
  // A require already hoisted by require-dependencies, and its dependency.
  const body = rule.body as unknown as Node;
  ctx.module.requires.splice(0, ctx.module.requires.length, ...ctx.module.requires.filter((statement) => {
    if (!n.VariableDeclaration.check(statement)) return true;
    const [declarator] = statement.declarations as K.VariableDeclarator[];
    const required = matchRequire(declarator?.init);
    if (!required || required.module === 'auth0') return !required;
    const names = n.Identifier.check(declarator.id) ? [declarator.id.name] : [];
    const keep = names.some((name) => countReferences(body, name) > 0);
    if (!keep) ctx.report({ node: statement, code: 'removed-require', data: { name: names.join(', '), module: required.module } });
    return keep;
  }));
  for (const module of ['request', 'axios', 'node-fetch']) {
    const stillUsed = [...ctx.module.requires, ...rule.body.body].some((s) => recast.print(s).code.includes(`require('${module}`));
    if (!stillUsed) {
      const index = ctx.needs.dependencies.findIndex((d) => d.name === module);
      if (index >= 0) ctx.needs.dependencies.splice(index, 1);
    }
  }
  // Secrets (configuration.X) that only fed the removed token or URL.
  const printed = recast.print(rule.body).code;
  for (let i = ctx.needs.secrets.length - 1; i >= 0; i--) {
    const name = ctx.needs.secrets[i];
    if (!SECRETS.includes(name) && !new RegExp(`\\b${name}\\b`).test(printed)) ctx.needs.secrets.splice(i, 1);
  }
}

function identifierNames(node: unknown): string[] {
  const names: string[] = [];
  if (!node) return names;
  recast.visit(node as Node, {
    visitIdentifier(path) {
      names.push(path.node.name);
      this.traverse(path);
    },
  });
  return names;
}

function classifyDeclarator(
  declarator: K.VariableDeclarator,
  scan: RuleScan,
  candidates: Set<string>,
  body: Node,
): { code: string; data: Record<string, string> } | null {
  const names = n.Identifier.check(declarator.id)
    ? [declarator.id.name]
    : n.ObjectPattern.check(declarator.id)
      ? declarator.id.properties.flatMap((p) => ((n.ObjectProperty.check(p) || n.Property.check(p)) && n.Identifier.check(p.value) ? [p.value.name] : []))
      : [];
  if (names.length === 0 || names.some((name) => countReferences(body, name) > 0)) return null;
  const name = names.join(', ');
  const required = matchRequire(declarator.init);
  if (required) return { code: 'removed-require', data: { name, module: required.module } };
  if (scan.requires.some((r) => r.module === 'client' && r.declarator === declarator)) return { code: 'removed-client', data: { name } };
  const init = declarator.init ? recast.print(declarator.init).code : '';
  const apiish = /auth0\.(accessToken|baseUrl|domain)|\/api\/v2|Bearer/.test(init) || tokensIn(declarator.init).length > 0;
  if (names.some((n2) => candidates.has(n2)) || apiish) return { code: 'removed-variable', data: { name } };
  return null;
}

/** `const management = managementClient(event, api);` right before the first call that needs it. */
function placeClient(ctx: TransformContext, client: string, anchors: Statement[], lostTokens: string[]) {
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

function findPath(root: Node, target: Node): NodePath | null {
  const found: NodePath[] = [];
  recast.visit(root, {
    visitNode(path) {
      if (path.node === target) {
        found.push(path);
        return false;
      }
      this.traverse(path);
    },
  });
  return found[0] ?? null;
}

function setUp(ctx: TransformContext) {
  const { module, options } = ctx;
  const existing = module.requires.findIndex((s) => n.VariableDeclaration.check(s) && matchRequire((s.declarations[0] as K.VariableDeclarator)?.init)?.module === 'auth0');
  if (existing >= 0) module.requires.splice(existing, 1, requireStatement());
  else module.requires.push(requireStatement());
  const hasPrelude = module.prelude.some((s) => n.FunctionDeclaration.check(s) && s.id?.name === CLIENT_FACTORY);
  if (!hasPrelude) module.prelude.push(...preludeStatements());
  for (const secret of SECRETS) ctx.addSecret(secret);
  for (const scope of SCOPES) ctx.addScope(scope);
  const version = SDK_VERSION[options.sdk];
  const dependency = ctx.needs.dependencies.find((d) => d.name === 'auth0');
  if (dependency) dependency.version = version;
  else ctx.addDependency({ name: 'auth0', version });
}

export type { Statement };
