/**
 * One scenario seen from both runtimes: the Rules `user`/`context` and the Actions `event`, with the
 * same values under each runtime's names (rules-to-actions.md §3, §4, §9).
 */
import type { JsonObject, Scenario, TenantUser } from './types.js';

export const DEFAULT_REQUESTED_SCOPES = ['openid', 'profile', 'email'];

export function currentUser(scenario: Scenario): TenantUser {
  const user = scenario.users.find((u) => u.user_id === scenario.currentUser);
  if (!user) throw new Error(`scenario ${scenario.name}: currentUser ${scenario.currentUser} is not among its users`);
  return structuredClone(user);
}

interface LoginFacts {
  clientId: string;
  clientName: string;
  clientMetadata: Record<string, string>;
  connection: string;
  connectionStrategy: string;
  protocol: string;
  loginsCount: number;
  requestedScopes: string[];
  ip: string;
  hostname: string;
  userAgent: string;
  query: JsonObject;
  body: JsonObject;
}

function loginFacts(scenario: Scenario, user: TenantUser): LoginFacts {
  const login = scenario.login ?? {};
  const identity = user.identities[0];
  const provider = identity?.provider ?? 'auth0';
  return {
    clientId: login.clientId ?? 'verify-client-id',
    clientName: login.clientName ?? 'Verify App',
    clientMetadata: login.clientMetadata ?? {},
    connection: login.connection ?? identity?.connection ?? 'Username-Password-Authentication',
    connectionStrategy: login.connectionStrategy ?? provider,
    protocol: login.protocol ?? 'oidc-basic-profile',
    loginsCount: login.loginsCount ?? 1,
    requestedScopes: login.requestedScopes ?? DEFAULT_REQUESTED_SCOPES,
    ip: login.ip ?? '203.0.113.10',
    hostname: login.hostname ?? 'login.example.com',
    userAgent: login.userAgent ?? 'Mozilla/5.0 (rules2actions verify)',
    query: login.query ?? {},
    body: login.body ?? {},
  };
}

export function rulesContext(scenario: Scenario, user: TenantUser): JsonObject {
  const f = loginFacts(scenario, user);
  return {
    tenant: 'verify',
    clientID: f.clientId,
    clientName: f.clientName,
    clientMetadata: { ...f.clientMetadata },
    connection: f.connection,
    connectionID: 'con_verify',
    connectionStrategy: f.connectionStrategy,
    connectionOptions: {},
    protocol: f.protocol,
    stats: { loginsCount: f.loginsCount },
    request: {
      ip: f.ip,
      hostname: f.hostname,
      userAgent: f.userAgent,
      query: { scope: f.requestedScopes.join(' '), ...f.query },
      body: { ...f.body },
      geoip: { country_code: 'NL', country_name: 'Netherlands', city_name: 'Amsterdam', time_zone: 'Europe/Amsterdam' },
    },
    sso: { with_auth0: false, with_dbconn: false, current_clients: [] },
    authentication: { methods: [{ name: 'pwd', timestamp: Date.now() }] },
    ...(scenario.login?.riskAssessment ? { riskAssessment: structuredClone(scenario.login.riskAssessment) } : {}),
    authorization: { roles: [] },
    // Documented Rules fields Actions have no equivalent for (rules-to-actions.md §3): present, so reading them works.
    jwtConfiguration: { lifetimeInSeconds: 36000, scopes: {} },
    sessionID: 'verify-session',
    locale: 'en',
    // Rules started with empty claim bags; `scope` is only present when a rule sets it.
    idToken: {},
    accessToken: {},
    samlConfiguration: {},
  };
}

/** The Action's own secrets: the emulator's M2M credentials win over same-named configuration. */
export function actionSecrets(
  scenario: Scenario,
  tenant: { domain: string; clientId: string; clientSecret: string },
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    ...scenario.configuration,
    ...extra,
    AUTH0_DOMAIN: tenant.domain,
    AUTH0_CLIENT_ID: tenant.clientId,
    AUTH0_CLIENT_SECRET: tenant.clientSecret,
  };
}

export function postLoginEvent(scenario: Scenario, user: TenantUser, secrets: Record<string, string>): JsonObject {
  const f = loginFacts(scenario, user);
  return {
    user: { app_metadata: {}, user_metadata: {}, ...user },
    secrets,
    client: { client_id: f.clientId, name: f.clientName, metadata: { ...f.clientMetadata } },
    connection: { id: 'con_verify', name: f.connection, strategy: f.connectionStrategy, metadata: {} },
    tenant: { id: 'verify' },
    stats: { logins_count: f.loginsCount },
    request: {
      ip: f.ip,
      hostname: f.hostname,
      user_agent: f.userAgent,
      method: 'GET',
      language: 'en',
      query: { scope: f.requestedScopes.join(' '), ...f.query },
      body: { ...f.body },
      geoip: { countryCode: 'NL', countryName: 'Netherlands', cityName: 'Amsterdam', timeZone: 'Europe/Amsterdam' },
    },
    transaction: {
      id: 'verify-transaction',
      // In an Action the resumed flow keeps its original protocol; `redirect-callback` is Rules-only.
      protocol: f.protocol === 'redirect-callback' ? 'oidc-basic-profile' : f.protocol,
      requested_scopes: [...f.requestedScopes],
      locale: 'en',
      metadata: {},
    },
    authentication: {
      methods: [{ name: 'pwd', timestamp: new Date().toISOString() }],
      ...(scenario.login?.riskAssessment ? { riskAssessment: structuredClone(scenario.login.riskAssessment) } : {}),
    },
    authorization: { roles: [] },
    session: { id: 'verify-session', clients: [] },
  };
}

/** Whether this scenario is the resumed half of a redirect (Rules: protocol; Actions: onContinuePostLogin). */
export function isRedirectCallback(scenario: Scenario): boolean {
  return scenario.login?.protocol === 'redirect-callback';
}

export function requestedScopes(scenario: Scenario): string[] {
  return scenario.login?.requestedScopes ?? DEFAULT_REQUESTED_SCOPES;
}
