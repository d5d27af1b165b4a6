// What a tenant's migrated rules become: Action names, file names, secrets, and the post-login
// bindings in rule execution order. Pure; the emitters turn a plan into files.
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

export function planTenant(tenant: Tenant, runs: RuleRun[]): TenantPlan {
  const names = new Set<string>();
  const files = new Set<string>();
  const bindable = tenant.format !== 'plain';
  const actions: ActionPlan[] = [];
  for (const run of runs) {
    // A library rule's helpers now live in the Actions that use them (src/tenant): nothing to deploy.
    if (run.report.status === 'failed' || run.result.noAction) continue;
    const name = unique(run.input.name.trim() || 'rule', names);
    const file = unique(sanitizeName(name), files);
    actions.push({ name, file, run, bound: bindable && run.input.enabled !== false });
  }
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
