// Rules `user`/`context` fields → post-login `event` fields (reference: rules-to-actions.md §3–§4).
// `to: null` means there is no Action equivalent; `why` says so in the finding.

export interface FieldMapping {
  /** A dotted `event.…` path, or null when there is no equivalent (unless `expression` is set). */
  to: string | null;
  /** Replacement code when a plain path cannot express the mapping. */
  expression?: string;
  /** Members of `to` that are optional in Actions and need `?.`. */
  optional?: string[];
  /** A finding to raise even though the read is converted. */
  review?: string;
  /**
   * Raise `review` only where the difference can show (issue 17): `value` when the value is used for
   * more than a presence test; a property name when that property of the value (or of its elements)
   * may be read or leave the rule.
   */
  reviewIf?: { value: true } | { property: string };
  why?: string;
}

const optionalTransaction = ['event.transaction'];

export const contextFields: Record<string, FieldMapping> = {
  tenant: { to: 'event.tenant.id' },
  clientID: { to: 'event.client.client_id' },
  clientName: { to: 'event.client.name' },
  clientMetadata: { to: 'event.client.metadata' },
  connectionID: { to: 'event.connection.id' },
  connection: { to: 'event.connection.name' },
  connectionStrategy: { to: 'event.connection.strategy' },
  connectionMetadata: { to: 'event.connection.metadata' },
  protocol: { to: 'event.transaction.protocol', optional: optionalTransaction },
  locale: { to: 'event.transaction.locale', optional: optionalTransaction },
  riskAssessment: { to: 'event.authentication.riskAssessment', optional: ['event.authentication'] },
  'stats.loginsCount': { to: 'event.stats.logins_count' },
  stats: { to: 'event.stats', review: 'stats.loginsCount is event.stats.logins_count in Actions' },
  'request.ip': { to: 'event.request.ip' },
  'request.hostname': { to: 'event.request.hostname' },
  'request.userAgent': { to: 'event.request.user_agent' },
  'request.query': { to: 'event.request.query' },
  'request.body': { to: 'event.request.body' },
  'request.geoip.country_code': { to: 'event.request.geoip.countryCode' },
  'request.geoip.country_code3': { to: 'event.request.geoip.countryCode3' },
  'request.geoip.country_name': { to: 'event.request.geoip.countryName' },
  'request.geoip.city_name': { to: 'event.request.geoip.cityName' },
  'request.geoip.latitude': { to: 'event.request.geoip.latitude' },
  'request.geoip.longitude': { to: 'event.request.geoip.longitude' },
  'request.geoip.time_zone': { to: 'event.request.geoip.timeZone' },
  'request.geoip.continent_code': { to: 'event.request.geoip.continentCode' },
  'request.geoip.subdivision_code': { to: 'event.request.geoip.subdivisionCode' },
  'request.geoip.subdivision_name': { to: 'event.request.geoip.subdivisionName' },
  'request.geoip': {
    to: 'event.request.geoip',
    review: 'geoip keys are camelCase in Actions (country_code → countryCode)',
    reviewIf: { value: true },
  },
  request: { to: 'event.request', review: 'userAgent is user_agent and geoip keys are camelCase in Actions', reviewIf: { value: true } },
  'authentication.methods': {
    to: 'event.authentication.methods',
    optional: ['event.authentication'],
    review: 'method timestamps are ISO strings in Actions, numbers in Rules',
    reviewIf: { property: 'timestamp' },
  },
  authentication: {
    to: 'event.authentication',
    optional: [],
    review: 'method timestamps are ISO strings in Actions',
    reviewIf: { value: true },
  },
  'authorization.roles': { to: 'event.authorization.roles', optional: ['event.authorization'] },
  authorization: { to: 'event.authorization' },
  organization: { to: 'event.organization' },
  'sso.current_clients': {
    to: null,
    expression: '(event.session?.clients ?? []).map((client) => client.client_id)',
    review: 'event.session.clients holds objects; the ids are mapped out to keep the Rules shape',
  },
  sessionID: {
    to: 'event.session.id',
    optional: ['event.session'],
    review: 'context.sessionID has no official mapping; event.session.id is the nearest field',
  },
  'sso.with_auth0': { to: null, why: 'Actions do not say whether the session used Auth0 SSO' },
  'sso.with_dbconn': { to: null, why: 'Actions do not say whether SSO came from a database connection' },
  sso: { to: null, why: 'only current_clients maps, to event.session.clients' },
  connectionOptions: { to: null, why: 'tenant_domain and domain_aliases are not exposed to Actions' },
  jwtConfiguration: { to: null, why: 'token lifetime and scopes are not configurable from Actions' },
  primaryUser: { to: null, why: 'the primary user cannot be read back' },
  idToken: { to: null, why: 'claims cannot be read back; keep them in a local variable' },
  accessToken: { to: null, why: 'claims cannot be read back; keep them in a local variable' },
  samlConfiguration: { to: null, why: 'SAML settings cannot be read back' },
  redirect: { to: null, why: 'a redirect cannot be read back' },
  multifactor: { to: null, why: 'MFA settings cannot be read back' },
};

/** user.* fields that do not keep their name under event.user. */
export const userFields: Record<string, FieldMapping> = {
  clientID: { to: 'event.client.client_id' },
  global_client_id: { to: null, why: 'put the value in a secret' },
  persistent: { to: null, why: 'persistent user fields are not exposed to Actions' },
  permissions: { to: null, why: 'Authorization Extension permissions are not exposed to Actions' },
};

/** Longest mapped prefix of `path` (property names after `context.` or `user.`). */
export function lookupField(
  table: Record<string, FieldMapping>,
  path: string[],
): { mapping: FieldMapping; length: number } | null {
  for (let length = path.length; length > 0; length--) {
    const mapping = table[path.slice(0, length).join('.')];
    if (mapping) return { mapping, length };
  }
  return null;
}

/** Fields of event.user in post-login Actions (reference §9); other user.* reads are undefined there. */
export const eventUserFields = new Set([
  'user_id', 'email', 'email_verified', 'name', 'nickname', 'given_name', 'family_name', 'picture', 'username',
  'phone_number', 'phone_verified', 'created_at', 'updated_at', 'last_password_reset', 'app_metadata',
  'user_metadata', 'identities', 'multifactor', 'enrolledFactors',
]);
