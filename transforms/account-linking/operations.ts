// Pure matchers for the Management API calls a linking rule makes: `request`, `axios` and the
// legacy `auth0` client (or the Rules `auth0.users` object). Each returns the parts or null.
import { b, memberChain, n, type NodePath } from '../../src/ast.js';
import type { Expression, Node } from '../../src/types.js';
import { createValues, type ObjectValue, type Part, type Values } from '../../src/ast/values.js';
import { isAssignmentType, isCallType, isDeclaratorType, isIdentifierType, isNewType } from './tree.js';
import { managementUrl, parseQuery, unwrapEncode, type ManagementUrl } from './urls.js';

import type { namedTypes as K } from 'ast-types';
import { matchCallFlow, type CallConvention, type CallFlow, type FlowNames, type Handler } from '../../src/ast/flow.js';
import { type Key, rootPath, walk } from '../../src/walk.js';
type Fn = K.FunctionExpression | K.ArrowFunctionExpression;

export type Endpoint =
  | { kind: 'by-email'; email: Expression; encoded: boolean }
  | { kind: 'search'; q: Expression | null; engine: string | null; extra: Array<[string, Expression]>; encoded: boolean }
  | { kind: 'link'; primary: Expression; body: Expression }
  | { kind: 'unlink'; primary: Expression; provider: Expression; secondary: Expression }
  | { kind: 'get-user'; id: Expression }
  | { kind: 'update-user'; id: Expression; body: Expression }
  | { kind: 'user-roles'; id: Expression }
  | { kind: 'assign-roles'; id: Expression; body: Expression }
  | { kind: 'user-permissions'; id: Expression }
  | { kind: 'verification-email'; body: Expression }
  | { kind: 'connections'; params: Array<[string, Expression]> };

export interface Operation {
  endpoint: Endpoint;
  /** The call to the API (request(…), client.linkUsers(…), axios.get(…)). */
  call: K.CallExpression;
  path: NodePath;
  /** What stands for the whole operation in its statement: the call or its `.then(…).catch(…)` chain. */
  outer: NodePath;
  /** `promise`: a promise of the response body (request-promise with `json`, got's `.json()`). */
  transport: 'request' | 'sdk' | 'axios' | 'fetch' | 'promise';
  /** What runs after the call, as src/ast/flow.ts models it. */
  flow: CallFlow;
  style: 'callback' | 'chain' | 'await' | 'other';
  /** The error-first callback, or the first `.then` handler. */
  continuation: Handler | null;
  /** `.catch(fn)` or the second argument of `.then`. */
  rejection: Handler | null;
  /** Parameter names of the continuation: request (err, response, body), SDK (err, data), then (data). */
  params: { error?: string; response?: string; data?: string };
  /** request without `json`: the body is a string the rule parses. */
  url: ManagementUrl | null;
  /** Variables the call read its URL, options or headers from. */
  inputs: string[];
  /** How the rule spelled it, for findings. */
  describe: string;
  /** A Rules `auth0.users.update*Metadata` of a user other than the current one. */
  otherUserMetadata?: boolean;
  /** request: the body reached the callback parsed (`json` option); otherwise as a string. */
  json?: boolean;
}

export interface RuleScan {
  values: Values;
  /** The rule's parameters (free in the scanned body). */
  names: FlowNames;
  /** The scanned body: the flow's root. */
  root: Node;
  /** Local name → HTTP client module (`request`, `axios`, `node-fetch`, `fetch`, `got`, `request-promise`…). */
  transports: Map<string, string>;
  /** Names bound to a ManagementClient constructor (`require('auth0@2.x').ManagementClient`). */
  clientClasses: Set<string>;
  /** Names bound to `new ManagementClient(…)`. */
  clients: Set<string>;
  /** Declarations of requires and clients the Action no longer needs once converted. */
  requires: Array<{ name: string; module: string; declarator: K.VariableDeclarator }>;
  operations: Operation[];
  /** Local helpers that wrap one `request` in a promise of its body (`apiCall(options)`), by name. */
  wrappers: Map<string, K.Function>;
}

const REQUIRE = /^(request-promise-native|request-promise|request|axios|auth0|node-fetch|got)(@[^/]*)?$/;

/** `require('x@1.2.3')` (optionally `.prop`) → module name and property. */
export function matchRequire(init: unknown): { module: string; property: string | null } | null {
  let node = init;
  let property: string | null = null;
  if (n.MemberExpression.check(node) && !node.computed && n.Identifier.check(node.property)) {
    property = node.property.name;
    node = node.object;
  }
  if (!n.CallExpression.check(node) || !n.Identifier.check(node.callee) || node.callee.name !== 'require') return null;
  const [arg] = node.arguments;
  const spec = n.StringLiteral.check(arg) || (n.Literal.check(arg) && typeof arg.value === 'string') ? String((arg as K.StringLiteral).value) : null;
  const match = spec ? REQUIRE.exec(spec) : null;
  return match ? { module: match[1], property } : null;
}

