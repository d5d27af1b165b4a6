import { keepFlow } from '../src/ast/flow.js';
import { b, enclosingStatement, n } from '../src/ast.js';
import type { Expression } from '../src/types.js';
import type { namedTypes as K } from 'ast-types';
import type { Node, Statement, Transform, TransformContext } from '../src/types.js';
import { CLIENT_FACTORY, ensureAdapter, SCOPES, sdkCall, SDK_VERSION, SUCCESS_STATUS } from './account-linking/emit.js';
import { flatten, unsafeReason, type AnsweredCalls, type Flattened } from './account-linking/checks.js';
import { scanRule, type Operation, type RuleScan } from './account-linking/operations.js';
import { chooseClientName, convertPrimaryUser, convertV2Query, placeClient, removeUnused, setUp } from './account-linking/rewrite.js';
import { securitySignals, unescapedEmail } from './account-linking/security.js';
import { hasTokens, tokensIn } from './account-linking/urls.js';
import { startOf } from '../src/nodes.js';

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
  // A link names /identities or a link method; other Management API calls name the API's base, a
  // legacy client or one of its methods.
  relevant: /identities|link|\/api\/v2|ManagementClient|auth0\s*\.\s*(?:baseUrl|domain|accessToken|users)/i,
  messages: {
    'linking-detected': {
      severity: 'info',
      text: 'Account linking: the Management API is called through ManagementClient (auth0@{{version}}) with the M2M application in the secrets AUTH0_DOMAIN, AUTH0_CLIENT_ID and AUTH0_CLIENT_SECRET (scopes read:users and update:users); its token is cached in api.cache.',
    },
    'management-api-detected': {
      severity: 'info',
      text: 'The Management API is called through ManagementClient (auth0@{{version}}) with the M2M application in the secrets AUTH0_DOMAIN, AUTH0_CLIENT_ID and AUTH0_CLIENT_SECRET (scopes {{scopes}}); its token is cached in api.cache, and the client is built only where a call needs it.',
    },
    'call-converted': { severity: 'info', text: '`{{from}}` → `await {{to}}`.' },
    'metadata-on-primary': {
      severity: 'warning',
      text: '`{{from}}` writes metadata onto another user (the linking rule\'s primary) through the Management API (users.update): in an Action, api.user.setAppMetadata/setUserMetadata change only the current user, and setPrimaryUser discards what was set in the same Action. Check that the merge targets the primary.',
    },
    'metadata-of-other-user': {
      severity: 'warning',
      text: '`{{from}}` names a user other than the one logging in (as far as the rule shows): api.user can only change the current user, so the write goes through the Management API (users.update) at once, as the Rules auth0 object did. If it is the current user after all, api.user.setAppMetadata/setUserMetadata needs no M2M application.',
    },
    'callback-flattened': {
      severity: 'info',
      text: 'The callback of `{{from}}` now follows an await; its error checks became a try/catch that answers as the rule did.',
    },
    'handler-inlined': {
      severity: 'info',
      text: '`{{name}}` was the callback of `{{from}}` and used nowhere else: its body now follows the await, and its declaration is gone.',
    },
    'unchecked-api-error': {
      severity: 'warning',
      text: 'The rule did not check for a failure of `{{from}}`; in the Action a failed call throws and the login fails where the rule went on.',
      suggestion: 'Wrap the call in try/catch and deny with a message (or log and continue).',
    },
    'unchecked-http-status': {
      severity: 'warning',
      text: '`{{from}}` gives an HTTP error (4xx such as 409 when an identity is already linked, 429, 5xx) in its response, not in `err`, and the rule did not test the status: it went on after such a failure. The SDK call throws instead, so the Action answers as the rule\'s `err` check did.',
      suggestion: 'Keep the Action\'s answer if a failed call should stop the login; to go on as the rule did, catch the error and continue.',
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
      text: 'The legacy client `{{name}}` (built with the Rules token auth0.accessToken or credentials of its own) is replaced by a ManagementClient built from the Action secrets, only where a call needs it.',
    },
    'removed-wrapper': {
      severity: 'warning',
      text: '`{{name}}` wrapped a request to the Management API in a promise of the response body; its calls now go through ManagementClient, so it is no longer used and stays only as this comment: delete it once reviewed. An HTTP error now rejects with the SDK\'s error, not the one the helper built.',
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
    'flow-kept': {
      severity: 'warning',
      text: '`{{call}}` → `{{to}}` where the rule called it, in the same {{shape}} ({{adapter}}): the flow was kept because {{reason}}. It no longer needs request or the Rules token; flatten it into await when you can.',
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
    const scan = scanRule(ctx.rule.body, ctx.module.requires, [], flowNames(ctx));
    if (scan.operations.length === 0) return;
    const links = scan.operations.filter((op) => op.endpoint.kind === 'link');
    if (links.length === 0) {
      // Other Management API calls: converted when every flow flattens; otherwise left for
      // no-equivalent's findings on the Rules token.
      const reasons = new Map(scan.operations.map((op) => [op, unsafeReason(op, scan.operations, ctx.rule)] as const).filter(([, r]) => r) as Array<[Operation, string]>);
      if (reasons.size > 0) convertKeepingFlow(ctx, scan, reasons, false);
      else convert(ctx, scan, [], false);
      return;
    }
    ctx.markLinking?.();

    const deferred = reportSecurity(ctx, scan);
    const unsafe = scan.operations.map((op) => ({ op, reason: unsafeReason(op, scan.operations, ctx.rule) })).filter((u) => u.reason);
    if (unsafe.length > 0) {
      // The reason names the flow kept (callback-bridge) if callback-to-return cannot flatten around it.
      keepFlow(ctx.rule, `the linking flow is kept: ${unsafe[0].reason}`);
      convertKeepingFlow(ctx, scan, new Map(unsafe.map((u) => [u.op, u.reason!])), true);
      for (const d of deferred) ctx.todo({ node: d.op.call, code: d.code, statement: enclosingStatement(d.op.path)!.node });
      return;
    }
    convert(ctx, scan, deferred, true);
  },
};

const flowNames = (ctx: TransformContext) => ({ user: ctx.rule.user, context: ctx.rule.context, callback: ctx.rule.callback });

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

function convert(ctx: TransformContext, firstScan: RuleScan, deferred: DeferredTodo[], linking: boolean) {
  const { rule, options } = ctx;
  const sdk = options.sdk;
  const client = chooseClientName(ctx, firstScan);
  const scopes = scopesFor(firstScan.operations);
  if (linking) {
    const firstLink = firstScan.operations.find((op) => op.endpoint.kind === 'link')!;
    ctx.report({ node: firstLink.call, code: 'linking-detected', data: { version: SDK_VERSION[sdk] } });
  } else {
    ctx.report({ node: firstScan.operations[0].call, code: 'management-api-detected', data: { version: SDK_VERSION[sdk], scopes: scopes.join(', ') } });
  }

  // Printing the body to find them is costly: only when the rule has keyword tokens at all.
  const tokensBefore = hasTokens(ctx.text) ? tokensIn(rule.body) : [];
  const queriesChanged = reportBases(ctx, firstScan);

  // Outermost first: flattening a callback hoists the calls nested in it into the rule body.
  const answered: AnsweredCalls = new Set();
  const generated = new WeakSet<Node>();
  const linkAnchors = new Set<Node>();
  const anchors: Statement[] = [];
  const anchorOf = new Map<Node, Statement>();
  // The first scan is the tree as it still is unless a client declaration was removed or a query
  // rewritten above: one walk and scope analysis fewer (a scan was a third of this transform).
  let unchanged: RuleScan | null = firstScan.clients.has(client) || queriesChanged ? null : firstScan;
  for (;;) {
    const scan = unchanged ?? scanRule(rule.body, ctx.module.requires, firstScan.clients, flowNames(ctx));
    unchanged = null;
    const op = scan.operations.find((o) => !generated.has(o.call));
    if (!op) break;
    const wasCallback = op.style === 'callback' || op.style === 'chain';
    const original = op.call;
    const result: Flattened = flatten(op, rule, sdk, client, answered);
    generated.add(result.call);
    anchors.push(result.anchor);
    anchorOf.set(original, result.work ?? result.anchor);
    if (op.endpoint.kind === 'link') linkAnchors.add(result.work ?? result.anchor);
    ctx.report({ node: original, code: 'call-converted', data: { from: op.describe, to: result.describe } });
    if (linking && op.endpoint.kind === 'update-user') ctx.report({ node: original, code: 'metadata-on-primary', data: { from: op.describe } });
    else if (op.otherUserMetadata) ctx.report({ node: original, code: 'metadata-of-other-user', data: { from: op.describe } });
    if (wasCallback) ctx.report({ node: original, code: 'callback-flattened', data: { from: op.describe } });
    for (const node of result.inlined ?? []) ctx.report({ node, code: 'handler-inlined', data: { name: String((node as K.FunctionDeclaration).id?.name ?? ''), from: op.describe } });
    if (result.unchecked && (wasCallback || op.transport === 'fetch')) ctx.report({ node: original, code: 'unchecked-api-error', data: { from: op.describe } });
    if (result.statusUnchecked) ctx.report({ node: original, code: 'unchecked-http-status', data: { from: op.describe } });
  }
  for (const d of deferred) {
    ctx.todo({ node: d.op.call, code: d.code, statement: anchorOf.get(d.op.call) });
  }

  if (linking) convertPrimaryUser(ctx, linkAnchors);
  removeUnused(ctx, firstScan);
  const tokensAfter = tokensBefore.length > 0 ? tokensIn(rule.body) : [];
  const lost = tokensBefore.filter((token) => {
    const index = tokensAfter.indexOf(token);
    if (index < 0) return true;
    tokensAfter.splice(index, 1);
    return false;
  });
  placeClient(ctx, client, anchors, lost);
  setUp(ctx, scopes);
}

/**
 * A Management API base other than auth0.baseUrl becomes the AUTH0_DOMAIN secret; search v2 becomes v3.
 * True when a query was rewritten (the tree changed).
 */
function reportBases(ctx: TransformContext, firstScan: RuleScan): boolean {
  const reportedBases = new Set<string>();
  let changed = false;
  for (const entry of firstScan.requires) {
    const host = entry.module === 'client' ? hardCodedDomain(entry.declarator.init) : null;
    if (!host) continue;
    reportedBases.add(`https://${host}/api/v2`);
    ctx.report({ node: entry.declarator, code: 'tenant-url', data: { base: `https://${host}/api/v2`, host: ` (${host}, unless that is a custom domain)` } });
  }
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
      if (raw) changed = true;
      ctx.report({ node: op.call, code: 'search-v2-converted', data: { raw: raw ? ' and `email.raw` became `email`' : '' } });
    }
  }
  return changed;
}

