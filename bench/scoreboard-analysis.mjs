// What the real-world scoreboard (bench/scoreboard.mjs) measures in one rule and its Action. Independent
// of our transforms on purpose: it parses with @babel/parser, resolves names with @babel/traverse's
// scopes and judges validity with V8, so a transform cannot move its own denominator.
import vm from 'node:vm';
import * as babelParser from '@babel/parser';
import traverseModule from '@babel/traverse';

const traverse = traverseModule.default ?? traverseModule;

const babelOptions = {
  sourceType: 'script',
  allowReturnOutsideFunction: true,
  allowAwaitOutsideFunction: true,
  errorRecovery: false,
};

// ---------------------------------------------------------------------------------------------
// Valid JavaScript
// ---------------------------------------------------------------------------------------------

/**
 * "Valid JavaScript", `node --check` style: V8 compiles the text (keyword tokens masked as a0deploy
 * would replace them; nothing runs) in one of the forms a Rule is stored in: a script (a named
 * `function rule(…) {}` or `module.exports = …`), a parenthesised expression (the usual anonymous
 * `function (user, context, callback) {…}`) or an async function body (a bare body).
 */
export function isValidJavaScript(masked) {
  const text = masked.replace(/^\uFEFF/, '');
  const forms = [text, `(${text}\n)`, `(async function () {${text}\n})`];
  for (const form of forms) {
    try {
      new vm.Script(form, { filename: 'rule.js' });
      return true;
    } catch {
      // next form
    }
  }
  return false;
}

/**
 * Babel AST of a text in any of the same forms, with the offset of the text in the parsed form; null
 * when none parses. The text must not start with a byte order mark.
 */
