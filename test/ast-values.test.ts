import { describe, expect, it } from 'vitest';
import { createValues, describeObject, describeParts } from '../src/ast/values.js';
import { n } from '../src/ast.js';
import { parse } from '../src/parse.js';
import { maskTokens } from '../src/tokens.js';
import type { Node } from '../src/types.js';
import { walk } from '../src/walk.js';

/** Evaluates the argument of the last `use(…)` call in `code` (a rule body's statements). */
function evaluateUse(code: string) {
  const ast = parse(code);
  const body = ast.program.body as unknown as Node[];
  let target: unknown = null;
  walk(body, (node) => {
    if (n.CallExpression.check(node) && n.Identifier.check(node.callee) && node.callee.name === 'use') target = node.arguments[0];
  });
  return { values: createValues(body), target };
}

function stringOf(code: string): string | null {
  const { values, target } = evaluateUse(code);
  const parts = values.string(target);
  return parts ? describeParts(parts) : null;
}

function objectOf(code: string): string | null {
  const { values, target } = evaluateUse(code);
  const value = values.object(target);
  return value ? describeObject(value) : null;
}

// Holes print as ${known kind} for sandbox values, ${source} otherwise; `|enc` marks encodeURIComponent.
const strings: Array<[string, string, string | null]> = [
  ['a literal', "use('/users');", '/users'],
  ['concatenation with auth0.baseUrl', "use(auth0.baseUrl + '/users/' + user.user_id);", '${auth0.baseUrl}/users/${user.user_id}'],
  ['a template literal', 'use(`${auth0.baseUrl}/users/${id}/identities`);', '${auth0.baseUrl}/users/${id}/identities'],
  ['a hoisted variable', "var base = auth0.baseUrl;\nvar url = base + '/users-by-email';\nuse(url);", '${auth0.baseUrl}/users-by-email'],
  ['encodeURIComponent of a variable', "use('/users-by-email?email=' + encodeURIComponent(user.email));", '/users-by-email?email=${user.email|enc}'],
  ['encodeURIComponent of a literal', "use('?q=' + encodeURIComponent('a b'));", '?q=a%20b'],
  ['String.prototype.concat', "use('https://'.concat(auth0.domain, '/api/v2/users'));", 'https://${auth0.domain}/api/v2/users'],
  ['util.format', "var util = require('util');\nuse(util.format('%s/users/%s', auth0.baseUrl, id));", '${auth0.baseUrl}/users/${id}'],
  ['url.resolve with an absolute path', "use(url.resolve(auth0.baseUrl, '/api/v2/users-by-email'));", '${auth0.baseUrl}/users-by-email'],
  ['url.resolve with a base ending in a slash', "use(url.resolve('https://t.auth0.com/api/v2/', 'users'));", 'https://t.auth0.com/api/v2/users'],
  ['new URL with auth0.baseUrl', "use(new URL('/api/v2/users-by-email', auth0.baseUrl));", '${auth0.baseUrl}/users-by-email'],
  [
    'new URL and searchParams',
    "const u = new URL('/api/v2/users-by-email', auth0.baseUrl);\nu.searchParams.append('email', user.email);\nuse(u.toString());",
    '${auth0.baseUrl}/users-by-email?email=${user.email|enc}',
  ],
  [
    'searchParams.set twice',
    "const u = new URL('https://t.auth0.com/api/v2/users');\nu.searchParams.set('q', q);\nu.searchParams.set('search_engine', 'v3');\nuse(u.href);",
    'https://t.auth0.com/api/v2/users?q=${q|enc}&search_engine=v3',
  ],
  [
    'URLSearchParams of an object, through toString',
    "const params = new URLSearchParams({ email: user.email });\nuse(auth0.baseUrl + '/users-by-email?' + params.toString());",
    '${auth0.baseUrl}/users-by-email?email=${user.email|enc}',
  ],
  ['URLSearchParams text is encoded as a form', "use('/users?' + new URLSearchParams({ q: 'a b&c', per_page: 5 }));", '/users?q=a+b%26c&per_page=5'],
  [
    'URLSearchParams with set and append before the read',
    "const p = new URLSearchParams({ q: 'x' });\np.set('q', q);\np.append('search_engine', 'v3');\nuse(`${auth0.baseUrl}/users?${p}`);",
    '${auth0.baseUrl}/users?q=${q|enc}&search_engine=v3',
  ],
  // Not followed: the params stay one opaque hole, so no query parameter is read from them.
  ['URLSearchParams: a second pair of one key stays a hole', "const p = new URLSearchParams({ q: 'x' });\np.append('q', 'y');\nuse('/users?' + p);", '/users?${p}'],
  ['URLSearchParams of an object with a spread stays a hole', "use('/users?' + new URLSearchParams({ ...opts }));", '/users?${new URLSearchParams({ ...opts })}'],
  ['URLSearchParams changed in a branch stays a hole', "const p = new URLSearchParams({});\nif (x) p.set('q', q);\nuse('/users?' + p);", '/users?${p}'],
  ['configuration values are known', "use('https://' + configuration.DOMAIN + '/api/v2/users');", 'https://${configuration.DOMAIN}/api/v2/users'],
  ['straight-line reassignment: the last one before the read', "let url = '/a';\nurl = '/users';\nuse(url);", '/users'],
  ['a reassignment in a branch makes it unknown', "let url = '/a';\nif (x) url = '/b';\nuse(url);", null],
  ['two unknowns do not make a string', 'use(a + b);', null],
  [
    'a property of a known object, nested',
    "const config = { endpoints: { userApi: auth0.baseUrl + '/users' } };\nuse(config.endpoints.userApi + '/' + id);",
    '${auth0.baseUrl}/users/${id}',
  ],
  ['a property the object does not hold is a hole', "const config = { a: '/x' };\nuse(config.b + '/users');", '${config.b}/users'],
  ['a property of a parameter is a hole', "function f(o) {\n  use(o.url + '/users');\n}", '${o.url}/users'],
];

