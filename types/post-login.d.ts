// PostLogin (trigger post-login v3) Event and API, as documented (reference: rules-to-actions.md §8–§9).
// Used to type-check emitted Actions; kept to the documented surface so a misspelt call is an error.

declare namespace PostLogin {
  type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
  type Metadata = Record<string, any>;

  interface Identity {
    connection: string;
    isSocial: boolean;
    provider: string;
    user_id: string;
    profileData?: Metadata;
  }

  interface User {
    user_id: string;
    email?: string;
    email_verified: boolean;
    name?: string;
    nickname?: string;
    given_name?: string;
    family_name?: string;
    picture?: string;
    username?: string;
    phone_number?: string;
    phone_verified?: boolean;
    created_at: string;
    updated_at: string;
    last_password_reset?: string;
    app_metadata: Metadata;
    user_metadata: Metadata;
    identities: Identity[];
    multifactor?: string[];
    enrolledFactors?: Array<{ type: string; options?: Metadata }>;
  }

  interface GeoIp {
    cityName?: string;
    continentCode?: string;
    countryCode?: string;
    countryCode3?: string;
    countryName?: string;
    latitude?: number;
    longitude?: number;
    subdivisionCode?: string;
    subdivisionName?: string;
    timeZone?: string;
  }

  interface Event {
    user: User;
    client: { client_id: string; name: string; metadata: Record<string, string>; refresh_token?: Metadata };
    connection: { id: string; name: string; strategy: string; metadata?: Record<string, string> };
    tenant: { id: string };
    stats: { logins_count: number };
    request: {
      ip: string;
      method: string;
      query: Record<string, any>;
      body: Record<string, any>;
      hostname?: string;
      language?: string;
      user_agent?: string;
      asn?: string;
      geoip: GeoIp;
    };
    transaction?: {
      id?: string;
      protocol: string;
      locale: string;
      requested_scopes: string[];
      requested_authorization_details?: Metadata[];
      acr_values: string[];
      login_hint?: string;
      prompt?: string[];
      redirect_uri?: string;
      response_mode?: string;
      response_type?: string[];
      state?: string;
      ui_locales: string[];
      linking_id?: string;
      correlation_id?: string;
      metadata: Record<string, string | number | boolean>;
    };
    authentication?: {
      methods: Array<{ name: string; timestamp: string }>;
      riskAssessment?: { assessments: Metadata; confidence: string; version: string; supplemental?: Metadata };
    };
    authorization?: { roles: string[] };
    organization?: { id: string; name: string; display_name: string; metadata: Record<string, string> };
    session?: {
      id: string;
      clients?: Array<{ client_id: string }>;
      user_id?: string;
      created_at?: string;
      updated_at?: string;
      authenticated_at?: string;
      last_interacted_at?: string;
      expires_at?: string;
      idle_expires_at?: string;
      device?: Metadata;
      metadata?: Metadata;
    };
    secrets: Record<string, string>;
    resource_server?: { identifier: string };
    custom_domain?: { domain: string; domain_metadata: Record<string, string> };
  }

  type Factor = { type: string; options?: Metadata };
  type CacheRecord = { value: string; expires_at: number };
  type CacheSetResult = { type: 'success'; record: CacheRecord } | { type: 'error'; code: string };

  interface API {
    access: { deny(reason: string): API };
    accessToken: { setCustomClaim(key: string, value: unknown): API; addScope(scope: string): API; removeScope(scope: string): API };
    idToken: { setCustomClaim(key: string, value: unknown): API };
    authentication: {
      challengeWith(factor: Factor, options?: { additionalFactors?: Factor[] }): void;
      challengeWithAny(factors: Factor[]): void;
      enrollWith(factor: Factor, options?: { additionalFactors?: Factor[] }): void;
      enrollWithAny(factors: Factor[]): void;
      recordMethod(providerUrl: string): API;
      setPrimaryUser(primaryUserId: string): void;
    };
    multifactor: {
      enable(
        provider: 'any' | 'duo' | 'google-authenticator' | 'guardian' | 'none',
        options?: { allowRememberBrowser?: boolean; providerOptions?: { host: string; ikey: string; skey: string; username?: string } },
      ): API;
    };
    cache: {
      get(key: string): CacheRecord | undefined;
      set(key: string, value: string, options?: { ttl?: number; expires_at?: number }): CacheSetResult;
      delete(key: string): CacheSetResult;
    };
    redirect: {
      sendUserTo(url: string, options?: { query?: Record<string, string> }): API;
      encodeToken(options: { secret: string; payload: Metadata; expiresInSeconds?: number }): string;
      validateToken(options: { secret: string; tokenParameterName?: string }): Metadata;
      canRedirect(): boolean;
    };
    user: { setAppMetadata(key: string, value: unknown): API; setUserMetadata(key: string, value: unknown): API };
    samlResponse: Record<`set${string}`, (value: any, ...rest: any[]) => API>;
    rules: { wasExecuted(ruleId: string): boolean };
    transaction: { setMetadata(key: string, value: string | number | boolean | null): API };
    validation: { error(errorCode: string, errorMessage: string): API };
    prompt: { render(promptId: string, options?: { fields?: Metadata; vars?: Metadata }): void };
  }
}
