// The public API (the package's "." export): migrate, listTransforms, the report types.
export { migrate, listTransforms, type TransformInfo } from './api.js';
export { ruleStatus, TODO_MARKER, type RuleStatus } from './report.js';
export { transforms } from '../transforms/index.js';
export type { Dependency, FileStatus, Finding, MigrateOptions, MigrationResult, Requirements, SdkMajor, Severity, Transform } from './types.js';
export type { RuleReport, Summary } from './run.js';
export type { MigrationReport } from './format/report-json.js';
export type { AuditReport, AuditTenant, AuditRule, AuditCounts } from './format/audit-model.js';
export type { VerificationEntry } from './format/verify-model.js';
export { migrateTenant, analyzeTenant, type TenantMigrateOptions, type TenantRule } from './tenant/index.js';