const objects: Array<[string, string, string | null]> = [
  ['a literal', "use({ url: u, json: true });", 'url: u, json: true'],
  ['a variable', "var opts = { url: u };\nuse(opts);", 'url: u'],
  ['spread', "var base = { json: true };\nuse({ ...base, url: u });", 'json: true, url: u'],
  ['Object.assign', "var h = { a: 1 };\nuse(Object.assign({}, h, { b: 2 }));", 'a: 1, b: 2'],
  ['Object.assign of a single literal', "let o = Object.assign({ url: u, method: 'GET' });\nuse(o);", "url: u, method: 'GET'"],
  ['property writes after the declaration', "var o = { url: u };\no.method = 'POST';\no.json = body;\nuse(o);", "url: u, method: 'POST', json: body"],
  [
    'reassigned in a nested function, read there',
    "let o = { url: a };\nfunction next() {\n  o = { url: b };\n  use(o);\n}",
    'url: b',
  ],
  ['a helper returning one, parameters replaced', "function opts(path) {\n  return { url: auth0.baseUrl + path, json: true };\n}\nuse(opts('/users/' + id));", "url: auth0.baseUrl + ('/users/' + id), json: true"],
  ['an arrow helper', "const opts = (e) => ({ qs: { email: e } });\nuse(opts(user.email));", 'qs: { email: user.email }'],
  ['a helper that needs its own variable is incomplete', "function opts() {\n  var t = now();\n  return { url: t };\n}\nuse(opts());", ', …'],
  ['an unknown spread is incomplete', 'use({ ...other, url: u });', 'url: u, …'],
  [
    'reassigned from itself',
    "let o = { url: a, json: true };\no = Object.assign({}, o, { url: b });\no.method = 'POST';\nuse(o);",
    "url: b, json: true, method: 'POST'",
  ],
  ['a parameter is unknown', 'function f(o) {\n  use(o);\n}', null],
];

describe('values.string', () => {
  it.each(strings)('%s', (_title, code, expected) => {
    expect(stringOf(code)).toBe(expected);
  });

  it('keeps masked keyword tokens in the text', () => {
    const { masked } = maskTokens("use('@@API_URL@@' + '/users');");
    const parts = evaluateUse(masked).values.string(evaluateUse(masked).target);
    expect(parts).toHaveLength(1);
    expect('text' in parts![0] && parts![0].text.endsWith('/users')).toBe(true);
  });
});

describe('values.object', () => {
  it.each(objects)('%s', (_title, code, expected) => {
    expect(objectOf(code)).toBe(expected);
  });

  it('reads nested values through the helper arguments', () => {
    const { values, target } = evaluateUse("const opts = (e) => ({ qs: { email: e } });\nuse(opts(user.email));");
    const qs = values.object(target)!.properties.get('qs');
    const inner = values.object(qs);
    // The nested object was copied with the argument in place of `e`.
    expect(inner && describeObject(inner)).toBe('email: user.email');
  });
});

describe('values.objectIn', () => {
  // The options a helper builds from its parameter, for one call of it: `wrap({ url: '/users', qs })`.
  const cases: Array<[string, string, string | null]> = [
    [
      'Object.assign of defaults and the parameter',
      "function wrap(options) {\n  return Object.assign({ json: true, url: options.url }, options);\n}\nuse(wrap({ url: '/users', qs: q }));",
      "json: true, url: '/users', qs: q",
    ],
    ['the parameter itself', "function wrap(options) {\n  return options;\n}\nuse(wrap({ url: u }));", 'url: u'],
    ['a missing argument leaves the parameter unknown', "function wrap(options) {\n  return Object.assign({ json: true }, options);\n}\nuse(wrap());", null],
  ];
  it.each(cases)('%s', (_title, code, expected) => {
    const { values, target } = evaluateUse(code);
    const call = target as { callee: unknown; arguments: never[] };
    const fn = values.functionOf(call.callee)!;
    const returned = ((fn.body as { body: Array<{ argument: unknown }> }).body[0]).argument;
    const value = values.objectIn(returned, fn, call.arguments);
    expect(value ? describeObject(value) : null).toBe(expected);
  });
});

describe('values.known / evaluate', () => {
  const known: Array<[string, string | null]> = [
    ['auth0.baseUrl', 'auth0.baseUrl'],
    ['auth0.domain', 'auth0.domain'],
    ['auth0.accessToken', 'auth0.accessToken'],
    ['configuration.API_TOKEN', 'configuration'],
    ["configuration['API_TOKEN']", 'configuration'],
    ['auth0.users', null],
  ];
  it('a local auth0 is not the sandbox', () => {
    const { values, target } = evaluateUse("var auth0 = { baseUrl: 'x' };\nuse(auth0.baseUrl);");
    expect(values.known(target)).toBeNull();
  });

  it.each(known)('%s', (code, kind) => {
    const { values, target } = evaluateUse(`use(${code});`);
    expect(values.known(target)?.kind ?? null).toBe(kind);
    expect(values.evaluate(target).kind).toBe(kind ? 'known' : 'unknown');
  });
});
