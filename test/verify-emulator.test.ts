/** The Management API emulator over real HTTPS, in-process; only these test requests trust its certificate. */
import { request } from 'node:https';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createCertificate, linkingScenarios, startEmulator, type Emulator, type Scenario } from '../src/verify/index.js';

let emulator: Emulator;
let ca: Buffer;
let token: string;

interface Reply {
  status: number;
  body: unknown;
}

function call(method: string, path: string, options: { json?: unknown; form?: Record<string, string>; bearer?: string | null } = {}): Promise<Reply> {
  const payload = options.json !== undefined ? JSON.stringify(options.json) : options.form ? new URLSearchParams(options.form).toString() : undefined;
  const headers: Record<string, string> = {};
  if (options.json !== undefined) headers['content-type'] = 'application/json';
  if (options.form) headers['content-type'] = 'application/x-www-form-urlencoded';
  const bearer = options.bearer === undefined ? token : options.bearer;
  if (bearer) headers.authorization = `Bearer ${bearer}`;
  return new Promise((resolve, reject) => {
    const req = request({ host: 'localhost', port: emulator.port, method, path, headers, ca }, (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : undefined }));
    });
    req.on('error', reject);
    req.end(payload);
  });
}

const scenario = (name: string): Scenario => {
  const found = linkingScenarios().find((s) => s.name === name);
  if (!found) throw new Error(name);
  return found;
};

const credentials = () => ({
  grant_type: 'client_credentials',
  client_id: emulator.clientId,
  client_secret: emulator.clientSecret,
  audience: `https://${emulator.domain}/api/v2/`,
});

beforeAll(async () => {
  const certificate = await createCertificate();
  ca = Buffer.from(certificate.cert);
  emulator = await startEmulator(certificate);
});
afterAll(() => emulator?.stop());

beforeEach(async () => {
  emulator.load(scenario('new-account-joins-existing'));
  const reply = await call('POST', '/oauth/token', { json: credentials(), bearer: null });
  token = (reply.body as { access_token: string }).access_token;
});

describe('POST /oauth/token', () => {
  it('issues tokens for JSON and form-encoded client credentials and counts them', async () => {
    const form = await call('POST', '/oauth/token', { form: credentials(), bearer: null });
    expect(form.status).toBe(200);
    expect(form.body).toMatchObject({ token_type: 'Bearer', expires_in: 86400 });
    expect(emulator.tokensIssued()).toBe(2);
  });

  it('refuses a wrong secret and an audience without the trailing slash', async () => {
    expect((await call('POST', '/oauth/token', { json: { ...credentials(), client_secret: 'nope' }, bearer: null })).status).toBe(401);
    const audience = `https://${emulator.domain}/api/v2`;
    expect((await call('POST', '/oauth/token', { json: { ...credentials(), audience }, bearer: null })).status).toBe(403);
  });
});

