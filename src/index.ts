export { migrate } from './migrate.js';
export { ruleStatus, TODO_MARKER, type RuleStatus } from './report.js';
export { transforms } from '../transforms/index.js';
export type * from './types.js';
export { migrateTenant, analyzeTenant, type TenantMigrateOptions, type TenantRule } from './tenant/index.js';
