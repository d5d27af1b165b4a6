// Pure matchers for the Management API calls a linking rule makes: `request`, `axios` and the
// legacy `auth0` client (or the Rules `auth0.users` object). Each returns the parts or null.
import { memberChain, n, type NodePath } from '../../src/ast.js';
import type { Expression, Node } from '../../src/types.js';
import { bindingsOf, type Bindings } from './bindings.js';
import { isAssignmentType, isCallType, isDeclaratorType, isIdentifierType, isNewType } from './tree.js';
import { classifyPath, managementUrl, unwrapEncode, urlParts, type ManagementUrl } from './urls.js';

import type { namedTypes as K } from 'ast-types';
import { type Key, rootPath, walk } from '../../src/walk.js';
export type Continuation = K.FunctionExpression | K.ArrowFunctionExpression;

export type Endpoint =
  | { kind: 'by-email'; email: Expression; encoded: boolean }
  | { kind: 'search'; q: Expression | null; engine: string | null; extra: Array<[string, Expression]>; encoded: boolean }
  | { kind: 'link'; primary: Expression; body: Expression };

export interface Operation {
  endpoint: Endpoint;
  /** The call to the API (request(…), client.linkUsers(…), axios.get(…)). */
  call: K.CallExpression;
  path: NodePath;
  /** What stands for the whole operation in its statement: the call or its `.then(…).catch(…)` chain. */
  outer: NodePath;
  transport: 'request' | 'sdk' | 'axios' | 'fetch';
  style: 'callback' | 'then' | 'await' | 'other';
  continuation: Continuation | null;
  /** `.catch(fn)` or the second argument of `.then`. */
  rejection: Continuation | null;
  /** Parameter names of the continuation: request (err, response, body), SDK (err, data), then (data). */
  params: { error?: string; response?: string; data?: string };
  /** request without `json`: the body is a string the rule parses. */
  url: ManagementUrl | null;
  /** Variables the call read its URL, options or headers from. */
  inputs: string[];
  /** How the rule spelled it, for findings. */
  describe: string;
}

export interface RuleScan {
  bindings: Bindings;
  requestNames: Set<string>;
  axiosNames: Set<string>;
  fetchNames: Set<string>;
  /** Names bound to a ManagementClient constructor (`require('auth0@2.x').ManagementClient`). */
  clientClasses: Set<string>;
  /** Names bound to `new ManagementClient(…)`. */
  clients: Set<string>;
  /** Declarations of requires and clients the Action no longer needs once converted. */
  requires: Array<{ name: string; module: string; declarator: K.VariableDeclarator }>;
  operations: Operation[];
}