/** `moduleRequires`: requires already hoisted to the top of the module by require-dependencies. */
export function scanRule(body: Node, moduleRequires: Node[] = [], knownClients: Iterable<string> = [], names: FlowNames = {}): RuleScan {
  // One plain walk gathers what the matchers need; NodePaths are made only for candidate calls.
  const declarators: K.VariableDeclarator[] = [];
  const assignments: K.AssignmentExpression[] = [];
  const constructions: Array<{ node: K.NewExpression; parent: unknown }> = [];
  const calls: Array<{ node: K.CallExpression; keys: Key[] }> = [];
  const requireDeclarators: K.VariableDeclarator[] = [];
  for (const statement of moduleRequires) {
    walk(statement, (node) => {
      if (isDeclaratorType(node.type)) requireDeclarators.push(node as unknown as K.VariableDeclarator);
    });
  }
  walk(body, (node, ancestors, keys) => {
    const type = node.type;
    if (isDeclaratorType(type)) declarators.push(node as unknown as K.VariableDeclarator);
    else if (isAssignmentType(type)) assignments.push(node as unknown as K.AssignmentExpression);
    else if (isNewType(type)) constructions.push({ node: node as unknown as K.NewExpression, parent: ancestors[ancestors.length - 1] });
    else if (isCallType(type)) calls.push({ node: node as unknown as K.CallExpression, keys: [...keys] });
  });
  const scan: RuleScan = {
    values: createValues(body),
    names,
    root: body,
    transports: new Map(),
    clientClasses: new Set(),
    clients: new Set(knownClients),
    requires: [],
    operations: [],
    wrappers: new Map(),
  };
  let requestDeclared = false;
  let fetchDeclared = false;
  for (const declarator of [...requireDeclarators, ...declarators]) {
    const { id, init } = declarator;
    if (n.Identifier.check(id) && id.name === 'request') requestDeclared = true;
    if (n.Identifier.check(id) && id.name === 'fetch') fetchDeclared = true;
    const required = matchRequire(init);
    if (required && n.Identifier.check(id)) {
      if (required.module in TRANSPORTS && required.property === null) scan.transports.set(id.name, required.module);
      if (required.module === 'auth0' && required.property === 'ManagementClient') scan.clientClasses.add(id.name);
      scan.requires.push({ name: id.name, module: required.module, declarator });
    } else if (required && required.module === 'auth0' && n.ObjectPattern.check(id)) {
      for (const property of id.properties) {
        if ((n.ObjectProperty.check(property) || n.Property.check(property)) && n.Identifier.check(property.key) && property.key.name === 'ManagementClient' && n.Identifier.check(property.value)) {
          scan.clientClasses.add(property.value.name);
        }
      }
      scan.requires.push({ name: '', module: 'auth0', declarator });
    }
  }
  if (!requestDeclared) scan.transports.set('request', 'request');
  // The global fetch (Node 18+), unless the rule declares its own.
  if (!fetchDeclared) scan.transports.set('fetch', 'fetch');
  for (const { node, parent: declarator } of constructions) {
    const chain = memberChain(node.callee);
    const isClient = chain && (scan.clientClasses.has(chain.join('.')) || (chain.length > 1 && chain[chain.length - 1] === 'ManagementClient'));
    if (isClient && n.VariableDeclarator.check(declarator) && n.Identifier.check(declarator.id)) {
      scan.clients.add(declarator.id.name);
      scan.requires.push({ name: declarator.id.name, module: 'client', declarator });
    }
  }
  // Every matcher wants the callee to start with one of these names.
  const receivers = new Set(['auth0', ...scan.transports.keys(), ...scan.clients]);
  // A helper wrapping request in a promise is looked for only when the rule builds a promise.
  const promises = constructions.some(({ node }) => n.Identifier.check(node.callee) && node.callee.name === 'Promise');
  const root = rootPath(body);
  for (const { node, keys } of calls) {
    const head = memberChain(node.callee)?.[0];
    if (head === undefined) continue;
    if (!receivers.has(head)) {
      if (!promises || !n.Identifier.check(node.callee)) continue;
      const op = matchWrapperCall(root.get(...keys) as NodePath, scan);
      if (op) scan.operations.push(op);
      continue;
    }
    const path = root.get(...keys) as NodePath;
    const op = matchHttpCall(path, scan) ?? matchSdkCall(path, scan);
    if (op) scan.operations.push(op);
  }
  return scan;
}

/**
 * `function apiCall(options) { return new Promise((resolve, reject) => { request(opts, (err, response,
 * body) => { … reject(…) … resolve(body) }) }) }`: a local helper whose whole body is one `request`
 * wrapped in a promise that resolves to the response body. Returns the helper and the request's options.
 */
