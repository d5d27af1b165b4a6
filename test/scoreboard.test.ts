// The real-world scoreboard's definitions (bench/scoreboard-analysis.mjs), on small rules of our own.
import { describe, expect, it } from 'vitest';
// @ts-expect-error -- a plain .mjs bench module without type declarations
import * as analysis from '../bench/scoreboard-analysis.mjs';

interface Call { kind: string; rulesStyle: boolean; metadata?: boolean }
const { isValidJavaScript, isLinkingRule, managementApiCalls, parseAny, rulesLeftovers, ruleParams } = analysis as {
  isValidJavaScript(text: string): boolean;
  isLinkingRule(text: string, parsed: unknown): boolean;
  managementApiCalls(ast: unknown): Call[];
  parseAny(text: string): { ast: unknown; offset: number } | null;
  rulesLeftovers(ast: unknown, params?: string[]): string[];
  ruleParams(ast: unknown): string[];
};

const rule = (body: string, params = 'user, context, callback') => `function (${params}) {\n${body}\n}\n`;
const action = (body: string, top = '') => `${top}exports.onExecutePostLogin = async (event, api) => {\n${body}\n};\n`;
const calls = (text: string) => managementApiCalls(parseAny(text)?.ast).map((c) => `${c.kind}${c.rulesStyle ? ' (rules)' : ''}`);
const leftovers = (actionText: string, ruleText = rule('')) => rulesLeftovers(parseAny(actionText)?.ast, ruleParams(parseAny(ruleText)?.ast));

describe('valid JavaScript (V8 compiles it as a script, an expression or a function body)', () => {
  it.each([
    ['anonymous rule', rule('callback(null, user, context);'), true],
    ['no space after function', 'function(user, context, callback) {\n  callback(null, user, context);\n}\n', true],
    ['named rule', 'function rule(user, context, callback) { callback(null, user, context); }', true],
    ['a bare body', 'callback(null, user, context);', true],
    ['a missing parenthesis', rule('if (user.email { callback(null, user, context); }'), false],
    ['a redeclared parameter', rule('let user = 1;'), false],
  ])('%s', (_, text, valid) => {
    expect(isValidJavaScript(text)).toBe(valid);
  });
});

describe('linking rule (../shared/corpus/README.md)', () => {
  const linking = (text: string) => isLinkingRule(text, parseAny(text));
  it.each([
    ['users-by-email search', rule("request.get(auth0.baseUrl + '/users-by-email?email=' + user.email, function () {});"), true],
    ['identities link', rule("request.post({ url: auth0.baseUrl + '/users/' + id + '/identities' }, cb);"), true],
    ['the legacy client', rule('management.linkUsers(a, b, cb);'), true],
    ['a user search with q', rule("request({ url: base + '/users', qs: { q: 'email:\"' + user.email + '\"' } }, cb);"), true],
    ['primary user', rule('context.primaryUser = other;'), true],
    ['only in a comment', rule('// we used to call /users-by-email here\ncallback(null, user, context);'), false],
    ['a claims rule', rule("context.idToken['https://x/roles'] = user.app_metadata.roles;"), false],
  ])('%s', (_, text, expected) => {
    expect(linking(text)).toBe(expected);
  });
});

describe('Management API calls', () => {
  it('finds request calls to the Rules base URL, through variables', () => {
    expect(calls(rule("var url = auth0.baseUrl + '/users/' + user.user_id;\nrequest.patch({ url: url, json: {} }, cb);"))).toEqual(['http (rules)']);
  });
  it('finds the Rules auth0.users helpers', () => {
    expect(managementApiCalls(parseAny(rule('auth0.users.updateAppMetadata(user.user_id, user.app_metadata);'))?.ast)).toMatchObject([
      { kind: 'auth0-users', metadata: true, rulesStyle: true },
    ]);
  });
  it('tells a legacy client built from the Rules token from one built from secrets', () => {
    const legacy = rule("var ManagementClient = require('auth0@2.9.1').ManagementClient;\nvar m = new ManagementClient({ token: auth0.accessToken, domain: auth0.domain });\nm.getUser({ id: user.user_id }, cb);");
    expect(calls(legacy)).toEqual(['client (rules)']);
    const fromSecrets = action(
      'const m = client(event);\nawait m.users.get({ id: event.user.user_id });',
      "const { ManagementClient } = require('auth0');\nfunction client(event) { return new ManagementClient({ domain: event.secrets.DOMAIN, clientId: event.secrets.ID, clientSecret: event.secrets.SECRET }); }\n",
    );
    expect(calls(fromSecrets)).toEqual(['client']);
  });
  it('counts a wrapper called with a Management API URL, not an HTTP call elsewhere', () => {
    expect(calls(rule("function apiCall(url) { return new Promise(function (resolve) { resolve(url); }); }\napiCall(auth0.baseUrl + '/users');"))).toEqual(['wrapper (rules)']);
    expect(calls(rule("request.post('https://hooks.example.com/login', { json: { id: user.user_id } }, cb);"))).toEqual([]);
  });
  it('finds calls on a client a local function builds, called in the chain', () => {
    const top = "const { ManagementClient } = require('auth0');\nfunction managementClient(event) { return new ManagementClient({ domain: event.secrets.DOMAIN, token: () => 't' }); }\n";
    expect(calls(action('await managementClient(event).users.list({ q: event.user.email });', top))).toEqual(['client']);
    expect(calls(action('await helper(event).users.list();', 'function helper(event) { return event; }\n'))).toEqual([]);
  });
  it('does not count a client-credentials token request whose audience is the Management API', () => {
    const body = "{ grant_type: 'client_credentials', client_id: configuration.ID, client_secret: configuration.SECRET, audience: 'https://' + configuration.DOMAIN + '/api/v2/' }";
    expect(calls(rule(`var rp = require('request-promise@4.2.2');\nrp({ method: 'POST', uri: 'https://' + configuration.DOMAIN + '/oauth/token', body: ${body}, json: true });`))).toEqual([]);
    expect(calls(rule("var rp = require('request-promise@4.2.2');\nrp({ method: 'GET', uri: 'https://' + configuration.DOMAIN + '/api/v2/users', json: true });"))).toEqual(['http (rules)']);
  });
});

describe('Rules leftovers in an Action', () => {
  it('none in a clean Action', () => {
    expect(leftovers(action("api.idToken.setCustomClaim('x', event.user.email);"))).toEqual([]);
  });
  it('free Rules names and the auth0 object', () => {
    expect(leftovers(action("const token = auth0.accessToken;\nconsole.log(user.email, configuration.KEY);"))).toEqual(['auth0.accessToken', 'configuration', 'user']);
  });
  it("the rule's own parameter names", () => {
    expect(leftovers(action('done(null, u, ctx);'), rule('', 'u, ctx, done'))).toEqual(['callback', 'context', 'user']);
  });
  it('a callback the Action defines itself is not one, nor code under a TODO comment', () => {
    const bridge = action('await new Promise((resolve) => {\n  const callback = () => resolve();\n  callback();\n});\n// TODO(rules2actions): auth0.accessToken\n// request.get(auth0.baseUrl)');
    expect(leftovers(bridge)).toEqual([]);
  });
  it('the request package to the Management API, not to another API', () => {
    const toApi = action("request.get({ url: 'https://' + event.secrets.DOMAIN + '/api/v2/users' }, () => {});", "const request = require('request');\n");
    expect(leftovers(toApi)).toEqual(['request-to-management-api']);
    const elsewhere = action("request.post('https://hooks.example.com', () => {});", "const request = require('request');\n");
    expect(leftovers(elsewhere)).toEqual([]);
  });
});