/**
 * The second level of rewrite: where a flow cannot be flattened, each call is replaced where it is by
 * its ManagementClient call, wrapped so that it answers in the rule's own shape (an error-first
 * callback as `request` or the old client called it, a promise, a fetch Response). The Action keeps
 * the rule's control flow and no longer depends on `request` or the Rules token.
 */
function convertKeepingFlow(ctx: TransformContext, scan: RuleScan, reasons: Map<Operation, string>, linking: boolean) {
  const { options } = ctx;
  const client = chooseClientName(ctx, scan);
  const scopes = scopesFor(scan.operations);
  const first = scan.operations.find((op) => op.endpoint.kind === 'link') ?? scan.operations[0];
  if (linking) ctx.report({ node: first.call, code: 'linking-detected', data: { version: SDK_VERSION[options.sdk] } });
  else ctx.report({ node: first.call, code: 'management-api-detected', data: { version: SDK_VERSION[options.sdk], scopes: scopes.join(', ') } });
  reportBases(ctx, scan);
  const tokensBefore = hasTokens(ctx.text) ? tokensIn(ctx.rule.body) : [];
  // Innermost first: an outer call's replacement carries its callback, with the inner calls already replaced.
  const ordered = [...scan.operations].sort((a, b) => startOf(b.call) - startOf(a.call));
  for (const op of ordered) {
    const sdkResult = sdkCall(op.endpoint, options.sdk, client);
    const promise = unwrapData(inlineClient(sdkResult.call, client), sdkResult.data);
    const kept = keptShape(op, promise, ctx);
    op.path.replace(kept.expression);
    const reason = reasons.get(op) ?? 'another call of the same flow could not be flattened';
    ctx.report({ node: op.call, code: 'flow-kept', data: { call: op.describe, to: sdkResult.describe, shape: kept.shape, adapter: kept.adapter, reason } });
    if (linking && op.endpoint.kind === 'update-user') ctx.report({ node: op.call, code: 'metadata-on-primary', data: { from: op.describe } });
    else if (op.otherUserMetadata) ctx.report({ node: op.call, code: 'metadata-of-other-user', data: { from: op.describe } });
  }
  removeUnused(ctx, scan);
  // Keyword tokens must survive byte for byte: the ones the removed options held go into a note.
  const tokensAfter = tokensBefore.length > 0 ? tokensIn(ctx.rule.body) : [];
  const lost = tokensBefore.filter((token) => {
    const index = tokensAfter.indexOf(token);
    if (index < 0) return true;
    tokensAfter.splice(index, 1);
    return false;
  });
  const outermost = ordered[ordered.length - 1];
  const holder = outermost && enclosingStatement(outermost.path)?.node;
  if (lost.length > 0 && holder) {
    const note = b.commentLine(` rules2actions: ${lost.join(', ')} (keyword token) no longer used here: the Management API domain is the AUTH0_DOMAIN secret.`, true, false);
    (holder as { comments?: unknown[] }).comments = [...((holder as { comments?: unknown[] }).comments ?? []), note];
  }
  setUp(ctx, scopes);
}

