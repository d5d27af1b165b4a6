/**
 * Turns a Rule run and an Action run into one `Outcome` vocabulary, using the mapping in
 * rules-to-actions.md §5/§6: `context.primaryUser` ≡ `setPrimaryUser`, a callback error ≡ `deny`,
 * `context.idToken[k]` ≡ `idToken.setCustomClaim(k)`, `update*Metadata` on the current user ≡
 * `api.user.set*Metadata` per top-level key, and so on.
 */
import { MFA_REMEMBER_BROWSER, SAML_DEFAULTS, type Platform } from './platform-defaults.js';
import type { ActionRun } from './action-runner.js';
import type { ApiCall } from './post-login-api.js';
import type { RuleRun } from './rule-runner.js';
import type { JsonObject, LinkCall, MetadataChanges, MultifactorRequest, Outcome, RecordedCall, TenantUser } from './types.js';

export interface Observed {
  calls: RecordedCall[];
  tokensIssued: number;
  /** Tenant state before the run. */
  users: TenantUser[];
  currentUserId: string;
  requestedScopes: string[];
  /** Rules ignore `context.redirect` on the resumed pass. */
  redirectCallback: boolean;
}

export function ruleOutcome(run: RuleRun, seen: Observed): Outcome {
  const notes: string[] = [];
  if (run.callbackCount > 1) notes.push(`callback called ${run.callbackCount} times`);
  if (run.returnedUserId && run.returnedUserId !== seen.currentUserId) {
    notes.push(`callback returned another user (${run.returnedUserId}); that has no effect in Actions`);
  }
  const ctx = run.context;
  const result: Outcome['result'] = run.ending === 'callback' ? (run.error ? 'denied' : 'ok') : 'error';
  const helper = /auth0\.users\.(\w+) is not a function/.exec(run.error?.message ?? '');
  if (helper) {
    notes.push(
      `the rule calls auth0.users.${helper[1]}: the Rules runtime's auth0 object was a restricted ManagementClient ` +
        'documented only for updateAppMetadata/updateUserMetadata, so it is not emulated and the rule fails here',
    );
  }
  notes.push(...redirectNotes(seen.calls));

  const current = emptyWrites();
  for (const call of run.metadataCalls) {
    if (call.userId === seen.currentUserId) applyWrites(current[call.kind], call.metadata);
  }
  // The rule's own Management API PATCHes of the logging-in user persist the same way.
  applyPatches(current, seen, (call) => call.origin !== 'rules-runtime');
  const { scope, ...accessTokenClaims } = ctx.accessToken;
  const redirect =
    !seen.redirectCallback && isObject(ctx.redirect) && typeof ctx.redirect.url === 'string' ? redirectUrl(ctx.redirect.url, {}) : null;

  return {
    result,
    ...(run.error ? { message: run.error.message } : {}),
    primaryUser: ctx.primaryUser === undefined || ctx.primaryUser === null ? null : String(ctx.primaryUser),
    links: linkCalls(seen.calls),
    metadata: changesFor(seen, seen.currentUserId, current),
    otherUsers: patchedUsers(seen),
    idTokenClaims: ctx.idToken,
    accessTokenClaims,
    scopes: scope === undefined ? { added: [], removed: [] } : scopeDiff(seen.requestedScopes, toScopeList(scope)),
    redirect,
    multifactor: rulesMultifactor(ctx.multifactor),
    saml: rulesSaml(ctx.samlConfiguration, seen.users.find((u) => u.user_id === seen.currentUserId)),
    details: { calls: seen.calls, tokensIssued: seen.tokensIssued, logs: run.logs, notes },
  };
}