function requestWrapper(callee: K.Identifier, scan: RuleScan): { fn: K.Function; options: Expression; request: K.CallExpression } | null {
  const fn = scan.values.functionOf(callee);
  if (!fn || !n.BlockStatement.check(fn.body) || fn.body.body.length !== 1 || fn.params.some((p) => !n.Identifier.check(p))) return null;
  const [only] = fn.body.body;
  const promise = n.ReturnStatement.check(only) ? only.argument : null;
  if (!n.NewExpression.check(promise) || !n.Identifier.check(promise.callee) || promise.callee.name !== 'Promise') return null;
  const executor = promise.arguments[0];
  if (!isFunction(executor)) return null;
  const resolve = paramName(executor, 0);
  const requests: K.CallExpression[] = [];
  walk(executor.body, (node) => {
    if (!isCallType(node.type)) return;
    const call = node as unknown as K.CallExpression;
    const chain = memberChain(call.callee);
    if (chain && chain.length === 1 && scan.transports.get(chain[0]) === 'request') requests.push(call);
  });
  if (!resolve || requests.length !== 1) return null;
  const [request] = requests;
  const args = request.arguments as Expression[];
  const callback = args[args.length - 1];
  if (args.length !== 2 || !isFunction(callback) || isFunction(args[0])) return null;
  const [error, response, body] = [0, 1, 2].map((i) => paramName(callback, i));
  if (!error) return null;
  // Every resolve gives the body (the third parameter or response.body); the error is not resolved.
  let resolves = 0;
  let other = false;
  walk(callback.body, (node) => {
    if (!isCallType(node.type)) return;
    const call = node as unknown as K.CallExpression;
    if (!n.Identifier.check(call.callee) || call.callee.name !== resolve) return;
    resolves++;
    const [value] = call.arguments;
    const isBody = (n.Identifier.check(value) && value.name === body) ||
      (n.MemberExpression.check(value) && n.Identifier.check(value.object) && value.object.name === response && !value.computed && n.Identifier.check(value.property) && value.property.name === 'body');
    if (!isBody || !body && !response) other = true;
  });
  if (resolves === 0 || other) return null;
  return { fn, options: args[0], request };
}

/** `apiCall({ url, method, json })`: a call of a request wrapper, as a promise of the response body. */
function matchWrapperCall(path: NodePath, scan: RuleScan): Operation | null {
  const call = path.node as K.CallExpression;
  const callee = call.callee as K.Identifier;
  const wrapper = requestWrapper(callee, scan);
  if (!wrapper) return null;
  const options = scan.values.objectIn(wrapper.options, wrapper.fn, call.arguments as Expression[]);
  if (!options?.complete) return null;
  // The options as one literal at the call site, read as request reads them.
  const literal = b.callExpression(b.identifier('request'), [objectExpressionOf(options)]);
  const request = readRequest(literal, undefined, scan.values);
  if (!request || !jsonOption(literal, scan.values)) return null;
  const parsedUrl = managementUrl(scan.values.string(request.url) ?? [{ expr: request.url }]);
  const match = parsedUrl ? matchRoute(request.method, parsedUrl.path) : null;
  if (!parsedUrl || !match) return null;
  const endpoint = httpEndpoint(request.method, match, request.query, request.body, scan.values);
  if (!endpoint) return null;
  const shape = shapeOf(path, scan, 'promise');
  scan.wrappers.set(callee.name, wrapper.fn);
  return {
    endpoint,
    call,
    path,
    ...shape,
    transport: 'promise',
    params: { data: paramName(shape.continuation, 0), error: paramName(shape.rejection, 0) },
    url: parsedUrl,
    inputs: [],
    describe: `${callee.name}(…) ${request.method} ${DESCRIBE_ROUTE[endpoint.kind]}`,
    json: true,
  };
}

function isFunction(node: unknown): node is Fn {
  return n.FunctionExpression.check(node) || n.ArrowFunctionExpression.check(node);
}

function paramName(fn: Fn | Handler | null, index: number): string | undefined {
  const param = fn?.params[index];
  return n.Identifier.check(param) ? param.name : undefined;
}

function objectOf(node: unknown, values: Values): ObjectValue | null {
  return node ? values.object(node) : null;
}

export function property(object: ObjectValue | null, name: string): Expression | null {
  return object?.properties.get(name) ?? null;
}

function stringValue(node: unknown): string | null {
  if (n.StringLiteral.check(node)) return node.value;
  if (n.Literal.check(node) && typeof node.value === 'string') return node.value;
  return null;
}

/** Identifiers an expression reads directly (for removing the variables it used). */
function identifiersIn(nodes: Array<unknown>): string[] {
  const names: string[] = [];
  for (const node of nodes) {
    walk(node, (child, ancestors) => {
      if (!isIdentifierType(child.type)) return;
      const id = child as unknown as K.Identifier;
      const parent: unknown = ancestors[ancestors.length - 1];
      const isProperty = (n.MemberExpression.check(parent) && parent.property === id && !parent.computed) ||
        ((n.ObjectProperty.check(parent) || n.Property.check(parent)) && parent.key === id && !parent.shorthand);
      if (!isProperty) names.push(id.name);
    });
  }
  return names;
}

