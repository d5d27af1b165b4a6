/** Pure comparison of two Outcomes: one line per difference, readable without the raw data. */
import { effectiveSaml, stableJson } from './outcome.js';
import type { JsonObject, Outcome, Scenario } from './types.js';

export interface Comparison {
  differences: string[];
  notes: string[];
}

export function compareOutcomes(rule: Outcome, action: Outcome, scenario: Pick<Scenario, 'denyMessage'>): Comparison {
  const differences: string[] = [];
  const notes: string[] = [];
  const differ = (label: string, left: unknown, right: unknown) => {
    if (stableJson(left) !== stableJson(right)) differences.push(`${label}: rule ${show(left)}, action ${show(right)}`);
  };

  if (rule.result !== action.result) {
    differences.push(`result: rule ${describeResult(rule)}, action ${describeResult(action)}`);
  } else if (rule.message !== action.message) {
    const label = rule.result === 'denied' ? 'deny message' : 'error message';
    const line = `${label}: rule ${show(rule.message)}, action ${show(action.message)}`;
    // Errors and transport failures are worded by different libraries on each side.
    if (rule.result === 'error' || scenario.denyMessage === 'any') notes.push(line);
    else differences.push(line);
  }

  differ('primary user', rule.primaryUser ?? undefined, action.primaryUser ?? undefined);
  if (stableJson(rule.links) !== stableJson(action.links)) {
    differences.push(`link calls: rule ${showLinks(rule.links)}, action ${showLinks(action.links)}`);
  }
  for (const kind of ['app_metadata', 'user_metadata'] as const) {
    compareKeys(`${kind} of the current user`, rule.metadata[kind], action.metadata[kind], differ);
  }
  for (const id of union(rule.otherUsers, action.otherUsers)) {
    for (const kind of ['app_metadata', 'user_metadata'] as const) {
      compareKeys(`${kind} of ${id}`, rule.otherUsers[id]?.[kind] ?? {}, action.otherUsers[id]?.[kind] ?? {}, differ);
    }
  }
  compareKeys('ID token claim', rule.idTokenClaims, action.idTokenClaims, differ);
  compareKeys('access token claim', rule.accessTokenClaims, action.accessTokenClaims, differ);
  differ('scopes added', rule.scopes.added, action.scopes.added);
  differ('scopes removed', rule.scopes.removed, action.scopes.removed);
  differ('redirect', rule.redirect ?? undefined, action.redirect ?? undefined);
  // Both are effective options (each side's defaults applied), see outcome.ts.
  differ('multifactor', rule.multifactor ?? undefined, action.multifactor ?? undefined);
  const saml = effectiveSaml(rule.saml, action.saml);
  compareKeys('SAML', saml.rule, saml.action, differ);

  notes.push(...rule.details.notes.map((n) => `rule: ${n}`), ...action.details.notes.map((n) => `action: ${n}`));
  return { differences, notes };
}

function compareKeys(label: string, left: JsonObject, right: JsonObject, differ: (l: string, a: unknown, b: unknown) => void) {
  for (const key of union(left, right)) {
    differ(`${label} ${JSON.stringify(key)}`, key in left ? left[key] : undefined, key in right ? right[key] : undefined);
  }
}

function union(left: object, right: object): string[] {
  return [...new Set([...Object.keys(left), ...Object.keys(right)])].sort();
}

function describeResult(outcome: Outcome): string {
  if (outcome.result === 'ok') return 'let the login continue';
  const verb = outcome.result === 'denied' ? 'denied' : 'failed with';
  return `${verb} ${show(outcome.message)}`;
}

function showLinks(links: Outcome['links']): string {
  if (links.length === 0) return 'none';
  return links.map((l) => `${l.primary} ← ${l.provider}|${l.user_id} (${l.status})`).join(', ');
}

function show(value: unknown): string {
  if (value === undefined) return '(not set)';
  return stableJson(value);
}