/** `client.users.x(…)` → `managementClient(event, api).users.x(…)`: built where the call is made, nothing at the top. */
function inlineClient(call: Expression, client: string): Expression {
  let node: unknown = (call as K.CallExpression).callee;
  while (n.MemberExpression.check(node) && n.MemberExpression.check(node.object)) node = node.object;
  if (n.MemberExpression.check(node) && n.Identifier.check(node.object) && node.object.name === client) {
    node.object = b.callExpression(b.identifier(CLIENT_FACTORY), [b.identifier('event'), b.identifier('api')]);
  }
  return call;
}

function unwrapData(call: Expression, data: boolean): Expression {
  if (!data) return call;
  const result = b.identifier('result');
  return b.callExpression(b.memberExpression(call, b.identifier('then')), [b.arrowFunctionExpression([result], b.memberExpression(result, b.identifier('data')))]);
}

/** The expression that stands where the rule's call was. */
function keptShape(op: Operation, promise: Expression, ctx: TransformContext): { expression: Expression; shape: string; adapter: string } {
  const callback = op.style === 'callback' ? (op.call.arguments[op.call.arguments.length - 1] as Expression) : null;
  const status = b.numericLiteral(SUCCESS_STATUS[op.endpoint.kind]);
  if (op.transport === 'request') {
    ensureAdapter(ctx.module.prelude, 'requestCallback');
    const done = callback ?? b.arrowFunctionExpression([], b.blockStatement([]));
    return {
      expression: b.callExpression(b.identifier('requestCallback'), [promise, done, b.booleanLiteral(Boolean(op.json)), status]),
      shape: callback ? 'error-first callback' : 'fire-and-forget call',
      adapter: 'requestCallback answers as request did',
    };
  }
  if (op.transport === 'sdk' && callback) {
    ensureAdapter(ctx.module.prelude, 'sdkCallback');
    return { expression: b.callExpression(b.identifier('sdkCallback'), [promise, callback]), shape: 'error-first callback', adapter: 'sdkCallback answers as the old client did' };
  }
  if (op.transport === 'fetch') {
    ensureAdapter(ctx.module.prelude, 'fetchResponse');
    return { expression: b.callExpression(b.identifier('fetchResponse'), [promise, status]), shape: 'promise of a Response', adapter: 'fetchResponse answers as fetch did' };
  }
  if (op.transport === 'axios') {
    const data = b.identifier('data');
    const response = b.objectExpression([b.objectProperty(data, data), b.objectProperty(b.identifier('status'), status)]);
    response.properties[0] = Object.assign(b.objectProperty(data, data), { shorthand: true });
    return {
      expression: b.callExpression(b.memberExpression(promise, b.identifier('then')), [b.arrowFunctionExpression([data], response)]),
      shape: 'promise',
      adapter: 'resolving to { data, status } as axios did',
    };
  }
  return { expression: promise, shape: 'promise', adapter: 'the SDK promise resolves to the same result' };
}