/**
 * What runs after the call, through the flow model (src/ast/flow.ts), as account-linking reads it: the
 * error-first callback, the `.then` handlers and their `.catch`, `await`, or none of them.
 */
function shapeOf(path: NodePath, scan: RuleScan, convention: CallConvention) {
  const flow = matchCallFlow(path, scan.names, scan.root, convention);
  if (flow.kind !== 'continued') return { flow, style: flow.kind === 'awaited' ? ('await' as const) : ('other' as const), outer: flow.outer, continuation: null, rejection: null };
  const c = flow.continuation;
  if (c.kind === 'error-first') return { flow, style: 'callback' as const, outer: flow.outer, continuation: c.handler, rejection: null };
  return { flow, style: 'chain' as const, outer: flow.outer, continuation: c.steps[0] ?? null, rejection: c.rejection };
}


// ---------------------------------------------------------------------------------------------
// The endpoint table: a Management API route → what the Action calls (emit.ts has the SDK side).

type EndpointKind = Endpoint['kind'];

interface Route {
  kind: EndpointKind;
  method: string;
  /** Path segments after /api/v2; `:name` is a hole. */
  path: string[];
}

const ROUTES: Route[] = [
  { kind: 'by-email', method: 'GET', path: ['users-by-email'] },
  { kind: 'search', method: 'GET', path: ['users'] },
  { kind: 'get-user', method: 'GET', path: ['users', ':id'] },
  { kind: 'update-user', method: 'PATCH', path: ['users', ':id'] },
  { kind: 'link', method: 'POST', path: ['users', ':id', 'identities'] },
  { kind: 'unlink', method: 'DELETE', path: ['users', ':id', 'identities', ':provider', ':secondary'] },
  { kind: 'user-roles', method: 'GET', path: ['users', ':id', 'roles'] },
  { kind: 'assign-roles', method: 'POST', path: ['users', ':id', 'roles'] },
  { kind: 'user-permissions', method: 'GET', path: ['users', ':id', 'permissions'] },
  { kind: 'verification-email', method: 'POST', path: ['jobs', 'verification-email'] },
  { kind: 'connections', method: 'GET', path: ['connections'] },
];

const DESCRIBE_ROUTE: Record<EndpointKind, string> = {
  'by-email': '/users-by-email',
  search: '/users',
  'get-user': '/users/{id}',
  'update-user': '/users/{id}',
  link: '/users/{id}/identities',
  unlink: '/users/{id}/identities/{provider}/{user_id}',
  'user-roles': '/users/{id}/roles',
  'assign-roles': '/users/{id}/roles',
  'user-permissions': '/users/{id}/permissions',
  'verification-email': '/jobs/verification-email',
  connections: '/connections',
};

/** Path segments (text or a whole-segment hole) and the query text after `?`. */
function splitPath(parts: Part[]): { segments: Array<string | Expression>; query: Part[] } | null {
  const segments: Array<string | Expression> = [];
  let current: Part[] = [];
  const flush = () => {
    if (current.length === 0) return true;
    if (current.length === 1 && 'text' in current[0]) segments.push(current[0].text);
    else if (current.length === 1) segments.push((current[0] as { expr: Expression }).expr);
    else return false;
    current = [];
    return true;
  };
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i];
    if (!('text' in part)) {
      current.push(part);
      continue;
    }
    const q = part.text.indexOf('?');
    const text = q >= 0 ? part.text.slice(0, q) : part.text;
    const pieces = text.split('/');
    pieces.forEach((piece, index) => {
      if (index > 0 && !flush()) segments.push(null as never);
      if (piece !== '') current.push({ text: piece });
    });
    if (q >= 0) {
      if (!flush() || segments.includes(null as never)) return null;
      return { segments, query: [{ text: part.text.slice(q) }, ...parts.slice(i + 1)] };
    }
  }
  if (!flush() || segments.includes(null as never)) return null;
  return { segments, query: [] };
}

interface RouteMatch {
  route: Route;
  holes: Record<string, Expression>;
  query: Map<string, Expression>;
  encoded: boolean;
}

/** The route a Management API path names, with its holes and query parameters. */
function matchRoute(method: string, path: Part[]): RouteMatch | null {
  const split = splitPath(path);
  if (!split) return null;
  const query = split.query.length > 0 ? parseQuery(split.query) : { params: new Map<string, Expression>(), encoded: true };
  if (!query) return null;
  for (const route of ROUTES) {
    if (route.method !== method || route.path.length !== split.segments.length) continue;
    const holes: Record<string, Expression> = {};
    const fits = route.path.every((segment, i) => {
      const actual = split.segments[i];
      if (segment.startsWith(':')) {
        if (typeof actual === 'string') {
          if (actual === '' || segment === ':id') return false;
          holes[segment.slice(1)] = b.stringLiteral(decodeURIComponent(actual));
          return true;
        }
        holes[segment.slice(1)] = unwrapEncode(actual).expr;
        return true;
      }
      return actual === segment;
    });
    if (fits) return { route, holes, query: query.params, encoded: query.encoded };
  }
  return null;
}

