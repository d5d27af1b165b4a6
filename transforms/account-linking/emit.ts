// What the Action calls instead, per `auth0` SDK major (auth0-sdk.md §1), and the helper that
// builds the client from the Action's secrets with a client-credentials token cached in api.cache.
import { b, n } from '../../src/ast.js';
import { template } from '../../src/nodes.js';
import type { Expression, SdkMajor, Statement } from '../../src/types.js';
import type { Endpoint } from './operations.js';

import type { namedTypes as K } from 'ast-types';

export const SDK_VERSION: Record<SdkMajor, string> = { 7: '7.1.0', 4: '4.37.1' };
export const SECRETS = ['AUTH0_DOMAIN', 'AUTH0_CLIENT_ID', 'AUTH0_CLIENT_SECRET'];
export const SCOPES = ['read:users', 'update:users'];
export const CLIENT_FACTORY = 'managementClient';

function member(object: Expression, path: string): Expression {
  return path.split('.').reduce<Expression>((acc, key) => b.memberExpression(acc, b.identifier(key)), object);
}

function prop(key: string, value: Expression): K.ObjectProperty {
  const property = b.objectProperty(b.identifier(key), value);
  if (n.Identifier.check(value) && value.name === key) property.shorthand = true;
  return property;
}

type SdkCall = { call: Expression; data: boolean; describe: string };

const call = (client: string, path: string, args: Expression[], data: boolean, describe: string): SdkCall => ({
  call: b.callExpression(member(b.identifier(client), path), args),
  data,
  describe: `${client}.${describe}`,
});
const idObject = (id: Expression) => b.objectExpression([prop('id', id)]);

/**
 * Endpoint → the SDK call per major (auth0-sdk.md §1): v7 takes path parameters positionally and
 * returns the body (list endpoints a Page, read through `.data`); v4 takes `{ id }` and wraps every
 * result in `{ data }`.
 */
const SDK_CALLS: { [K in Endpoint['kind']]: (endpoint: Extract<Endpoint, { kind: K }>, sdk: SdkMajor, client: string) => SdkCall } = {
  'by-email': (e, sdk, c) =>
    sdk === 7
      ? call(c, 'users.listUsersByEmail', [b.objectExpression([prop('email', e.email)])], false, 'users.listUsersByEmail({ email })')
      : call(c, 'usersByEmail.getByEmail', [b.objectExpression([prop('email', e.email)])], true, 'usersByEmail.getByEmail({ email })'),
  search: (e, sdk, c) => {
    const props = [
      ...(e.q ? [prop('q', e.q)] : []),
      b.objectProperty(b.identifier('search_engine'), b.stringLiteral('v3')),
      ...e.extra.map(([key, value]) => prop(key, value)),
    ];
    const method = sdk === 7 ? 'users.list' : 'users.getAll';
    return call(c, method, [b.objectExpression(props)], true, `${method}({ q, search_engine: 'v3' })`);
  },
  link: (e, sdk, c) =>
    sdk === 7
      ? call(c, 'users.identities.link', [e.primary, e.body], false, 'users.identities.link(primaryId, { provider, user_id })')
      : call(c, 'users.link', [idObject(e.primary), e.body], true, 'users.link({ id: primaryId }, { provider, user_id })'),
  unlink: (e, sdk, c) =>
    sdk === 7
      ? call(c, 'users.identities.delete', [e.primary, e.provider, e.secondary], false, 'users.identities.delete(primaryId, provider, user_id)')
      : call(c, 'users.unlink', [b.objectExpression([prop('id', e.primary), prop('provider', e.provider), prop('user_id', e.secondary)])], true, 'users.unlink({ id, provider, user_id })'),
  'get-user': (e, sdk, c) => (sdk === 7 ? call(c, 'users.get', [e.id], false, 'users.get(id)') : call(c, 'users.get', [idObject(e.id)], true, 'users.get({ id })')),
  'update-user': (e, sdk, c) =>
    sdk === 7 ? call(c, 'users.update', [e.id, e.body], false, 'users.update(id, changes)') : call(c, 'users.update', [idObject(e.id), e.body], true, 'users.update({ id }, changes)'),
  'user-roles': (e, sdk, c) =>
    sdk === 7 ? call(c, 'users.roles.list', [e.id], true, 'users.roles.list(id)') : call(c, 'users.getRoles', [idObject(e.id)], true, 'users.getRoles({ id })'),
  'assign-roles': (e, sdk, c) =>
    sdk === 7 ? call(c, 'users.roles.assign', [e.id, e.body], false, 'users.roles.assign(id, { roles })') : call(c, 'users.assignRoles', [idObject(e.id), e.body], true, 'users.assignRoles({ id }, { roles })'),
  'user-permissions': (e, sdk, c) =>
    sdk === 7 ? call(c, 'users.permissions.list', [e.id], true, 'users.permissions.list(id)') : call(c, 'users.getPermissions', [idObject(e.id)], true, 'users.getPermissions({ id })'),
  'verification-email': (e, sdk, c) =>
    sdk === 7 ? call(c, 'jobs.verificationEmail.create', [e.body], false, 'jobs.verificationEmail.create({ user_id })') : call(c, 'jobs.verifyEmail', [e.body], true, 'jobs.verifyEmail({ user_id })'),
  connections: (e, sdk, c) => {
    const method = sdk === 7 ? 'connections.list' : 'connections.getAll';
    return call(c, method, e.params.length > 0 ? [b.objectExpression(e.params.map(([key, value]) => prop(key, value)))] : [], true, `${method}(${e.params.length > 0 ? '{ … }' : ''})`);
  },
};

