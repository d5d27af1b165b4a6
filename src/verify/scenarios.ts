/** Built-in scenario matrices and scenario files. */
import { readFile } from 'node:fs/promises';
import type { Identity, Scenario, TenantUser } from './types.js';

const EMAIL = 'alice@example.com';

function user(userId: string, connection: string, extra: Partial<TenantUser> = {}): TenantUser {
  const cut = userId.indexOf('|');
  const provider = userId.slice(0, cut);
  const identity: Identity = {
    provider,
    user_id: userId.slice(cut + 1),
    connection,
    isSocial: provider !== 'auth0' && provider !== 'email' && provider !== 'sms',
  };
  return {
    user_id: userId,
    email: EMAIL,
    email_verified: true,
    name: 'Alice Example',
    nickname: (extra.email ?? EMAIL).split('@')[0],
    identities: [identity],
    app_metadata: {},
    user_metadata: {},
    created_at: '2024-01-01T00:00:00.000Z',
    ...extra,
  };
}

const databaseAlice = () =>
  user('auth0|5f0c8a1e2b3c4d5e6f708091', 'Username-Password-Authentication', {
    created_at: '2019-03-04T10:00:00.000Z',
    app_metadata: { plan: 'gold' },
    user_metadata: { theme: 'dark' },
  });
const googleAlice = (extra: Partial<TenantUser> = {}) =>
  user('google-oauth2|108234567890123456789', 'google-oauth2', { created_at: '2025-06-01T12:00:00.000Z', ...extra });
const passwordlessAlice = () => user('email|6650a1b2c3d4e5f6a7b8c9d0', 'email', { created_at: '2025-06-02T08:00:00.000Z' });
const bob = () =>
  user('auth0|5f0c8a1e2b3c4d5e6f708099', 'Username-Password-Authentication', { email: 'bob@example.com', name: 'Bob Example' });

/** The account-linking matrix (issue 3 §6, issue 5 §4). The logging-in user is always new unless said otherwise. */
export function linkingScenarios(): Scenario[] {
  const joins = (): Pick<Scenario, 'users' | 'currentUser' | 'login'> => ({
    users: [databaseAlice(), googleAlice()],
    currentUser: googleAlice().user_id,
    login: { loginsCount: 1 },
  });
  const linkedAlice = databaseAlice();
  linkedAlice.identities.push({ ...googleAlice().identities[0], profileData: { email: EMAIL, email_verified: true } });
  const legacyAlice = user('auth0|legacy-000123', 'Legacy-Users', { created_at: '2018-01-01T00:00:00.000Z' });
  const newDatabaseAlice = user('auth0|6650ffeeddccbbaa99887766', 'Username-Password-Authentication', {
    email_verified: false,
    created_at: '2025-06-03T09:00:00.000Z',
  });

  return [
    { name: 'new-account-joins-existing', description: 'Google login, verified, same email as an existing database user', ...joins() },
    {
      name: 'passwordless-joins-database',
      description: 'Passwordless (email) login with the email of an existing database user',
      users: [databaseAlice(), passwordlessAlice()],
      currentUser: passwordlessAlice().user_id,
      login: { loginsCount: 1 },
    },
    {
      name: 'primary-logs-in-again',
      description: 'The already linked primary logs in; the search finds only itself',
      users: [linkedAlice, bob()],
      currentUser: linkedAlice.user_id,
      login: { loginsCount: 12 },
    },
    {
      name: 'single-account',
      description: 'The only account with this email logs in',
      users: [databaseAlice(), bob()],
      currentUser: databaseAlice().user_id,
      login: { loginsCount: 3 },
    },
    {
      name: 'several-candidates',
      description: 'Two verified accounts already use the email',
      users: [databaseAlice(), legacyAlice, googleAlice()],
      currentUser: googleAlice().user_id,
      login: { loginsCount: 1 },
    },
    {
      name: 'unverified-candidate',
      description: 'The existing account never verified the email',
      users: [{ ...databaseAlice(), email_verified: false }, googleAlice()],
      currentUser: googleAlice().user_id,
      login: { loginsCount: 1 },
    },
    {
      name: 'unverified-current-user',
      description: 'A new database signup with an unverified email matches a verified Google account',
      users: [googleAlice(), newDatabaseAlice],
      currentUser: newDatabaseAlice.user_id,
      login: { loginsCount: 1 },
    },
    {
      name: 'no-candidate',
      description: 'Nobody else uses the email',
      users: [googleAlice(), bob()],
      currentUser: googleAlice().user_id,
      login: { loginsCount: 1 },
    },
    {
      name: 'search-fails',
      description: 'The Management API answers 500 to user searches',
      ...joins(),
      fail: { 'users-by-email': 500, users: 500 },
      denyMessage: 'any',
    },
    {
      name: 'link-conflict',
      description: 'The Management API answers 409 to the link request',
      ...joins(),
      fail: { link: 409 },
      denyMessage: 'any',
    },
    {
      name: 'link-fails',
      description: 'The Management API answers 500 to the link request',
      ...joins(),
      fail: { link: 500 },
      denyMessage: 'any',
    },
  ];
}