/** The endpoint of a raw HTTP call: its route, query (URL and `qs`/`params`) and JSON body. */
function httpEndpoint(method: string, match: RouteMatch, extraQuery: ObjectValue | null, body: Expression | null, values: Values): Endpoint | null {
  const params = new Map(match.query);
  for (const [key, value] of extraQuery?.properties ?? []) params.set(key, value);
  const encoded = extraQuery ? true : match.encoded;
  const { id } = match.holes;
  const objectBody = (expr: Expression | null) => (expr ? bodyExpression(expr, values) : null);
  switch (match.route.kind) {
    case 'by-email': {
      const email = params.get('email');
      return email ? { kind: 'by-email', email, encoded: match.query.has('email') ? match.encoded : true } : null;
    }
    case 'search':
      return searchEndpoint(params, encoded);
    case 'link': {
      const payload = objectBody(body);
      return payload ? { kind: 'link', primary: id, body: payload } : null;
    }
    case 'unlink':
      return { kind: 'unlink', primary: id, provider: match.holes.provider, secondary: match.holes.secondary };
    case 'get-user':
      return { kind: 'get-user', id };
    case 'update-user': {
      const payload = objectBody(body);
      return payload ? { kind: 'update-user', id, body: payload } : null;
    }
    case 'user-roles':
    case 'user-permissions':
      return { kind: match.route.kind, id };
    case 'assign-roles': {
      const payload = objectBody(body);
      return payload ? { kind: 'assign-roles', id, body: payload } : null;
    }
    case 'verification-email': {
      const payload = objectBody(body);
      return payload ? { kind: 'verification-email', body: payload } : null;
    }
    case 'connections':
      return { kind: 'connections', params: [...params] };
  }
  void method;
  return null;
}

/**
 * A request body as the Action passes it: `JSON.stringify(x)` → x; a variable holding a plain object
 * literal → that literal; an object built otherwise (spread, Object.assign, property writes) → a
 * literal of its properties; anything else as written.
 */
function bodyExpression(expr: Expression, values: Values): Expression | null {
  let body = expr;
  if (n.BooleanLiteral.check(body)) return null;
  if (n.CallExpression.check(body) && memberChain(body.callee)?.join('.') === 'JSON.stringify') body = body.arguments[0] as Expression;
  if (n.ObjectExpression.check(body)) return body;
  const value = values.object(body);
  if (!value?.complete) return body;
  const literal = n.Identifier.check(body) ? values.valueAt(body) : null;
  if (n.ObjectExpression.check(literal) && literal.properties.length === value.properties.size && literal.properties.every((p) => (n.ObjectProperty.check(p) || n.Property.check(p)) && [...value.properties.values()].includes(p.value as Expression))) {
    return literal;
  }
  return objectExpressionOf(value);
}

function objectExpressionOf(value: ObjectValue): Expression {
  return b.objectExpression([...value.properties].map(([key, v]) => {
    const property = b.objectProperty(/^[A-Za-z_$][\w$]*$/.test(key) ? b.identifier(key) : b.stringLiteral(key), v as never);
    if (n.Identifier.check(v) && v.name === key) property.shorthand = true;
    return property;
  }));
}

function searchEndpoint(params: Map<string, Expression>, encoded: boolean): Endpoint {
  const engine = stringValue(params.get('search_engine'));
  const extra = [...params].filter(([key]) => key !== 'q' && key !== 'search_engine');
  return { kind: 'search', q: params.get('q') ?? null, engine, extra, encoded };
}

// ---------------------------------------------------------------------------------------------
// The transport table: how each HTTP client spells method, URL, query and body.

interface HttpRequest {
  method: string;
  url: Expression;
  query: ObjectValue | null;
  body: Expression | null;
  /** The last argument is an error-first callback. */
  callback: boolean;
  /** Expressions the call read its URL, options or headers from. */
  inputs: unknown[];
}

type HttpReader = (call: K.CallExpression, verb: string | undefined, values: Values) => HttpRequest | null;

const VERBS = new Set(['get', 'post', 'put', 'patch', 'del', 'delete', 'head']);

function normalizeMethod(spelled: string): string {
  const upper = spelled.toUpperCase();
  return upper === 'DEL' ? 'DELETE' : upper;
}