export function actionOutcome(run: ActionRun, seen: Observed): Outcome {
  const notes: string[] = redirectNotes(seen.calls);
  const byMethod = (method: string) => run.apiCalls.filter((c) => c.method === method);
  const denies = byMethod('access.deny');
  const result: Outcome['result'] = run.ending !== 'returned' ? 'error' : denies.length > 0 ? 'denied' : 'ok';
  if (denies.length > 1) notes.push(`api.access.deny called ${denies.length} times`);

  // A Management API PATCH of the logging-in user persists at once; api.user.set*Metadata at the end of the flow.
  const current = emptyWrites();
  applyPatches(current, seen, () => true);
  for (const [method, kind] of [['user.setAppMetadata', 'app_metadata'], ['user.setUserMetadata', 'user_metadata']] as const) {
    for (const call of byMethod(method)) applyWrites(current[kind], { [String(call.args[0])]: call.args[1] ?? null });
  }
  const primaries = byMethod('authentication.setPrimaryUser');
  if (primaries.length > 1) notes.push(`setPrimaryUser called ${primaries.length} times (allowed once per transaction)`);
  if (primaries.length > 0 && byMethod('user.setUserMetadata').length > 0) {
    notes.push('setUserMetadata next to setPrimaryUser is discarded by the platform');
  }

  const scopes = [...seen.requestedScopes];
  for (const call of run.apiCalls) {
    const scope = String(call.args[0]);
    if (call.method === 'accessToken.addScope' && !scopes.includes(scope)) scopes.push(scope);
    if (call.method === 'accessToken.removeScope' && scopes.includes(scope)) scopes.splice(scopes.indexOf(scope), 1);
  }

  const message =
    run.ending !== 'returned' ? run.error?.message : denies.length > 0 ? String(denies[0].args[0] ?? '') : undefined;
  const lastPrimary = primaries[primaries.length - 1];
  return {
    result,
    ...(message !== undefined ? { message } : {}),
    primaryUser: lastPrimary ? String(lastPrimary.args[0]) : null,
    links: linkCalls(seen.calls),
    metadata: changesFor(seen, seen.currentUserId, current),
    otherUsers: patchedUsers(seen),
    idTokenClaims: claims(byMethod('idToken.setCustomClaim')),
    accessTokenClaims: claims(byMethod('accessToken.setCustomClaim')),
    scopes: scopeDiff(seen.requestedScopes, scopes),
    redirect: actionRedirect(byMethod('redirect.sendUserTo')),
    multifactor: actionMultifactor(byMethod('multifactor.enable')),
    saml: actionSaml(run.apiCalls),
    details: { calls: seen.calls, tokensIssued: seen.tokensIssued, logs: run.logs, notes, apiCalls: run.apiCalls },
  };
}

function redirectNotes(calls: RecordedCall[]): string[] {
  const hosts = [...new Set(calls.map((c) => c.mappedFrom).filter((h): h is string => h !== undefined))];
  return hosts.map((h) => `requests for https://${h} were served by the emulator (it stands in for every tenant)`);
}

/** Link requests the emulator saw; a repeat of a request that failed with 429/5xx is a retry, not a second link. */
function linkCalls(calls: RecordedCall[]): LinkCall[] {
  const links: LinkCall[] = [];
  for (const call of calls) {
    const match = /^\/api\/v2\/users\/([^/]+)\/identities$/.exec(call.path);
    if (call.method !== 'POST' || !match) continue;
    const body = isObject(call.body) ? call.body : {};
    const link: LinkCall = {
      primary: decodeURIComponent(match[1]),
      provider: body.provider === undefined ? '' : String(body.provider),
      user_id: body.user_id === undefined ? ('link_with' in body ? '(link_with)' : '') : String(body.user_id),
      status: call.status,
    };
    const previous = links[links.length - 1];
    const retry =
      previous &&
      (previous.status === 429 || previous.status >= 500) &&
      previous.primary === link.primary && previous.provider === link.provider && previous.user_id === link.user_id;
    if (retry) links[links.length - 1] = link;
    else links.push(link);
  }
  return links;
}

function userIdOf(call: RecordedCall): string | null {
  const match = /^\/api\/v2\/users\/([^/]+)$/.exec(call.path);
  return match ? decodeURIComponent(match[1]) : null;
}