/** `new ManagementClient({ domain: 'tenant.auth0.com', … })` → the host. */
function hardCodedDomain(init: unknown): string | null {
  if (!n.NewExpression.check(init)) return null;
  const [options] = init.arguments;
  if (!n.ObjectExpression.check(options)) return null;
  for (const prop of options.properties) {
    if (!(n.ObjectProperty.check(prop) || n.Property.check(prop)) || prop.computed) continue;
    const key = n.Identifier.check(prop.key) ? prop.key.name : null;
    const value = prop.value;
    if (key === 'domain' && n.StringLiteral.check(value)) return value.value.replace(/^https?:\/\//, '').replace(/\/.*$/, '');
  }
  return null;
}

/** The M2M application's scopes the converted calls need (Management API v2 scopes per endpoint). */
const ENDPOINT_SCOPES: Record<Operation['endpoint']['kind'], string[]> = {
  'by-email': ['read:users'],
  search: ['read:users'],
  'get-user': ['read:users'],
  'update-user': ['update:users'],
  link: ['update:users'],
  unlink: ['update:users'],
  'user-roles': ['read:users', 'read:roles'],
  'assign-roles': ['update:users', 'create:role_members'],
  'user-permissions': ['read:users'],
  'verification-email': ['update:users'],
  connections: ['read:connections'],
};

function scopesFor(operations: Operation[]): string[] {
  const wanted = new Set(operations.flatMap((op) => ENDPOINT_SCOPES[op.endpoint.kind]));
  // Linking rules have always been given both (the search and the link).
  if (operations.some((op) => op.endpoint.kind === 'link')) for (const scope of SCOPES) wanted.add(scope);
  return [...wanted].sort();
}