/** `request(opts[, cb])`, `request(url[, opts][, cb])`, `request.get/post(…)`; also request-promise. */
const readRequest: HttpReader = (call, verb, values) => {
  const args = call.arguments as Expression[];
  const callback = isFunction(args[args.length - 1]);
  const plain = callback ? args.slice(0, -1) : args;
  let options = objectOf(plain[0], values);
  let url: Expression | null;
  if (options && !values.string(plain[0])) {
    url = property(options, 'url') ?? property(options, 'uri');
  } else {
    url = plain[0] ?? null;
    options = objectOf(plain[1], values);
  }
  if (!url) return null;
  const method = normalizeMethod(verb ?? stringValue(property(options, 'method')) ?? 'get');
  const json = property(options, 'json');
  const body = json && !n.BooleanLiteral.check(json) ? json : (property(options, 'body') ?? property(options, 'form'));
  return { method, url, query: objectOf(property(options, 'qs'), values), body, callback, inputs: [plain[0], plain[1], url] };
};

/** `axios(config)`, `axios.request(config)`, `axios.get(url[, config])`, `axios.post(url, data[, config])`. */
const readAxios: HttpReader = (call, verb, values) => {
  const args = call.arguments as Expression[];
  let method = verb ?? 'get';
  let url: Expression | null;
  let config: ObjectValue | null;
  let data: Expression | null;
  if (!verb || verb === 'request') {
    config = objectOf(args[0], values);
    url = property(config, 'url');
    method = stringValue(property(config, 'method')) ?? 'get';
    data = property(config, 'data');
  } else if (['post', 'put', 'patch'].includes(verb)) {
    url = args[0] ?? null;
    data = args[1] ?? null;
    config = objectOf(args[2], values);
  } else {
    url = args[0] ?? null;
    data = null;
    config = objectOf(args[1], values);
  }
  if (!url) return null;
  return { method: normalizeMethod(method), url, query: objectOf(property(config, 'params'), values), body: data, callback: false, inputs: [args[0], args[1], args[2], url] };
};

/** `fetch(url[, init])` (global or node-fetch). */
const readFetch: HttpReader = (call, verb, values) => {
  if (verb) return null;
  const [url, init] = call.arguments as Expression[];
  if (!url) return null;
  const options = objectOf(init, values);
  const method = normalizeMethod(stringValue(property(options, 'method')) ?? 'get');
  return { method, url, query: null, body: property(options, 'body'), callback: false, inputs: [url, init] };
};

/** `got(url[, opts])`, `got.get/post(url[, opts])` with `searchParams` and `json`. */
const readGot: HttpReader = (call, verb, values) => {
  const [first, second] = call.arguments as Expression[];
  let options = objectOf(second, values);
  let url: Expression | null = first ?? null;
  if (!second && first && !values.string(first)) {
    options = objectOf(first, values);
    url = property(options, 'url');
  }
  if (!url) return null;
  const method = normalizeMethod(verb ?? stringValue(property(options, 'method')) ?? 'get');
  return { method, url, query: objectOf(property(options, 'searchParams'), values), body: property(options, 'json') ?? property(options, 'body'), callback: false, inputs: [first, second, url] };
};

interface TransportSpec {
  transport: Operation['transport'];
  read: HttpReader;
  /** What the promise or callback gives back. */
  result: 'request-callback' | 'body' | 'axios-response' | 'fetch-response';
}

/** Module → transport. request-promise resolves to the body (parsed with `json: true`). */
const TRANSPORTS: Record<string, TransportSpec> = {
  request: { transport: 'request', read: readRequest, result: 'request-callback' },
  'request-promise': { transport: 'promise', read: readRequest, result: 'body' },
  'request-promise-native': { transport: 'promise', read: readRequest, result: 'body' },
  axios: { transport: 'axios', read: readAxios, result: 'axios-response' },
  'node-fetch': { transport: 'fetch', read: readFetch, result: 'fetch-response' },
  fetch: { transport: 'fetch', read: readFetch, result: 'fetch-response' },
  got: { transport: 'promise', read: readGot, result: 'body' },
};