/** Successful metadata PATCHes, in the order the emulator answered them. */
function metadataPatches(seen: Observed): Array<{ id: string; call: RecordedCall; body: JsonObject }> {
  const patches: Array<{ id: string; call: RecordedCall; body: JsonObject }> = [];
  for (const call of seen.calls) {
    const id = userIdOf(call);
    if (call.method === 'PATCH' && id !== null && call.status < 300 && isObject(call.body)) patches.push({ id, call, body: call.body });
  }
  return patches;
}

function applyBody(entry: { app_metadata: JsonObject; user_metadata: JsonObject }, body: JsonObject): void {
  for (const kind of ['app_metadata', 'user_metadata'] as const) {
    const value = body[kind];
    if (isObject(value)) applyWrites(entry[kind], value);
  }
}

function applyPatches(current: { app_metadata: JsonObject; user_metadata: JsonObject }, seen: Observed, take: (call: RecordedCall) => boolean): void {
  for (const { id, call, body } of metadataPatches(seen)) if (id === seen.currentUserId && take(call)) applyBody(current, body);
}

/** Metadata PATCHes of users other than the one logging in (whose writes are in `metadata`). */
function patchedUsers(seen: Observed): Record<string, MetadataChanges> {
  const writes = new Map<string, { app_metadata: JsonObject; user_metadata: JsonObject }>();
  for (const { id, body } of metadataPatches(seen)) {
    if (id === seen.currentUserId) continue;
    const entry = writes.get(id) ?? emptyWrites();
    applyBody(entry, body);
    writes.set(id, entry);
  }
  const result: Record<string, MetadataChanges> = {};
  for (const [id, entry] of writes) {
    const changes = changesFor(seen, id, entry);
    if (Object.keys(changes.app_metadata).length || Object.keys(changes.user_metadata).length) result[id] = changes;
  }
  return result;
}

function emptyWrites(): { app_metadata: JsonObject; user_metadata: JsonObject } {
  return { app_metadata: {}, user_metadata: {} };
}

function applyWrites(target: JsonObject, metadata: JsonObject): void {
  for (const [k, v] of Object.entries(metadata)) target[k] = v === undefined ? null : v;
}

/** Only keys whose value differs from the tenant's value before the run: rewriting a value is not a change. */
function changesFor(seen: Observed, userId: string, writes: { app_metadata: JsonObject; user_metadata: JsonObject }): MetadataChanges {
  const before = seen.users.find((u) => u.user_id === userId);
  const changes: MetadataChanges = { app_metadata: {}, user_metadata: {} };
  for (const kind of ['app_metadata', 'user_metadata'] as const) {
    const initial = before?.[kind] ?? {};
    for (const [k, v] of Object.entries(writes[kind])) {
      const was = initial[k] ?? null;
      if (stableJson(was) !== stableJson(v)) changes[kind][k] = v;
    }
  }
  return changes;
}

function claims(calls: ApiCall[]): JsonObject {
  const result: JsonObject = {};
  // A claim set to undefined is not in the token, as a Rules claim left undefined was not.
  for (const call of calls) if (call.args[1] !== undefined) result[String(call.args[0])] = call.args[1];
  return result;
}

function toScopeList(scope: unknown): string[] {
  if (Array.isArray(scope)) return scope.map(String);
  return String(scope ?? '').split(/\s+/).filter(Boolean);
}

function scopeDiff(requested: string[], final: string[]): { added: string[]; removed: string[] } {
  return {
    added: final.filter((s) => !requested.includes(s)).sort(),
    removed: requested.filter((s) => !final.includes(s)).sort(),
  };
}

function actionRedirect(calls: ApiCall[]): string | null {
  const last = calls[calls.length - 1];
  if (!last) return null;
  const opts = isObject(last.args[1]) ? last.args[1] : {};
  return redirectUrl(String(last.args[0]), isObject(opts.query) ? opts.query : {});
}

