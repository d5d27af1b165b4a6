// What a tenant's migrated rules become: Action names, file names, secrets, which Actions may be
// deployed and bound, and the post-login bindings in rule execution order. Pure; the emitters turn
// a plan into files.
//
// Two safety rules (issue 13): an Action is deployed and bound only when it can run (its rule
// migrated, no error finding, verify did not call it different, every dependency has a version),
// and a post-login list is written only when the tenant's current list is known (an import
// replaces all of it) or the user asked for `--bindings replace`. Never an empty list.
import { createHash } from 'node:crypto';
import { sanitizeName } from '../io/paths.js';
import type { Tenant, TriggerBinding, Triggers } from '../inputs/types.js';
import type { RuleRun } from '../run.js';
import type { Dependency } from '../types.js';
import { isConcreteVersion } from '../pins.js';
import { extractModule, extractTenantModule, type ModulePlan, type ModuleUse } from './module.js';

export const ACTION_RUNTIME = 'node22';
export const POST_LOGIN = 'post-login';

/**
 * merge (default): the migrated Actions go before the bindings the tenant has today, and only when
 * those are known; replace: the migrated Actions alone become the post-login list.
 */
export type BindingsMode = 'merge' | 'replace';

export interface PlanOptions {
  bindings?: BindingsMode;
  /** Deploy and bind Actions held back for an error finding or a verify difference. */
  bindReview?: boolean;
  /** The Management API client helper and the tenant's shared helpers as Actions Modules (src/emit/module.ts). */
  module?: boolean;
}

export interface ActionPlan {
  /** The Action's name: the rule's name, made unique. */
  name: string;
  /** File-system-safe name: actions/<file>.json, actions/<file>/code.js. */
  file: string;
  run: RuleRun;
  /** Written with `deployed: true` (Terraform `deploy = true`): the Action can run. */
  deployed: boolean;
  /** Bound to post-login: deployed, and its rule is enabled. */
  bound: boolean;
  /** Why the Action is neither deployed nor bound (null when it is, or when only disabled). */
  heldBack: string | null;
  /** Why the name or the file name differs from the rule's name (each gets an info finding); empty when it does not. */
  renamed: string[];
  /** Set when the Action requires Actions Modules instead of carrying their code (--module). */
  module?: ModuleUse;
}

/** A rule that gave no Action, or an Action that is not deployed: for the summary. */
export interface HeldBack {
  name: string;
  source: string;
  reason: string;
  /** An Action was written (deployed: false); false when the rule failed and nothing was written. */
  written: boolean;
}