/** A raw HTTP call to the Management API through one of the transports. */
export function matchHttpCall(path: NodePath, scan: RuleScan): Operation | null {
  const call = path.node as K.CallExpression;
  const chain = memberChain(call.callee);
  if (!chain || chain.length > 2) return null;
  const module = scan.transports.get(chain[0]);
  const spec = module ? TRANSPORTS[module] : undefined;
  if (!spec) return null;
  const verb = chain[1];
  if (verb !== undefined && !VERBS.has(verb) && !(spec.transport === 'axios' && verb === 'request')) return null;
  const request = spec.read(call, verb, scan.values);
  if (!request) return null;
  // request-promise without `json: true` resolves to a string; got's plain promise to a response.
  if (module === 'got' && !isJsonCall(path)) return null;
  if (spec.transport === 'promise' && module !== 'got' && !jsonOption(call, scan.values)) return null;
  const parsedUrl = managementUrl(scan.values.string(request.url) ?? [{ expr: request.url }]);
  const match = parsedUrl ? matchRoute(request.method, parsedUrl.path) : null;
  if (!parsedUrl || !match) return null;
  const endpoint = httpEndpoint(request.method, match, request.query, request.body, scan.values);
  if (!endpoint) return null;
  // got(…).json(): the operation is the `.json()` call.
  const opPath = module === 'got' ? (path.parent.parent as NodePath) : path;
  // fetch is flattened only where it is awaited (`const res = await fetch(…)`).
  const flowShape = shapeOf(opPath, scan, spec.result === 'request-callback' ? 'error-first' : 'promise');
  const shape = spec.transport === 'fetch' && flowShape.style !== 'await' ? { ...flowShape, style: 'other' as const, continuation: null, rejection: null } : flowShape;
  const params = spec.result === 'request-callback'
    ? { error: paramName(shape.continuation, 0), response: paramName(shape.continuation, 1), data: paramName(shape.continuation, 2) }
    : spec.result === 'fetch-response'
      ? fetchParams(shape)
      : { data: paramName(shape.continuation, 0), error: paramName(shape.rejection, 0) };
  return {
    endpoint,
    call: opPath.node as K.CallExpression,
    path: opPath,
    ...shape,
    transport: spec.transport,
    params,
    url: parsedUrl,
    inputs: identifiersIn(request.inputs),
    describe: `${chain.join('.')}(…) ${request.method} ${DESCRIBE_ROUTE[endpoint.kind]}`,
    json: spec.transport === 'request' ? jsonOption(call, scan.values) : true,
  };
}

function isJsonCall(path: NodePath): boolean {
  const member = path.parent?.node;
  const outer = path.parent?.parent?.node;
  return n.MemberExpression.check(member) && n.Identifier.check(member.property) && member.property.name === 'json' && n.CallExpression.check(outer) && outer.arguments.length === 0;
}

function jsonOption(call: K.CallExpression, values: Values): boolean {
  const options = objectOf(call.arguments[0], values) ?? objectOf(call.arguments[1], values);
  const json = property(options, 'json');
  return Boolean(json) && !(n.BooleanLiteral.check(json) && !json.value);
}

/** `const res = await fetch(…)`: the response's name. */
function fetchParams(shape: { style: string; outer: NodePath }) {
  const holder = shape.style === 'await' ? shape.outer.parent.parent?.node : null;
  return { response: n.VariableDeclarator.check(holder) && n.Identifier.check(holder.id) ? holder.id.name : undefined };
}

// ---------------------------------------------------------------------------------------------
// The legacy client (auth0@2/3 ManagementClient) and the Rules `auth0.users` object.

type SdkArgs = (args: Expression[], values: Values) => Endpoint | null;

const idOf = (arg: Expression | undefined, values: Values): Expression | null => property(objectOf(arg, values), 'id');

const SDK_ENDPOINTS: Record<string, SdkArgs> = {
  'by-email': ([email]) => (email ? { kind: 'by-email', email, encoded: true } : null),
  search: ([params], values) => {
    const object = objectOf(params, values);
    return object ? searchEndpoint(new Map(object.properties), true) : null;
  },
  link: ([primary, body], values) => (primary && body ? { kind: 'link', primary, body: bodyExpression(body, values) ?? body } : null),
  unlink: ([params], values) => {
    const object = objectOf(params, values);
    const [id, provider, secondary] = ['id', 'provider', 'user_id'].map((key) => property(object, key));
    return id && provider && secondary ? { kind: 'unlink', primary: id, provider, secondary } : null;
  },
  'get-user': ([params], values) => {
    const id = idOf(params, values);
    return id ? { kind: 'get-user', id } : null;
  },
  'update-user': ([params, body], values) => {
    const id = idOf(params, values);
    return id && body ? { kind: 'update-user', id, body: bodyExpression(body, values) ?? body } : null;
  },
  'update-app-metadata': ([params, metadata], values) => {
    const id = idOf(params, values);
    return id && metadata ? { kind: 'update-user', id, body: b.objectExpression([b.objectProperty(b.identifier('app_metadata'), metadata)]) } : null;
  },
  'update-user-metadata': ([params, metadata], values) => {
    const id = idOf(params, values);
    return id && metadata ? { kind: 'update-user', id, body: b.objectExpression([b.objectProperty(b.identifier('user_metadata'), metadata)]) } : null;
  },
  'user-roles': ([params], values) => {
    const id = idOf(params, values);
    return id ? { kind: 'user-roles', id } : null;
  },
  'assign-roles': ([params, body], values) => {
    const id = idOf(params, values);
    return id && body ? { kind: 'assign-roles', id, body: bodyExpression(body, values) ?? body } : null;
  },
  'user-permissions': ([params], values) => {
    const id = idOf(params, values);
    return id ? { kind: 'user-permissions', id } : null;
  },
  'verification-email': ([body], values) => (body ? { kind: 'verification-email', body: bodyExpression(body, values) ?? body } : null),
  'rules-update-app-metadata': ([id, metadata]) => (id && metadata ? { kind: 'update-user', id, body: b.objectExpression([b.objectProperty(b.identifier('app_metadata'), metadata)]) } : null),
  'rules-update-user-metadata': ([id, metadata]) => (id && metadata ? { kind: 'update-user', id, body: b.objectExpression([b.objectProperty(b.identifier('user_metadata'), metadata)]) } : null),
};