/** The SDK call (not awaited) and whether its result is wrapped in `{ data }` (v4, or a v7 Page). */
export function sdkCall(endpoint: Endpoint, sdk: SdkMajor, client: string): SdkCall {
  return (SDK_CALLS[endpoint.kind] as (e: Endpoint, sdk: SdkMajor, client: string) => SdkCall)(endpoint, sdk, client);
}

/** `await call`, or `(await call).data` when the result is used and wrapped. */
export function awaited(call: Expression, data: boolean, used: boolean): Expression {
  const wait = b.awaitExpression(call);
  return data && used ? b.memberExpression(wait, b.identifier('data')) : wait;
}

export function clientDeclaration(name: string): Statement {
  // One template for every name: recast reprints just the renamed identifier.
  const [declaration] = template(`const management = ${CLIENT_FACTORY}(event, api);`) as [K.VariableDeclaration];
  ((declaration.declarations[0] as K.VariableDeclarator).id as K.Identifier).name = name;
  return declaration;
}

export function requireStatement(): Statement {
  return template(`const { ManagementClient } = require('auth0');`)[0];
}

const TOKEN_HELPER = `
/** Client-credentials token, cached in api.cache so a login does not mint a new M2M token each time. */
async function managementApiToken(api, domain, clientId, clientSecret) {
  const cacheKey = \`mgmt-api-token-\${clientId}\`;
  const cached = api.cache.get(cacheKey);
  if (cached?.value) return cached.value;
  const response = await fetch(\`https://\${domain}/oauth/token\`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      grant_type: 'client_credentials',
      client_id: clientId,
      client_secret: clientSecret,
      audience: \`https://\${domain}/api/v2/\`,
    }),
  });
  if (!response.ok) throw new Error(\`Management API token request failed: \${response.status} \${response.statusText}\`);
  const { access_token: accessToken, expires_in: expiresIn } = await response.json();
  // expires_in is in seconds, the cache ttl in milliseconds; drop the token a minute before it expires.
  const ttl = (expiresIn - 60) * 1000;
  if (ttl > 0) api.cache.set(cacheKey, accessToken, { ttl });
  return accessToken;
}
`;

/** Adds the token helper (client credentials, cached in api.cache) to the prelude unless it is there. */
export function ensureTokenHelper(prelude: Statement[]): void {
  if (prelude.some((s) => n.FunctionDeclaration.check(s) && s.id?.name === 'managementApiToken')) return;
  prelude.push(...template(TOKEN_HELPER));
}

/**
 * Built once per Action. The token is fetched on the client's first request (early returns cost
 * nothing) with global fetch (auth0@7 has no AuthenticationClient) and kept in api.cache.
 */
export function preludeStatements(): Statement[] {
  return template(`
/** Management API client for the M2M application in the Action's secrets; the token is fetched on first use. */
function ${CLIENT_FACTORY}(event, api) {
  const { AUTH0_DOMAIN: domain, AUTH0_CLIENT_ID: clientId, AUTH0_CLIENT_SECRET: clientSecret } = event.secrets;
  let token;
  return new ManagementClient({
    domain,
    token: () => (token ??= managementApiToken(api, domain, clientId, clientSecret)),
  });
}
${TOKEN_HELPER}`);
}

/**
 * Adapters for a call converted where its flow is kept (the rule's own callback or promise shape):
 * the SDK promise answers as the rule's transport did. Emitted once per Action, when used.
 */
export const ADAPTERS = {
  requestCallback: `
/** Calls back as \`request\` did: an HTTP error comes as a response with its status code, not as \`err\`. */
function requestCallback(promise, callback, json, status) {
  const asBody = (value) => (json || value === undefined ? value : JSON.stringify(value));
  promise.then(
    (body) => callback(null, { statusCode: status, body: asBody(body) }, asBody(body)),
    (err) => (err && err.statusCode ? callback(null, { statusCode: err.statusCode, statusMessage: require('node:http').STATUS_CODES[err.statusCode], body: asBody(err.body) }, asBody(err.body)) : callback(err)),
  );
}
`,
  sdkCallback: `
/** Calls back as the auth0@2 client did: (err, result). */
function sdkCallback(promise, callback) {
  promise.then((result) => callback(null, result), (err) => callback(err));
}
`,
  fetchResponse: `
/** A fetch Response for the SDK's result: HTTP errors resolve with ok false and the reason phrase, as fetch did. */
function fetchResponse(promise, status) {
  const response = (code, body) => ({
    ok: code >= 200 && code < 300,
    status: code,
    statusText: require('node:http').STATUS_CODES[code] ?? '',
    json: async () => (typeof body === 'string' ? JSON.parse(body) : body),
    text: async () => (typeof body === 'string' ? body : JSON.stringify(body)),
  });
  return promise.then(
    (body) => response(status, body),
    (err) => {
      if (!err || !err.statusCode) throw err;
      return response(err.statusCode, err.body);
    },
  );
}
`,
} as const;

export type AdapterName = keyof typeof ADAPTERS;

/** Adds the adapter to the module's prelude unless it is there. */
export function ensureAdapter(prelude: Statement[], name: AdapterName): void {
  if (prelude.some((s) => n.FunctionDeclaration.check(s) && s.id?.name === name)) return;
  prelude.push(...template(ADAPTERS[name]));
}

/** The status a successful call of the endpoint answered with (raw HTTP callers may test it). */
export const SUCCESS_STATUS: Record<Endpoint['kind'], number> = {
  'by-email': 200,
  search: 200,
  'get-user': 200,
  'update-user': 200,
  link: 201,
  unlink: 200,
  'user-roles': 200,
  'assign-roles': 204,
  'user-permissions': 200,
  'verification-email': 201,
  connections: 200,
};