/** For rules that do not link: a returning verified user and a first, unverified login. */
export function genericScenarios(): Scenario[] {
  const returning = databaseAlice();
  returning.app_metadata = { plan: 'gold', roles: ['editor'], prefs: { theme: 'light' } };
  const unverified = user('auth0|6650ffeeddccbbaa99887766', 'Username-Password-Authentication', {
    email: 'carol@example.org',
    email_verified: false,
    name: 'Carol Example',
  });
  return [
    {
      name: 'returning-user',
      description: 'A verified database user with metadata logs in again',
      users: [returning, bob()],
      currentUser: returning.user_id,
      login: { loginsCount: 7 },
    },
    {
      name: 'first-login-unverified',
      description: 'A new database signup, email not verified yet',
      users: [unverified],
      currentUser: unverified.user_id,
      login: { loginsCount: 1 },
    },
  ];
}

/** A JSON file holding one scenario, an array of them, or `{ "scenarios": [...] }`. */
export async function loadScenarioFile(path: string): Promise<Scenario[]> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(path, 'utf8'));
  } catch (err) {
    throw new Error(`${path}: cannot read scenarios (${(err as Error).message})`);
  }
  const list = Array.isArray(parsed)
    ? parsed
    : typeof parsed === 'object' && parsed !== null && Array.isArray((parsed as { scenarios?: unknown }).scenarios)
      ? (parsed as { scenarios: unknown[] }).scenarios
      : [parsed];
  return list.map((item, index) => validateScenario(item, `${path} [${index}]`));
}

/** Checks the fields the runners rely on; throws with the place and what to fix. */
export function validateScenario(value: unknown, where: string): Scenario {
  const fail = (problem: string): never => {
    throw new Error(`${where}: ${problem}`);
  };
  if (typeof value !== 'object' || value === null) return fail('a scenario must be an object');
  const s = value as Partial<Scenario>;
  if (typeof s.name !== 'string' || s.name === '') fail('"name" must be a non-empty string');
  if (!Array.isArray(s.users)) return fail('"users" must be an array');
  s.users.forEach((u, i) => {
    if (typeof u?.user_id !== 'string') fail(`users[${i}].user_id must be a string`);
    if (!Array.isArray(u.identities) || u.identities.length === 0) fail(`users[${i}].identities must be a non-empty array`);
  });
  if (!s.users.some((u) => u.user_id === s.currentUser)) fail(`"currentUser" must be the user_id of one of "users"`);
  return s as Scenario;
}

/**
 * Whether a rule talks to the Management API: the Rules runtime's token or base URL, any `/api/v2`
 * URL, the auth0 SDK, or an `auth0.users` call other than the two metadata helpers.
 */
export function callsManagementApi(script: string): boolean {
  return (
    /\bauth0\s*\.\s*(baseUrl|accessToken)\b/.test(script) ||
    /\/api\/v2\b/.test(script) ||
    /\bManagementClient\b/.test(script) ||
    /\brequire\s*\(\s*['"`]auth0(@[^'"`]*)?['"`]\s*\)/.test(script) ||
    /\bauth0\s*\.\s*users\s*\.\s*(?!updateAppMetadata\b|updateUserMetadata\b)\w+/.test(script)
  );
}

/** The matrix a rule is verified over: account linking when it links or calls the Management API, generic otherwise. */
export function builtinScenarios(rule: { script: string; linking: boolean }): { kind: 'linking' | 'generic'; scenarios: Scenario[] } {
  return rule.linking || callsManagementApi(rule.script)
    ? { kind: 'linking', scenarios: linkingScenarios() }
    : { kind: 'generic', scenarios: genericScenarios() };
}

/** `configuration.KEY` and `configuration['KEY']` reads in a rule. */
export function configurationKeys(script: string): string[] {
  const keys = [...script.matchAll(/\bconfiguration\s*(?:\.\s*([A-Za-z_$][\w$]*)|\[\s*['"`]([^'"`]+)['"`]\s*\])/g)].map((m) => m[1] ?? m[2]);
  return [...new Set(keys)];
}

/**
 * Gives every named secret / configuration key a value (`verify-<NAME>`) unless the scenario sets it, so
 * the rule's `configuration.X` and the Action's `event.secrets.X` read the same thing. The emulator also
 * accepts these values as bearer tokens (a rule may keep a Management API token in configuration).
 */
export function withPlaceholderSecrets(scenarios: Scenario[], names: string[]): Scenario[] {
  const placeholders = Object.fromEntries([...new Set(names)].map((name) => [name, `verify-${name}`]));
  return scenarios.map((s) => ({ ...s, configuration: { ...placeholders, ...s.configuration } }));
}