/** Method (as spelled after the client) → endpoint reader. auth0@2/3 had both flat and `users.*` names. */
const SDK_METHODS: Record<string, keyof typeof SDK_ENDPOINTS> = {
  getUsersByEmail: 'by-email',
  'users.getByEmail': 'by-email',
  getUsers: 'search',
  'users.getAll': 'search',
  linkUsers: 'link',
  'users.link': 'link',
  unlinkUsers: 'unlink',
  'users.unlink': 'unlink',
  getUser: 'get-user',
  'users.get': 'get-user',
  updateUser: 'update-user',
  'users.update': 'update-user',
  updateAppMetadata: 'update-app-metadata',
  'users.updateAppMetadata': 'update-app-metadata',
  updateUserMetadata: 'update-user-metadata',
  'users.updateUserMetadata': 'update-user-metadata',
  getUserRoles: 'user-roles',
  'users.getRoles': 'user-roles',
  assignRolestoUser: 'assign-roles',
  'users.assignRoles': 'assign-roles',
  getUserPermissions: 'user-permissions',
  'users.getPermissions': 'user-permissions',
  sendEmailVerification: 'verification-email',
  'jobs.verifyEmail': 'verification-email',
};

/**
 * The Rules `auth0.users` object spelled the lookups like the v2 client. Its metadata updates take a
 * bare user id; those of the current user are user-metadata's (api.user.set*Metadata), those of
 * another user (a linking rule's primary) are a Management API update.
 */
const RULES_OBJECT_METHODS: Record<string, keyof typeof SDK_ENDPOINTS> = {
  'users.updateAppMetadata': 'rules-update-app-metadata',
  'users.updateUserMetadata': 'rules-update-user-metadata',
  'users.getUsersByEmail': 'by-email',
  'users.getByEmail': 'by-email',
  'users.getUsers': 'search',
  'users.getAll': 'search',
  'users.linkUsers': 'link',
  'users.link': 'link',
  getUsersByEmail: 'by-email',
  getUsers: 'search',
  linkUsers: 'link',
};

export function matchSdkCall(path: NodePath, scan: RuleScan): Operation | null {
  const call = path.node as K.CallExpression;
  const chain = memberChain(call.callee);
  if (!chain || chain.length < 2) return null;
  const receiver = chain[0];
  const method = chain.slice(1).join('.');
  const kind = scan.clients.has(receiver) ? SDK_METHODS[method] : receiver === 'auth0' && isFreeHead(call.callee, scan.values) ? RULES_OBJECT_METHODS[method] : undefined;
  if (!kind) return null;
  const args = call.arguments as Expression[];
  // The old client takes an error-first callback last, or returns a promise.
  const shape = shapeOf(path, scan, 'error-first');
  const plain = shape.style === 'callback' ? args.slice(0, -1) : args;
  if (kind.startsWith('rules-update') && isCurrentUserId(plain[0], scan)) return null;
  const endpoint = SDK_ENDPOINTS[kind](plain, scan.values);
  if (!endpoint) return null;
  const callbackStyle = shape.style === 'callback';
  return {
    endpoint,
    call,
    path,
    ...shape,
    transport: 'sdk',
    params: callbackStyle
      ? { error: paramName(shape.continuation, 0), data: paramName(shape.continuation, 1) }
      : { data: paramName(shape.continuation, 0), error: paramName(shape.rejection, 0) },
    url: null,
    inputs: [],
    describe: `${chain.join('.')}(…)`,
    ...(kind.startsWith('rules-update') ? { otherUserMetadata: true } : {}),
  };
}

/** `user.user_id` (the rule's own user, possibly through an alias), as the first argument of a metadata update. */
function isCurrentUserId(arg: unknown, scan: RuleScan): boolean {
  if (!n.MemberExpression.check(arg) || arg.computed || !n.Identifier.check(arg.property) || arg.property.name !== 'user_id') return false;
  const object = arg.object;
  if (!n.Identifier.check(object)) return false;
  if (object.name === scan.names.user && scan.values.scopes.resolve(object) === null) return true;
  const init = scan.values.valueAt(object);
  return n.Identifier.check(init) && init.name === scan.names.user && scan.values.scopes.resolve(init) === null;
}

function isFreeHead(callee: unknown, values: Values): boolean {
  let node = callee;
  while (n.MemberExpression.check(node)) node = node.object;
  return n.Identifier.check(node) && values.scopes.resolve(node) === null;
}
