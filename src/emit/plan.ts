// What a tenant's migrated rules become: Action names, file names, secrets, and the post-login
// bindings in rule execution order. Pure; the emitters turn a plan into files.
import { createHash } from 'node:crypto';
import { sanitizeName } from '../cli/io.js';
import type { Tenant, TriggerBinding, Triggers } from '../inputs/types.js';
import type { RuleRun } from '../run.js';

export const ACTION_RUNTIME = 'node22';
export const POST_LOGIN = 'post-login';

export interface ActionPlan {
  /** The Action's name: the rule's name, made unique. */
  name: string;
  /** File-system-safe name: actions/<file>.json, actions/<file>/code.js. */
  file: string;
  run: RuleRun;
  /** Bound to post-login: an enabled rule that migrated. */
  bound: boolean;
  /** Why the name or the file name differs from the rule's name (each gets an info finding); empty when it does not. */
  renamed: string[];
}

export interface TenantPlan {
  tenant: Tenant;
  /** Every Action, in input order. */
  actions: ActionPlan[];
  /** The bound Actions in the rules' execution order (`order`, never the name). */
  bindings: ActionPlan[];
  /** Whether bindings can be written: plain .js rules have no order and no enabled flag. */
  bindable: boolean;
}

function unique(name: string, taken: Set<string>): string {
  let candidate = name;
  for (let i = 2; taken.has(candidate.toLowerCase()); i++) candidate = `${name}-${i}`;
  taken.add(candidate.toLowerCase());
  return candidate;
}

/** Longest file-name stem we write: `<stem>.json` and the temporary `.<stem>….tmp` stay under 255 bytes. */
export const MAX_FILE_STEM_BYTES = 200;

/** Names Windows reserves for devices, with or without an extension (CON, aux.js, COM1, LPT¹…). */
const WINDOWS_RESERVED = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])(\..*)?$/i;

const shortHash = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 8);

/** The longest prefix of `text` that fits in `bytes` UTF-8 bytes, never splitting a character. */
export function truncateUtf8(text: string, bytes: number): string {
  let used = 0;
  let end = 0;
  for (const char of text) {
    const size = Buffer.byteLength(char);
    if (used + size > bytes) break;
    used += size;
    end += char.length;
  }
  return text.slice(0, end);
}

/**
 * A file name every common file system accepts, chosen deterministically: characters a file system
 * rejects become '-' (as auth0-deploy-cli does), trailing dots and spaces go, Windows device names and
 * over-long names get a hash of the full name. Returns the reasons for each change.
 */
export function safeFileName(name: string): { file: string; reasons: string[] } {
  const reasons: string[] = [];
  let file = sanitizeName(name);
  if (file !== name) reasons.push('characters a file system rejects were replaced');
  const trimmed = file.replace(/[. ]+$/, '');
  if (trimmed !== file) {
    file = trimmed || 'rule';
    reasons.push('trailing dots and spaces were removed (Windows drops them)');
  }
  if (WINDOWS_RESERVED.test(file)) {
    file = `${file}-${shortHash(name)}`;
    reasons.push(`"${sanitizeName(name)}" is a device name Windows reserves`);
  }
  if (Buffer.byteLength(file) > MAX_FILE_STEM_BYTES) {
    file = `${truncateUtf8(file, MAX_FILE_STEM_BYTES - 9).trimEnd()}-${shortHash(name)}`;
    reasons.push(`the name is longer than ${MAX_FILE_STEM_BYTES} bytes`);
  }
  return { file, reasons };
}

export function planTenant(tenant: Tenant, runs: RuleRun[]): TenantPlan {
  const names = new Set<string>();
  const files = new Set<string>();
  const bindable = tenant.format !== 'plain';
  const actions: ActionPlan[] = [];
  for (const run of runs) {
    if (run.report.status === 'failed') continue;
    const wanted = run.input.name.trim() || 'rule';
    const name = unique(wanted, names);
    const renamed: string[] = [];
    if (name !== wanted) renamed.push(`the Action is named "${name}": another rule of this tenant is named "${wanted}" (names are compared without case)`);
    const safe = safeFileName(name);
    const file = unique(safe.file, files);
    if (file !== name) {
      const collided = file !== safe.file ? [`another Action's file is named "${safe.file}" (file names are compared without case)`] : [];
      renamed.push(`its files are actions/${file}.json and actions/${file}/code.js instead of "${name}": ${[...safe.reasons, ...collided].join('; ')}`);
    }
    actions.push({ name, file, run, bound: bindable && run.input.enabled !== false, renamed });
  }
  return withBindings(tenant, actions, bindable);
}

/** The plan's bindings: the bound Actions in rule order. Also used after Actions that could not be written are dropped. */
export function withBindings(tenant: Tenant, actions: ActionPlan[], bindable: boolean): TenantPlan {
  // Stable sort: rules without an order run last, ties keep the input order.
  const bindings = actions
    .map((action, index) => ({ action, index }))
    .filter(({ action }) => action.bound)
    .sort((a, b) => (a.action.run.input.order ?? Infinity) - (b.action.run.input.order ?? Infinity) || a.index - b.index)
    .map(({ action }) => action);
  return { tenant, actions, bindings, bindable };
}

/**
 * The migrated Actions go first (Rules ran before any Action), in rule order; bindings already
 * there stay after them. Re-running replaces our own entries, so the result is stable.
 */
export function mergeTriggers(existing: Triggers | undefined, plan: TenantPlan): Triggers {
  const ours = new Set(plan.actions.map((a) => a.name));
  const merged: Triggers = { ...(existing ?? {}) };
  const kept = (merged[POST_LOGIN] ?? []).filter((b) => !ours.has(b.action_name));
  merged[POST_LOGIN] = [...plan.bindings.map((a): TriggerBinding => ({ action_name: a.name, display_name: a.name })), ...kept];
  return merged;
}

export const dependenciesOf = (action: ActionPlan) =>
  action.run.result.needs.dependencies.map((d) => ({ name: d.name, version: d.version || 'latest' }));

export const secretsOf = (action: ActionPlan) => action.run.result.needs.secrets;
