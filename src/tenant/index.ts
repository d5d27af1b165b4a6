// migrateTenant: the rules of one tenant, in execution order, migrated with what they share.
import { migrate } from '../migrate.js';
import type { MigrateOptions, MigrationResult } from '../types.js';
import { analyzeTenant, type TenantRule } from './analyze.js';

export { analyzeTenant, type TenantRule } from './analyze.js';
export type { GlobalShare, RuleTenantView, SharedField } from './types.js';

export interface TenantMigrateOptions extends Omit<MigrateOptions, 'tenant' | 'filename' | 'ruleId'> {
  /** Say in the findings that the order is assumed (plain .js files have none). */
  orderNote?: string;
}

/**
 * Pure, like migrate(): `rules` in the order they run (disabled ones marked `runs: false`); one result
 * per rule, in the same order. A library rule whose definitions moved into the rules using them has
 * `noAction: true`.
 */
export function migrateTenant(rules: Array<TenantRule & { ruleId?: string }>, options: TenantMigrateOptions = {}): MigrationResult[] {
  const { orderNote, ...rest } = options;
  const { views } = analyzeTenant(rules, { orderNote });
  return rules.map((rule, i) => migrate(rule.script, { ...rest, filename: rule.source, ruleId: rule.ruleId, tenant: views[i] }));
}