describe('/api/v2', () => {
  it('requires an issued bearer token; the Rules runtime token is accepted too', async () => {
    expect((await call('GET', '/api/v2/rules', { bearer: null })).status).toBe(401);
    expect((await call('GET', '/api/v2/rules', { bearer: 'made-up' })).status).toBe(401);
    expect((await call('GET', '/api/v2/rules', { bearer: emulator.runtimeToken })).status).toBe(200);
  });

  it('users-by-email matches exactly and case-sensitively', async () => {
    const found = await call('GET', '/api/v2/users-by-email?email=alice%40example.com');
    expect((found.body as Array<{ user_id: string }>).map((u) => u.user_id)).toEqual([
      'auth0|5f0c8a1e2b3c4d5e6f708091',
      'google-oauth2|108234567890123456789',
    ]);
    expect((await call('GET', '/api/v2/users-by-email?email=Alice%40example.com')).body).toEqual([]);
    expect((await call('GET', '/api/v2/users-by-email')).status).toBe(400);
  });

  it('users?q= applies the search, fields and include_totals', async () => {
    const q = encodeURIComponent('email:"ALICE@example.com" AND email_verified:"true" -user_id:"google-oauth2|108234567890123456789"');
    const plain = await call('GET', `/api/v2/users?q=${q}&search_engine=v3&fields=user_id`);
    expect(plain.body).toEqual([{ user_id: 'auth0|5f0c8a1e2b3c4d5e6f708091' }]);
    const totals = await call('GET', `/api/v2/users?q=${q}&search_engine=v3&include_totals=true`);
    expect(totals.body).toMatchObject({ total: 1, start: 0, users: [{ user_id: 'auth0|5f0c8a1e2b3c4d5e6f708091' }] });
    expect((await call('GET', `/api/v2/users?q=${encodeURIComponent('created_at:[2019 TO 2020]')}`)).status).toBe(400);
  });

  it('link moves the identity into the primary and removes the secondary user', async () => {
    const reply = await call('POST', '/api/v2/users/auth0%7C5f0c8a1e2b3c4d5e6f708091/identities', {
      json: { provider: 'google-oauth2', user_id: '108234567890123456789' },
    });
    expect(reply.status).toBe(201);
    expect((reply.body as Array<{ provider: string }>).map((i) => i.provider)).toEqual(['auth0', 'google-oauth2']);
    const users = emulator.users();
    expect(users.map((u) => u.user_id)).toEqual(['auth0|5f0c8a1e2b3c4d5e6f708091']);
    expect(users[0].identities[1].profileData).toMatchObject({ email: 'alice@example.com' });
    // Linking the same identity again conflicts.
    const again = await call('POST', '/api/v2/users/auth0%7C5f0c8a1e2b3c4d5e6f708091/identities', {
      json: { provider: 'google-oauth2', user_id: '108234567890123456789' },
    });
    expect(again.status).toBe(409);
  });

  it('link answers 400 on a bad body and 404 on an unknown user', async () => {
    const path = '/api/v2/users/auth0%7C5f0c8a1e2b3c4d5e6f708091/identities';
    expect((await call('POST', path, { json: { provider: 'google-oauth2' } })).status).toBe(400);
    expect((await call('POST', '/api/v2/users/auth0%7Cnobody/identities', { json: { provider: 'auth0', user_id: 'x' } })).status).toBe(404);
    expect((await call('POST', path, { json: { provider: 'github', user_id: 1 } })).status).toBe(404);
  });

  it('PATCH merges metadata at the first level and deletes null keys', async () => {
    const reply = await call('PATCH', '/api/v2/users/auth0%7C5f0c8a1e2b3c4d5e6f708091', {
      json: { app_metadata: { plan: null, roles: ['admin'] }, user_metadata: { lang: 'nl' } },
    });
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({ app_metadata: { roles: ['admin'] }, user_metadata: { theme: 'dark', lang: 'nl' } });
    expect((reply.body as { app_metadata: object }).app_metadata).not.toHaveProperty('plan');
  });

  it('injects the scenario faults and records every call', async () => {
    emulator.load(scenario('link-conflict'));
    token = emulator.runtimeToken;
    expect((await call('GET', '/api/v2/users-by-email?email=alice%40example.com')).status).toBe(200);
    const link = await call('POST', '/api/v2/users/auth0%7C5f0c8a1e2b3c4d5e6f708091/identities', {
      json: { provider: 'google-oauth2', user_id: '108234567890123456789' },
    });
    expect(link.status).toBe(409);
    expect(emulator.users()).toHaveLength(2); // nothing moved
    expect(emulator.calls().map((c) => [c.method, c.path, c.status])).toEqual([
      ['GET', '/api/v2/users-by-email', 200],
      ['POST', '/api/v2/users/auth0%7C5f0c8a1e2b3c4d5e6f708091/identities', 409],
    ]);
    expect(emulator.calls()[1].body).toEqual({ provider: 'google-oauth2', user_id: '108234567890123456789' });
  });
});