export function parseAny(text) {
  const unbanged = text.replace(/^#!/, '//');
  for (const prefix of ['', '(', '(async function () {']) {
    const suffix = prefix === '' ? '' : prefix === '(' ? '\n)' : '\n})';
    try {
      return { ast: babelParser.parse(prefix + unbanged + suffix, babelOptions), offset: prefix.length };
    } catch {
      // next form
    }
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// Linking rules: ../shared/corpus/README.md, "What linking means here"
// ---------------------------------------------------------------------------------------------

/**
 * A linking rule searches users by email (the `users-by-email` endpoint, a user search, `getUsersByEmail`)
 * and/or links identities (`/identities`, `linkUsers`, `users.link`), or sets `context.primaryUser`.
 * Matched on the code with comments removed (on the raw text when it does not parse), so commented-out
 * code does not count. A "user search" is `/users` with a `q` (query string or `qs: { q }`) or
 * `search_engine`, or the SDK's `getUsers(…)` / `users.getAll(…)` with a `q`.
 */
export function isLinkingRule(source, parsed) {
  const code = parsed ? withoutComments(source, parsed) : source;
  if (/users-by-email|\bgetUsersByEmail\b|\busers\s*\.\s*getByEmail\b|\busersByEmail\s*\.\s*getByEmail\b/.test(code)) return true;
  if (/\/identities\b|\blinkUsers\b|\busers\s*\.\s*link\s*\(|\bidentities\s*\.\s*link\s*\(/.test(code)) return true;
  if (/\.\s*primaryUser\s*=(?!=)/.test(code)) return true;
  const userSearch =
    (/\/users\b/.test(code) && /search_engine|[?&]q=|\bq\s*:|['"]q['"]\s*:/.test(code)) ||
    /\b(getUsers|users\s*\.\s*getAll)\s*\(\s*\{[^}]*\bq\s*:/.test(code);
  return userSearch;
}

function withoutComments(source, { ast, offset }) {
  let out = '';
  let at = 0;
  for (const c of ast.comments ?? []) {
    const start = Math.max(0, c.start - offset);
    out += source.slice(at, start) + ' ';
    at = c.end - offset;
  }
  return out + source.slice(at);
}

// ---------------------------------------------------------------------------------------------
// Names, values and Management API calls
// ---------------------------------------------------------------------------------------------

/** HTTP clients a rule may call the Management API with, by package. */
const HTTP_PACKAGES = /^(request|request-promise|request-promise-native|axios|node-fetch|got|superagent|needle)(@.*)?$/;
const REQUEST_PACKAGE = /^(request|request-promise|request-promise-native)(@.*)?$/;
/** The same clients as Rules sandbox globals or Node/Action globals (used without a require). */
const HTTP_GLOBALS = new Set(['request', 'fetch', 'axios', 'rp']);
const RULES_AUTH0_MEMBERS = new Set(['accessToken', 'baseUrl', 'domain']);

function isFree(path, name) {
  return !path.scope.hasBinding(name, true);
}

function rootIdentifier(node) {
  while (node && (node.type === 'MemberExpression' || node.type === 'OptionalMemberExpression' || node.type === 'CallExpression')) {
    node = node.type === 'CallExpression' ? node.callee : node.object;
  }
  return node && node.type === 'Identifier' ? node : null;
}

function memberName(node) {
  if (node.computed) return node.property.type === 'StringLiteral' ? node.property.value : null;
  return node.property.type === 'Identifier' ? node.property.name : null;
}

function requiredPackage(init) {
  // require('x'), require('x').default, require('x')(…)
  let node = init;
  while (node && (node.type === 'MemberExpression' || (node.type === 'CallExpression' && node.callee.type !== 'Identifier'))) {
    node = node.type === 'MemberExpression' ? node.object : node.callee;
  }
  if (node?.type === 'CallExpression' && node.callee.type === 'Identifier' && node.callee.name === 'require') {
    const arg = node.arguments[0];
    if (arg?.type === 'StringLiteral') return arg.value;
  }
  return null;
}

/** The init of the variable an identifier names (declarator or assignment), with the scope to read it in. */
function valuesOf(path, name) {
  const binding = path.scope.getBinding(name);
  if (!binding) return [];
  const out = [];
  if (binding.path.isVariableDeclarator() && binding.path.node.init) out.push(binding.path.get('init'));
  if (binding.path.isFunctionDeclaration()) out.push(binding.path);
  for (const violation of binding.constantViolations) {
    if (violation.isAssignmentExpression()) out.push(violation.get('right'));
  }
  return out;
}

/**
 * Does an expression mention the Management API? A string or template part holding `/api/v2`, or the
 * Rules `auth0.baseUrl` / `auth0.domain` / `auth0.accessToken`, anywhere in it, following variables
 * (declarations and assignments) up to four levels deep.
 */
function mentionsManagementApi(path, depth = 0, seen = new Set()) {
  return mentions(path, (text) => text.includes('/api/v2'), true, depth, seen);
}

/** A client-credentials token request (`POST …/oauth/token`, its `audience` naming /api/v2/): not a Management API call. */
function mentionsTokenEndpoint(path) {
  return mentions(path, (text) => text.includes('/oauth/token'), false);
}

function mentions(path, test, rulesMembers, depth = 0, seen = new Set()) {
  if (!path?.node || depth > 4) return false;
  let found = false;
  const check = (p) => {
    if (found) return;
    const node = p.node;
    if (node.type === 'StringLiteral' && test(node.value)) found = true;
    else if (node.type === 'TemplateElement' && test(node.value.raw)) found = true;
    else if (rulesMembers && (node.type === 'MemberExpression' || node.type === 'OptionalMemberExpression') && isRulesAuth0Member(p)) found = true;
    else if (node.type === 'Identifier' && p.isReferencedIdentifier() && !seen.has(node.name)) {
      seen.add(node.name);
      for (const value of valuesOf(p, node.name)) if (mentions(value, test, rulesMembers, depth + 1, seen)) found = true;
    }
  };
  check(path);
  if (!found) path.traverse({ enter: check, noScope: false });
  return found;
}

function isRulesAuth0Member(path) {
  const { node } = path;
  return node.object.type === 'Identifier' && node.object.name === 'auth0' && isFree(path, 'auth0') && RULES_AUTH0_MEMBERS.has(memberName(node));
}

/** Which HTTP client a callee is: 'request' (the request package), 'other' (axios, fetch…) or null. */
function httpClientOf(calleePath) {
  const root = rootIdentifier(calleePath.node);
  if (!root) return null;
  const name = root.name;
  const binding = calleePath.scope.getBinding(name);
  if (!binding) {
    if (!HTTP_GLOBALS.has(name)) return null;
    return name === 'request' || name === 'rp' ? 'request' : 'other';
  }
  if (binding.path.isVariableDeclarator()) {
    const pkg = requiredPackage(binding.path.node.init);
    if (pkg && HTTP_PACKAGES.test(pkg)) return REQUEST_PACKAGE.test(pkg) ? 'request' : 'other';
  }
  return null;
}

/** Is the callee rooted at a Management API client: `new …ManagementClient(…)`, or a local function returning one? */
function managementClientOf(calleePath) {
  const root = rootIdentifier(calleePath.node);
  if (!root || calleePath.node.type === 'Identifier') return null;
  // `managementClient(event, api).users.list(…)`: the root is a local function called in the chain.
  let base = calleePath.node;
  while (base.type === 'MemberExpression' || base.type === 'OptionalMemberExpression') base = base.object;
  const called = base.type === 'CallExpression' && base.callee === root;
  for (const value of valuesOf(calleePath, root.name)) {
    const made = constructsClient(value, called);
    if (made) return made;
  }
  return null;
}

function constructsClient(valuePath, called = false) {
  const node = valuePath.node;
  const isClientNew = (n) => n?.type === 'NewExpression' && /ManagementClient$/.test(calleeText(n.callee));
  let newPath = null;
  if (isClientNew(node)) newPath = valuePath;
  else if (called && /Function/.test(node.type)) {
    valuePath.traverse({
      NewExpression(p) {
        if (!newPath && isClientNew(p.node)) newPath = p;
      },
    });
  }
  else if (node.type === 'AwaitExpression' || node.type === 'CallExpression') {
    // a local helper (possibly awaited) that builds the client
    const call = node.type === 'AwaitExpression' ? valuePath.get('argument') : valuePath;
    if (call.node?.type === 'CallExpression' && call.node.callee.type === 'Identifier') {
      for (const fn of valuesOf(call, call.node.callee.name)) {
        fn.traverse({
          NewExpression(p) {
            if (!newPath && isClientNew(p.node)) newPath = p;
          },
        });
      }
    }
  }
  if (!newPath) return null;
  // Built from the Rules runtime's token or domain: a Rules leftover.
  const rulesStyle = newPath.node.arguments.some((_, i) => mentionsRulesAuth0(newPath.get(`arguments.${i}`)));
  return rulesStyle ? 'rules' : 'action';
}

function mentionsRulesAuth0(path) {
  let found = false;
  const check = (p) => {
    if ((p.node.type === 'MemberExpression' || p.node.type === 'OptionalMemberExpression') && isRulesAuth0Member(p)) found = true;
  };
  check(path);
  if (!found) path.traverse({ enter: check });
  return found;
}

function calleeText(node) {
  if (node.type === 'Identifier') return node.name;
  if (node.type === 'MemberExpression' && !node.computed) return `${calleeText(node.object)}.${node.property.name}`;
  return '';
}

/**
 * Management API calls in a program (a rule or an Action), each `{ kind, rulesStyle }`:
 * - `auth0-users`: `auth0.users.<m>(…)` on the Rules `auth0` object (a free name): always Rules-style;
 *   `metadata` marks `updateAppMetadata` / `updateUserMetadata`;
 * - `client`: a method call on a `new …ManagementClient(…)` (directly or made by a local helper);
 *   Rules-style when it was built from `auth0.accessToken` / `auth0.domain`;
 * - `http`: a call through an HTTP client (`request` and its methods, request-promise, axios, `fetch`,
 *   node-fetch, got, superagent, needle, by require or as a global) whose arguments mention the
 *   Management API (see mentionsManagementApi); Rules-style when it goes through the `request` package or
 *   uses `auth0.*`;
 * - `wrapper`: a call to a local function whose arguments mention the Management API (an `apiCall(url)`
 *   helper); Rules-style when they use `auth0.*`.
 */
export function managementApiCalls(ast) {
  const calls = [];
  if (!ast) return calls;
  traverse(ast, {
    CallExpression(path) {
      const callee = path.get('callee');
      const root = rootIdentifier(callee.node);
      if (!root) return;
      // auth0.users.x(…)
      if (
        root.name === 'auth0' && isFree(path, 'auth0') &&
        callee.node.type === 'MemberExpression' && callee.node.object.type === 'MemberExpression' &&
        memberName(callee.node.object) === 'users' && callee.node.object.object === root
      ) {
        const method = memberName(callee.node);
        calls.push({ kind: 'auth0-users', method, metadata: /^update(App|User)Metadata$/.test(method ?? ''), rulesStyle: true, line: path.node.loc?.start.line });
        return;
      }
      const client = managementClientOf(callee);
      if (client) {
        calls.push({ kind: 'client', rulesStyle: client === 'rules', line: path.node.loc?.start.line });
        return;
      }
      const args = path.get('arguments');
      const http = httpClientOf(callee);
      if (http) {
        if (args.some((a) => mentionsManagementApi(a)) && !args.some((a) => mentionsTokenEndpoint(a))) {
          calls.push({ kind: 'http', rulesStyle: http === 'request' || args.some((a) => mentionsRulesAuth0(a)), line: path.node.loc?.start.line });
        }
        return;
      }
      if (callee.node.type === 'Identifier' && path.scope.getBinding(root.name)?.kind !== 'param' && path.scope.hasBinding(root.name, true)) {
        if (args.some((a) => (a.isStringLiteral() || a.isTemplateLiteral() || a.isBinaryExpression() || a.isIdentifier() || a.isObjectExpression()) && mentionsManagementApi(a))) {
          calls.push({ kind: 'wrapper', rulesStyle: args.some((a) => mentionsRulesAuth0(a)), line: path.node.loc?.start.line });
        }
      }
    },
  });
  return calls;
}

/** `api.user.setAppMetadata(…)` / `api.user.setUserMetadata(…)` calls in an Action. */
export function metadataSetCalls(ast) {
  let count = 0;
  if (!ast) return count;
  traverse(ast, {
    CallExpression(path) {
      if (/^api\.user\.set(App|User)Metadata$/.test(calleeText(path.node.callee))) count++;
    },
  });
  return count;
}

// ---------------------------------------------------------------------------------------------
// Rules leftovers in an Action
// ---------------------------------------------------------------------------------------------

/**
 * Rules leftovers: what an Action still takes from the Rules runtime, in code (comments, and so the
 * TODO-commented lines, do not count). Each is a kind:
 * - `user`, `context`, `callback`: a free reference (no binding in scope) to the rule's `user` /
 *   `context` / callback parameter names (as the rule named them; `user`, `context`, `callback`,
 *   `cb`, `done` always), a ReferenceError in an Action — a callback the Action defines itself (a
 *   callback bridge) is bound, so it is not one;
 * - `auth0.accessToken`, `auth0.baseUrl`, `auth0.domain`, `auth0.users`, `auth0` (any other use): the
 *   Rules `auth0` object, a free name;
 * - `configuration`, `UnauthorizedError`: Rules globals, free names;
 * - `request`: the `request` sandbox global used without a require (free name);
 * - `request-to-management-api`: a Management API call through the `request` package, or any
 *   Management API call still built from the Rules token (see managementApiCalls).
 * An Action is "free of Rules leftovers" when it has none of them.
 */
export function rulesLeftovers(ast, ruleParams = []) {
  const kinds = new Set();
  if (!ast) return ['unparseable'];
  const paramNames = new Map([
    ['user', 'user'], ['context', 'context'], ['callback', 'callback'], ['cb', 'callback'], ['done', 'callback'],
  ]);
  const [u, c, cb] = ruleParams;
  if (u) paramNames.set(u, 'user');
  if (c) paramNames.set(c, 'context');
  if (cb) paramNames.set(cb, 'callback');
  traverse(ast, {
    Identifier(path) {
      const name = path.node.name;
      if (!path.isReferencedIdentifier()) return;
      const isParam = paramNames.has(name);
      if (!isParam && name !== 'auth0' && name !== 'configuration' && name !== 'UnauthorizedError' && name !== 'request') return;
      if (!isFree(path, name)) return;
      if (isParam) kinds.add(paramNames.get(name));
      else if (name === 'auth0') {
        const parent = path.parentPath;
        const member = parent.isMemberExpression() && parent.node.object === path.node ? memberName(parent.node) : null;
        kinds.add(member && (RULES_AUTH0_MEMBERS.has(member) || member === 'users') ? `auth0.${member}` : 'auth0');
      } else kinds.add(name);
    },
  });
  for (const call of managementApiCalls(ast)) if (call.rulesStyle && call.kind !== 'auth0-users') kinds.add('request-to-management-api');
  return [...kinds].sort();
}

/** The rule's three parameter names, if its function can be found. */
export function ruleParams(ast) {
  let params = [];
  if (!ast) return params;
  traverse(ast, {
    Function(path) {
      if (path.node.params.length === 3 && path.node.params.every((p) => p.type === 'Identifier')) {
        params = path.node.params.map((p) => p.name);
        path.stop();
      } else path.skip();
    },
  });
  return params;
}