const REQUIRE = /^(request|axios|auth0|node-fetch)(@[^/]*)?$/;

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
export function scanRule(body: Node, moduleRequires: Node[] = [], knownClients: Iterable<string> = []): RuleScan {
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
    bindings: bindingsOf(declarators, assignments),
    requestNames: new Set(),
    axiosNames: new Set(),
    fetchNames: new Set(),
    clientClasses: new Set(),
    clients: new Set(knownClients),
    requires: [],
    operations: [],
  };
  let requestDeclared = false;
  let fetchDeclared = false;
  for (const declarator of [...requireDeclarators, ...declarators]) {
    const { id, init } = declarator;
    if (n.Identifier.check(id) && id.name === 'request') requestDeclared = true;
    if (n.Identifier.check(id) && id.name === 'fetch') fetchDeclared = true;
    const required = matchRequire(init);
    if (required && n.Identifier.check(id)) {
      if (required.module === 'request') scan.requestNames.add(id.name);
      if (required.module === 'axios') scan.axiosNames.add(id.name);
      if (required.module === 'node-fetch') scan.fetchNames.add(id.name);
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
  if (!requestDeclared) scan.requestNames.add('request');
  // The global fetch (Node 18+), unless the rule declares its own.
  if (!fetchDeclared) scan.fetchNames.add('fetch');
  for (const { node, parent: declarator } of constructions) {
    const chain = memberChain(node.callee);
    const isClient = chain && (scan.clientClasses.has(chain.join('.')) || (chain.length > 1 && chain[chain.length - 1] === 'ManagementClient'));
    if (isClient && n.VariableDeclarator.check(declarator) && n.Identifier.check(declarator.id)) {
      scan.clients.add(declarator.id.name);
      scan.requires.push({ name: declarator.id.name, module: 'client', declarator });
    }
  }
  // Every matcher wants the callee to start with one of these names.
  const receivers = new Set(['auth0', ...scan.requestNames, ...scan.axiosNames, ...scan.fetchNames, ...scan.clients]);
  const root = rootPath(body);
  for (const { node, keys } of calls) {
    const head = memberChain(node.callee)?.[0];
    if (head === undefined || !receivers.has(head)) continue;
    const path = root.get(...keys) as NodePath;
    const op = matchRequestCall(path, scan) ?? matchSdkCall(path, scan) ?? matchAxiosCall(path, scan) ?? matchFetchCall(path, scan);
    if (op) scan.operations.push(op);
  }
  return scan;
}

function isFunction(node: unknown): node is Continuation {
  return n.FunctionExpression.check(node) || n.ArrowFunctionExpression.check(node);
}

function paramName(fn: Continuation | null, index: number): string | undefined {
  const param = fn?.params[index];
  return n.Identifier.check(param) ? param.name : undefined;
}

function objectOf(node: unknown, bindings: Bindings): K.ObjectExpression | null {
  if (n.ObjectExpression.check(node)) return node;
  if (n.Identifier.check(node)) {
    const value = bindings.value(node.name);
    if (n.ObjectExpression.check(value)) return value;
  }
  return null;
}

export function property(object: K.ObjectExpression | null, name: string): Expression | null {
  for (const prop of object?.properties ?? []) {
    if (!(n.ObjectProperty.check(prop) || n.Property.check(prop)) || prop.computed) continue;
    const key = n.Identifier.check(prop.key) ? prop.key.name : n.StringLiteral.check(prop.key) ? prop.key.value : null;
    if (key === name) return prop.value as Expression;
  }
  return null;
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

/** `.then(fn[, fn])` / `.then(fn).catch(fn)` / `await call` / a callback argument. */
function continuationOf(path: NodePath, lastArgIsCallback: boolean) {
  const call = path.node as K.CallExpression;
  const last = call.arguments[call.arguments.length - 1];
  if (lastArgIsCallback && isFunction(last)) {
    return { style: 'callback' as const, outer: path, continuation: last, rejection: null };
  }
  const parent = path.parent?.node;
  if (n.AwaitExpression.check(parent)) return { style: 'await' as const, outer: path, continuation: null, rejection: null };
  if (n.MemberExpression.check(parent) && n.Identifier.check(parent.property) && parent.property.name === 'then') {
    const thenPath = path.parent.parent;
    const thenCall = thenPath?.node;
    if (n.CallExpression.check(thenCall) && thenCall.callee === parent && isFunction(thenCall.arguments[0])) {
      let outer: NodePath = thenPath;
      let rejection = isFunction(thenCall.arguments[1]) ? thenCall.arguments[1] : null;
      const next = thenPath.parent?.node;
      if (!rejection && n.MemberExpression.check(next) && n.Identifier.check(next.property) && next.property.name === 'catch') {
        const catchCall = thenPath.parent.parent?.node;
        if (n.CallExpression.check(catchCall) && isFunction(catchCall.arguments[0])) {
          rejection = catchCall.arguments[0];
          outer = thenPath.parent.parent;
        }
      }
      return { style: 'then' as const, outer, continuation: thenCall.arguments[0] as Continuation, rejection };
    }
  }
  return { style: 'other' as const, outer: path, continuation: null, rejection: null };
}

export function matchRequestCall(path: NodePath, scan: RuleScan): Operation | null {
  const call = path.node as K.CallExpression;
  const chain = memberChain(call.callee);
  if (!chain || !scan.requestNames.has(chain[0]) || chain.length > 2) return null;
  const verb = chain[1];
  if (verb !== undefined && !['get', 'post', 'put', 'patch', 'del', 'delete'].includes(verb)) return null;
  const args = call.arguments as Expression[];
  const callbackArg = isFunction(args[args.length - 1]) ? args[args.length - 1] : null;
  const plain = callbackArg ? args.slice(0, -1) : args;
  let options = objectOf(plain[0], scan.bindings);
  let url: Expression | null = null;
  if (!options) {
    url = plain[0] ?? null;
    options = objectOf(plain[1], scan.bindings);
  } else {
    url = property(options, 'url') ?? property(options, 'uri');
  }
  if (!url) return null;
  const spelled = (verb ?? stringValue(property(options, 'method')) ?? 'get').toUpperCase();
  const method = spelled === 'DEL' ? 'DELETE' : spelled;
  const parsedUrl = managementUrl(urlParts(url, scan.bindings));
  const target = parsedUrl ? classifyPath(parsedUrl.path) : null;
  if (!parsedUrl || !target) return null;
  const qs = objectOf(property(options, 'qs'), scan.bindings);
  const json = property(options, 'json');
  const inputs = identifiersIn([plain[0], plain[1], url]);

  let endpoint: Endpoint | null = null;
  if (target.kind === 'by-email' && method === 'GET') {
    const fromQs = property(qs, 'email');
    const email = target.email ?? (fromQs ? unwrapEncode(fromQs).expr : null);
    if (email) endpoint = { kind: 'by-email', email, encoded: target.email ? target.encoded : true };
  } else if (target.kind === 'search' && method === 'GET') {
    const params = new Map(target.params);
    for (const prop of qs?.properties ?? []) {
      if ((n.ObjectProperty.check(prop) || n.Property.check(prop)) && !prop.computed) {
        const key = n.Identifier.check(prop.key) ? prop.key.name : stringValue(prop.key);
        if (key) params.set(key, prop.value as Expression);
      }
    }
    endpoint = searchEndpoint(params, qs ? true : target.encoded);
  } else if (target.kind === 'link' && method === 'POST') {
    let body: Expression | null = json && !n.BooleanLiteral.check(json) ? json : property(options, 'body');
    if (n.CallExpression.check(body) && memberChain(body.callee)?.join('.') === 'JSON.stringify') body = body.arguments[0] as Expression;
    if (body) endpoint = { kind: 'link', primary: target.primary, body: objectOf(body, scan.bindings) ?? body };
  }
  if (!endpoint) return null;
  const shape = continuationOf(path, Boolean(callbackArg));
  return {
    endpoint,
    call,
    path,
    ...shape,
    transport: 'request',
    params: { error: paramName(shape.continuation, 0), response: paramName(shape.continuation, 1), data: paramName(shape.continuation, 2) },
    url: parsedUrl,
    inputs,
    describe: `${chain.join('.')}(…) ${method} ${endpoint.kind === 'by-email' ? '/users-by-email' : endpoint.kind === 'search' ? '/users' : '/users/{id}/identities'}`,
  };
}

function searchEndpoint(params: Map<string, Expression>, encoded: boolean): Endpoint {
  const engine = stringValue(params.get('search_engine'));
  const extra = [...params].filter(([key]) => key !== 'q' && key !== 'search_engine');
  return { kind: 'search', q: params.get('q') ?? null, engine, extra, encoded };
}

const SDK_METHODS: Record<string, 'by-email' | 'search' | 'link'> = {
  getUsersByEmail: 'by-email',
  'users.getByEmail': 'by-email',
  getUsers: 'search',
  'users.getAll': 'search',
  linkUsers: 'link',
  'users.link': 'link',
  // The Rules `auth0.users` object spelled them like the v2 client.
  'users.getUsersByEmail': 'by-email',
  'users.getUsers': 'search',
  'users.linkUsers': 'link',
};

export function matchSdkCall(path: NodePath, scan: RuleScan): Operation | null {
  const call = path.node as K.CallExpression;
  const chain = memberChain(call.callee);
  if (!chain || chain.length < 2) return null;
  const receiver = chain[0];
  if (!scan.clients.has(receiver) && receiver !== 'auth0') return null;
  const method = chain.slice(1).join('.');
  const kind = SDK_METHODS[method];
  if (!kind) return null;
  const args = call.arguments as Expression[];
  const shape = continuationOf(path, true);
  const plain = shape.style === 'callback' ? args.slice(0, -1) : args;
  let endpoint: Endpoint | null = null;
  if (kind === 'by-email' && plain[0]) endpoint = { kind, email: plain[0], encoded: true };
  if (kind === 'search') {
    const params = objectOf(plain[0], scan.bindings);
    if (!params) return null;
    const map = new Map<string, Expression>();
    for (const prop of params.properties) {
      if ((n.ObjectProperty.check(prop) || n.Property.check(prop)) && !prop.computed) {
        const key = n.Identifier.check(prop.key) ? prop.key.name : stringValue(prop.key);
        if (key) map.set(key, prop.value as Expression);
      }
    }
    endpoint = searchEndpoint(map, true);
  }
  if (kind === 'link' && plain[0] && plain[1]) {
    endpoint = { kind, primary: plain[0], body: objectOf(plain[1], scan.bindings) ?? plain[1] };
  }
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
  };
}

export function matchAxiosCall(path: NodePath, scan: RuleScan): Operation | null {
  const call = path.node as K.CallExpression;
  const chain = memberChain(call.callee);
  if (!chain || !scan.axiosNames.has(chain[0]) || chain.length > 2) return null;
  const args = call.arguments as Expression[];
  let method = chain[1]?.toUpperCase() ?? 'GET';
  let url: Expression | null = null;
  let config: K.ObjectExpression | null = null;
  let data: Expression | null = null;
  if (chain.length === 1 || chain[1] === 'request') {
    config = objectOf(args[0], scan.bindings);
    url = property(config, 'url');
    method = (stringValue(property(config, 'method')) ?? 'get').toUpperCase();
    data = property(config, 'data');
  } else if (method === 'POST' || method === 'PUT' || method === 'PATCH') {
    url = args[0] ?? null;
    data = args[1] ?? null;
    config = objectOf(args[2], scan.bindings);
  } else {
    url = args[0] ?? null;
    config = objectOf(args[1], scan.bindings);
  }
  if (!url) return null;
  const parsedUrl = managementUrl(urlParts(url, scan.bindings));
  const target = parsedUrl ? classifyPath(parsedUrl.path) : null;
  if (!parsedUrl || !target) return null;
  const params = objectOf(property(config, 'params'), scan.bindings);
  let endpoint: Endpoint | null = null;
  if (target.kind === 'by-email' && method === 'GET') {
    const fromParams = property(params, 'email');
    const email = target.email ?? (fromParams ? unwrapEncode(fromParams).expr : null);
    if (email) endpoint = { kind: 'by-email', email, encoded: target.email ? target.encoded : true };
  } else if (target.kind === 'search' && method === 'GET') {
    const map = new Map(target.params);
    for (const prop of params?.properties ?? []) {
      if ((n.ObjectProperty.check(prop) || n.Property.check(prop)) && !prop.computed) {
        const key = n.Identifier.check(prop.key) ? prop.key.name : stringValue(prop.key);
        if (key) map.set(key, prop.value as Expression);
      }
    }
    endpoint = searchEndpoint(map, params ? true : target.encoded);
  } else if (target.kind === 'link' && method === 'POST' && data) {
    endpoint = { kind: 'link', primary: target.primary, body: objectOf(data, scan.bindings) ?? data };
  }
  if (!endpoint) return null;
  const shape = continuationOf(path, false);
  return {
    endpoint,
    call,
    path,
    ...shape,
    transport: 'axios',
    params: { data: paramName(shape.continuation, 0), error: paramName(shape.rejection, 0) },
    url: parsedUrl,
    inputs: identifiersIn([args[0], args[1], args[2], url]),
    describe: `${chain.join('.')}(…)`,
  };
}

/** `await fetch(url, { method, headers, body: JSON.stringify(…) })`; the response is read by flatten. */
export function matchFetchCall(path: NodePath, scan: RuleScan): Operation | null {
  const call = path.node as K.CallExpression;
  if (!n.Identifier.check(call.callee) || !scan.fetchNames.has(call.callee.name)) return null;
  const [url, init] = call.arguments as Expression[];
  if (!url) return null;
  const options = objectOf(init, scan.bindings);
  const method = (stringValue(property(options, 'method')) ?? 'get').toUpperCase();
  const parsedUrl = managementUrl(urlParts(url, scan.bindings));
  const target = parsedUrl ? classifyPath(parsedUrl.path) : null;
  if (!parsedUrl || !target) return null;
  let endpoint: Endpoint | null = null;
  if (target.kind === 'by-email' && method === 'GET' && target.email) {
    endpoint = { kind: 'by-email', email: target.email, encoded: target.encoded };
  } else if (target.kind === 'search' && method === 'GET') {
    endpoint = searchEndpoint(new Map(target.params), target.encoded);
  } else if (target.kind === 'link' && method === 'POST') {
    let body = property(options, 'body');
    if (n.CallExpression.check(body) && memberChain(body.callee)?.join('.') === 'JSON.stringify') body = body.arguments[0] as Expression;
    if (body) endpoint = { kind: 'link', primary: target.primary, body: objectOf(body, scan.bindings) ?? body };
  }
  if (!endpoint) return null;
  const awaited = n.AwaitExpression.check(path.parent?.node);
  const holder = awaited ? path.parent.parent?.node : null;
  const response = n.VariableDeclarator.check(holder) && n.Identifier.check(holder.id) ? holder.id.name : undefined;
  return {
    endpoint,
    call,
    path,
    style: awaited ? 'await' : 'other',
    outer: path,
    continuation: null,
    rejection: null,
    transport: 'fetch',
    params: { response },
    url: parsedUrl,
    inputs: identifiersIn([url, init]),
    describe: `${call.callee.name}(…) ${method} ${endpoint.kind === 'by-email' ? '/users-by-email' : endpoint.kind === 'search' ? '/users' : '/users/{id}/identities'}`,
  };
}