export interface TenantPlan {
  tenant: Tenant;
  /** Every Action, in input order. */
  actions: ActionPlan[];
  /** The bound Actions in the rules' execution order (`order`, never the name). */
  bindings: ActionPlan[];
  /** Whether bindings can be written: plain .js rules have no order and no enabled flag. */
  bindable: boolean;
  mode: BindingsMode;
  heldBack: HeldBack[];
  /** The Actions Modules to write (--module and an Action using one). */
  modules: ModulePlan[];
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

/** The Action's name and file name for a rule, made unique in the tenant, with the reasons for any renaming. */
function actionNames(ruleName: string, names: Set<string>, files: Set<string>): { name: string; file: string; renamed: string[] } {
  const wanted = ruleName.trim() || 'rule';
  const name = unique(wanted, names);
  const renamed: string[] = [];
  if (name !== wanted) renamed.push(`the Action is named "${name}": another rule of this tenant is named "${wanted}" (names are compared without case)`);
  const safe = safeFileName(name);
  const file = unique(safe.file, files);
  if (file !== name) {
    const collided = file !== safe.file ? [`another Action's file is named "${safe.file}" (file names are compared without case)`] : [];
    renamed.push(`its files are actions/${file}.json and actions/${file}/code.js instead of "${name}": ${[...safe.reasons, ...collided].join('; ')}`);
  }
  return { name, file, renamed };
}

/** Why this migrated rule's Action must not run yet; null when it can. */
export function holdBackReason(run: RuleRun, bindReview: boolean): string | null {
  const unpinned = run.result.needs.dependencies.filter((d) => !isConcreteVersion(d.version)).map((d) => d.name);
  // No review makes a missing version appear: these stay held back even with --bind-review.
  if (unpinned.length) {
    return `no version for ${unpinned.join(', ')}: pin it with --pins <file> (or "dependencies" in rules2actions.config.json)`;
  }
  if (bindReview) return null;
  const errors = run.report.findings.filter((f) => f.severity === 'error');
  if (errors.length) {
    const codes = [...new Set(errors.map((f) => f.code))];
    return `${errors.length} error finding(s) (${codes.join(', ')}): fix them, or --bind-review`;
  }
  if (run.report.verification?.verdict === 'different') return 'verify: the Action behaves differently from the rule (see the report), or --bind-review';
  return null;
}

export function planTenant(tenant: Tenant, runs: RuleRun[], options: PlanOptions = {}): TenantPlan {
  const names = new Set<string>();
  const files = new Set<string>();
  const bindable = tenant.format !== 'plain';
  const actions: ActionPlan[] = [];
  const heldBack: HeldBack[] = [];
  for (const run of runs) {
    if (run.report.status === 'failed' || run.result.status === 'error') {
      // No Action text exists (the code is the rule itself): nothing is written.
      const first = run.report.findings.find((f) => f.severity === 'error');
      heldBack.push({ name: run.input.name, source: run.input.source, reason: `migration failed${first ? ` (${first.code})` : ''}: no Action written`, written: false });
      continue;
    }
    // A library rule's helpers now live in the Actions that use them (src/tenant): nothing to deploy.
    if (run.result.noAction) continue;
    const { name, file, renamed } = actionNames(run.input.name, names, files);
    const reason = holdBackReason(run, options.bindReview ?? false);
    const deployed = reason === null && run.input.enabled !== false;
    if (reason) heldBack.push({ name, source: run.input.source, reason, written: true });
    actions.push({ name, file, run, deployed, bound: bindable && deployed, heldBack: reason, renamed });
  }
  const modules = options.module ? [extractTenantModule(actions), extractModule(actions)].filter((m): m is ModulePlan => m !== null) : [];
  // An Action is never deployed without the modules it requires: a module that cannot be published holds back its dependants.
  for (const module of modules.filter((m) => m.broken)) {
    for (const action of actions.filter((a) => a.module?.names.includes(module.name))) {
      const reason = `requires the Actions Module ${module.name}, which is not published: ${module.broken}`;
      if (!action.heldBack) heldBack.push({ name: action.name, source: action.run.input.source, reason, written: true });
      action.heldBack ??= reason;
      action.deployed = false;
      action.bound = false;
    }
  }
  return withActions({ tenant, actions, bindings: [], bindable, mode: options.bindings ?? 'merge', heldBack, modules }, actions);
}

/** The plan with these Actions and their bindings in rule order (also used to drop Actions that could not be written). */
export function withActions(plan: TenantPlan, actions: ActionPlan[]): TenantPlan {
  // Stable sort: rules without an order run last, ties keep the input order.
  const bindings = actions
    .map((action, index) => ({ action, index }))
    .filter(({ action }) => action.bound)
    .sort((a, b) => (a.action.run.input.order ?? Infinity) - (b.action.run.input.order ?? Infinity) || a.index - b.index)
    .map(({ action }) => action);
  return { ...plan, actions, bindings };
}

const toBinding = (a: ActionPlan): TriggerBinding => ({ action_name: a.name, display_name: a.name });

/**
 * The post-login list to write, or null when none may be written. `current`: the tenant's complete
 * list today (from the output folder, the export or the live tenant), null when unknown.
 * The migrated Actions go first (Rules ran before any Action), in rule order; bindings already
 * there stay after them. Entries with our names are ours: re-running replaces them (a held-back
 * Action leaves the list), so the result is stable.
 */
export function postLoginBindings(plan: TenantPlan, current: TriggerBinding[] | null): TriggerBinding[] | null {
  if (!plan.bindable) return null;
  const ours = plan.bindings.map(toBinding);
  if (plan.mode === 'replace') return ours.length ? ours : null;
  if (current === null) return null;
  const names = new Set(plan.actions.map((a) => a.name));
  const kept = current.filter((b) => !names.has(b.action_name));
  // Nothing of ours to add or take out: leave the trigger alone.
  if (ours.length === 0 && kept.length === current.length) return null;
  const list = [...ours, ...kept];
  return list.length ? list : null;
}

/**
 * The triggers map to write: `base` (the output folder's own file, every trigger kept) with the
 * post-login list set, or removed when none may be written. Null when there is nothing to write.
 */
export function triggersToWrite(plan: TenantPlan, base: Triggers | undefined, current: TriggerBinding[] | null): Triggers | null {
  const list = postLoginBindings(plan, current);
  const merged: Triggers = { ...(base ?? {}) };
  delete merged[POST_LOGIN];
  if (list) merged[POST_LOGIN] = list;
  // An empty list would unbind every post-login Action on import.
  for (const [trigger, bindings] of Object.entries(merged)) if (bindings.length === 0) delete merged[trigger];
  if (!base && !list) return null;
  return merged;
}

/** The current post-login list: the output folder's if it has triggers, else the tenant's; null when unknown. */
export function currentPostLogin(outputTriggers: Triggers | undefined, tenant: Tenant): TriggerBinding[] | null {
  const source = outputTriggers ?? tenant.triggers;
  return source ? (source[POST_LOGIN] ?? []) : null;
}

/** Dependencies with a version; an unversioned one holds its Action back and is left out (never `latest`). */
export const dependenciesOf = (action: ActionPlan): Dependency[] =>
  action.run.result.needs.dependencies
    .filter((d) => isConcreteVersion(d.version) && !action.module?.dropped.includes(d.name))
    .map((d) => ({ name: d.name, version: d.version }));

/** deploy-cli's reference to the module: the first version it publishes on import. */
export const moduleRefs = (action: ActionPlan) =>
  (action.module ? { modules: action.module.names.map((name) => ({ module_name: name, module_version_number: 1 })) } : {});

export const secretsOf = (action: ActionPlan) => action.run.result.needs.secrets;

/** What to tell the user about bindings that were not written (printed and put in the report). */
export function bindingNotes(plan: TenantPlan, written: boolean, where: string): string[] {
  const notes: string[] = [];
  if (plan.bindable && plan.mode === 'replace' && written) {
    notes.push(
      `${plan.tenant.name}: --bindings replace: the post-login list written holds only the ${plan.bindings.length} migrated Action(s); ` +
        'importing it unbinds every other post-login Action of the tenant.',
    );
  }
  if (plan.bindable && !written && plan.bindings.length > 0) {
    const order = plan.bindings.map((a) => a.name).join(', ');
    notes.push(
      `${plan.tenant.name}: post-login bindings not written: the tenant's current bindings are unknown (${where}), and an import ` +
        'replaces all of them. Add the Actions to the Login flow (Dashboard > Actions > Triggers > post-login) in this order: ' +
        `${order}; or put the tenant's current triggers/triggers.json (a0deploy export) in the output folder and run again; ` +
        'or run with --bindings replace to write the migrated list alone.',
    );
  }
  return notes;
}