/** Both sides' redirect in one spelling; a relative or invalid URL stays as written (the platform rejects it on either side). */
function redirectUrl(target: string, query: JsonObject): string {
  try {
    const url = new URL(target);
    for (const [k, v] of Object.entries(query)) url.searchParams.append(k, String(v));
    return url.toString();
  } catch {
    const extra = new URLSearchParams(Object.entries(query).map(([k, v]) => [k, String(v)])).toString();
    return extra ? `${target}${target.includes('?') ? '&' : '?'}${extra}` : target;
  }
}

/**
 * Effective MFA options: each side's default applied to what it left out (src/verify/platform-defaults.ts), so
 * an option missing on one side and given explicitly on the other compares by what the platform does.
 */
function rulesMultifactor(value: unknown): MultifactorRequest | null {
  if (!isObject(value) || typeof value.provider !== 'string') return null;
  const { provider, allowRememberBrowser, ignoreCookie, ...providerOptions } = value;
  const remember =
    typeof allowRememberBrowser === 'boolean'
      ? allowRememberBrowser
      : typeof ignoreCookie === 'boolean'
        ? !ignoreCookie
        : (MFA_REMEMBER_BROWSER.rulesDefault as boolean);
  return withoutUndefined({
    provider,
    allowRememberBrowser: provider === 'none' ? undefined : remember,
    providerOptions: Object.keys(providerOptions).length ? providerOptions : undefined,
  });
}

function actionMultifactor(calls: ApiCall[]): MultifactorRequest | null {
  const last = calls[calls.length - 1];
  if (!last) return null;
  const opts = isObject(last.args[1]) ? last.args[1] : {};
  const provider = String(last.args[0]);
  const remember = typeof opts.allowRememberBrowser === 'boolean' ? opts.allowRememberBrowser : (MFA_REMEMBER_BROWSER.actionsDefault as boolean);
  return withoutUndefined({
    provider,
    allowRememberBrowser: provider === 'none' ? undefined : remember,
    providerOptions: isObject(opts.providerOptions) && Object.keys(opts.providerOptions).length ? opts.providerOptions : undefined,
  });
}

/** Rules mapped a SAML attribute to a user property name; Actions set the value: compare values. */
function rulesSaml(config: JsonObject, user: TenantUser | undefined): JsonObject {
  const saml: JsonObject = {};
  for (const [key, value] of Object.entries(config)) {
    if (key === 'mappings' && isObject(value)) {
      for (const [attribute, property] of Object.entries(value)) {
        saml[`attribute:${attribute}`] = String(property)
          .split('.')
          .reduce<unknown>((v, part) => (isObject(v) ? v[part] : undefined), user);
      }
    } else {
      saml[key] = value;
    }
  }
  return saml;
}

function actionSaml(calls: ApiCall[]): JsonObject {
  const saml: JsonObject = {};
  for (const call of calls) {
    if (!call.method.startsWith('samlResponse.')) continue;
    const setter = call.method.slice('samlResponse.'.length);
    if (setter === 'setAttribute') saml[`attribute:${String(call.args[0])}`] = call.args[1];
    else saml[setter.charAt(3).toLowerCase() + setter.slice(4)] = call.args[0];
  }
  return saml;
}

/**
 * SAML settings with each side's documented default filled in for a setting only the other side set:
 * a setting left out on one side and set to that side's default on the other compares equal.
 */
export function effectiveSaml(rule: JsonObject, action: JsonObject): { rule: JsonObject; action: JsonObject } {
  const fill = (own: JsonObject, other: JsonObject, side: Platform): JsonObject => {
    const result: JsonObject = { ...own };
    for (const key of Object.keys(other)) {
      if (!(key in own) && key in SAML_DEFAULTS) result[key] = SAML_DEFAULTS[key][side];
    }
    return result;
  };
  return { rule: fill(rule, action, 'rules'), action: fill(action, rule, 'actions') };
}

export function stableJson(value: unknown): string {
  if (value === undefined) return 'undefined';
  return JSON.stringify(value, (_k, v: unknown) =>
    isObject(v) ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, v[k]])) : v,
  );
}

function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
