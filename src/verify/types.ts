/** Shapes shared by the emulator, both runners, the child process and the comparison. */

export type JsonObject = Record<string, unknown>;

export interface Identity {
  provider: string;
  /** Without the `provider|` prefix; some providers use numbers. */
  user_id: string | number;
  connection: string;
  isSocial: boolean;
  profileData?: JsonObject;
}

export interface TenantUser {
  user_id: string;
  email?: string;
  email_verified?: boolean;
  identities: Identity[];
  app_metadata?: JsonObject;
  user_metadata?: JsonObject;
  created_at?: string;
  [field: string]: unknown;
}

/** Where the emulator can be told to fail. */
export type FaultTarget = 'token' | 'users-by-email' | 'users' | 'user' | 'link' | 'patch' | 'rules';

/** What the login looks like, beyond the user (Rules `context` / Actions `event`). */
export interface LoginDetails {
  clientId?: string;
  clientName?: string;
  clientMetadata?: Record<string, string>;
  /** Defaults to the current user's first identity's connection. */
  connection?: string;
  connectionStrategy?: string;
  /** Rules `context.protocol`; `redirect-callback` runs the Action's onContinuePostLogin. */
  protocol?: string;
  loginsCount?: number;
  requestedScopes?: string[];
  ip?: string;
  hostname?: string;
  userAgent?: string;
  query?: JsonObject;
  body?: JsonObject;
  /** ISO time both sides see as "now" (`new Date()`, `Date.now()`); default 2025-06-03T10:00:00.000Z. */
  now?: string;
  /** Rule ids reported by `api.rules.wasExecuted`. */
  executedRules?: string[];
  /** Rules `context.riskAssessment`, Actions `event.authentication.riskAssessment`; absent by default, as on most logins. */
  riskAssessment?: JsonObject;
}

export interface Scenario {
  /** kebab-case, unique within a run. */
  name: string;
  description?: string;
  users: TenantUser[];
  /** user_id of the user logging in; must be one of `users`. */
  currentUser: string;
  login?: LoginDetails;
  /** Rules `configuration`; also given to the Action as secrets. */
  configuration?: Record<string, string>;
  /** HTTP status the emulator answers with on that route, every time. */
  fail?: Partial<Record<FaultTarget, number>>;
  /** Served by GET /api/v2/rules. */
  rules?: JsonObject[];
  /**
   * 'any' when the failure text comes from the transport (request vs. the SDK word it differently):
   * then only "both denied" is compared. Default 'exact'.
   */
  denyMessage?: 'exact' | 'any';
}

export interface RecordedCall {
  method: string;
  /** Path as requested (still URL-encoded), without the query string. */
  path: string;
  query: Record<string, string>;
  body: unknown;
  status: number;
  /** Set on calls the Rules runtime's own `auth0.users.*` helpers made. */
  origin?: 'rules-runtime';
  /** Host the caller named (`example.auth0.com`) when the request was redirected to the emulator. */
  mappedFrom?: string;
}

export interface LinkCall {
  primary: string;
  provider: string;
  user_id: string;
  status: number;
}

export interface MetadataChanges {
  /** Top-level key → new value; null = deleted. Only keys whose value changed. */
  app_metadata: JsonObject;
  user_metadata: JsonObject;
}

export interface MultifactorRequest {
  provider: string;
  allowRememberBrowser?: boolean;
  providerOptions?: JsonObject;
}

/** What a Rule or an Action did in one scenario, in one vocabulary. */
export interface Outcome {
  /** ok: login continues; denied: refused on purpose; error: threw, timed out or never answered. */
  result: 'ok' | 'denied' | 'error';
  /** Deny reason or error text. */
  message?: string;
  primaryUser: string | null;
  /** Link requests the emulator received, retries of a failed request collapsed. */
  links: LinkCall[];
  /** Writes to the logging-in user (Rules `auth0.users.update*Metadata`, Actions `api.user.set*Metadata`, either side's Management API PATCH of that user). */
  metadata: MetadataChanges;
  /** Management API PATCHes of other users, by user id. */
  otherUsers: Record<string, MetadataChanges>;
  idTokenClaims: JsonObject;
  accessTokenClaims: JsonObject;
  scopes: { added: string[]; removed: string[] };
  /** Final redirect URL, query included. */
  redirect: string | null;
  multifactor: MultifactorRequest | null;
  /** SAML setters by name (`audience`, …) and `attribute:<name>` values. */
  saml: JsonObject;
  /** Not compared; for reading a verdict. */
  details: OutcomeDetails;
}

export interface OutcomeDetails {
  calls: RecordedCall[];
  tokensIssued: number;
  logs: string[];
  /** Things worth knowing that are not differences (callback called twice, another user returned, …). */
  notes: string[];
  /** Actions only: every `api.*` call in order. */
  apiCalls?: Array<{ method: string; args: unknown[] }>;
}

export interface ScenarioVerdict {
  scenario: string;
  equal: boolean;
  differences: string[];
  /** Observations that did not count as differences. */
  notes: string[];
  rule: Outcome;
  action: Outcome;
  /** Sides that ran out of time (never `equal`: the pair is not verified). */
  timedOut?: Array<'rule' | 'action'>;
}

export type SdkMajor = 4 | 7;

export interface VerifyPairInput {
  rule: string;
  action: string;
  /** `auth0` major the Action was emitted for. */
  sdk: SdkMajor;
  scenarios: Scenario[];
  /** Extra Action secrets (besides AUTH0_DOMAIN/AUTH0_CLIENT_ID/AUTH0_CLIENT_SECRET and `configuration`). */
  secrets?: Record<string, string>;
  /** Per run (one side of one scenario); default 5000. */
  timeoutMs?: number;
}
