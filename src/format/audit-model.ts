// The audit of many tenants as data: per rule, per tenant, overall. Every audit format renders this.
import type { TenantFormat } from '../inputs/types.js';
import type { RuleReport, RuleRun } from '../run.js';
import type { TenantRuns } from '../tenants.js';
import type { Finding, Severity } from '../types.js';

/**
 * Effort estimate in hours. Per rule: a base by status (a clean rule still needs a read and a test;
 * a failed one is rewritten by hand), plus time per error and warning finding, plus a security review
 * and test for account linking. Per tenant: set-up (M2M application, deploy, cut-over) plus each
 * secret and Management API scope to provision.
 */
export const EFFORT = {
  status: { migrated: 0.25, review: 0.5, failed: 2 },
  perError: 0.5,
  perWarning: 0.25,
  linking: 2,
  tenant: 1,
  perSecret: 0.25,
  perScope: 0.25,
} as const;

export const SEVERITIES: Severity[] = ['error', 'warning', 'info'];

export interface AuditCounts {
  rules: number;
  enabled: number;
  disabled: number;
  linking: number;
  migrated: number;
  review: number;
  failed: number;
  findings: Record<Severity, number>;
  /** Finding code → how often, most frequent first. */
  codes: Record<string, number>;
  /** Distinct names to provision. */
  secrets: string[];
  scopes: string[];
  dependencies: string[];
  effortHours: number;
}

export interface AuditRule {
  name: string;
  source: string;
  order?: number;
  enabled?: boolean;
  stage?: string;
  status: RuleReport['status'];
  linking: boolean;
  findings: Finding[];
  secrets: string[];
  scopes: string[];
  dependencies: string[];
  effortHours: number;
  /** The rule and its Action (equal when nothing was produced): for side-by-side views, not serialised. */
  before: string;
  after: string;
}

export interface AuditTenant {
  name: string;
  source: string;
  format: TenantFormat;
  configKeys: string[];
  counts: AuditCounts;
  rules: AuditRule[];
}

export interface AuditReport {
  tool: { name: string; version: string };
  /** When the audit ran (ISO 8601, UTC); SOURCE_DATE_EPOCH fixes it for reproducible reports. */
  generatedAt?: string;
  effortModel: typeof EFFORT;
  overall: AuditCounts & { tenants: number };
  tenants: AuditTenant[];
}

const round = (hours: number) => Math.round(hours * 100) / 100;

function ruleEffort(r: Pick<AuditRule, 'status' | 'findings' | 'linking'>): number {
  let hours: number = EFFORT.status[r.status];
  for (const f of r.findings) hours += f.severity === 'error' ? EFFORT.perError : f.severity === 'warning' ? EFFORT.perWarning : 0;
  return round(hours + (r.linking ? EFFORT.linking : 0));
}

function auditRule(report: RuleReport, run?: RuleRun): AuditRule {
  const rule: AuditRule = {
    name: report.name,
    source: report.source,
    ...(report.order !== undefined ? { order: report.order } : {}),
    ...(report.enabled !== undefined ? { enabled: report.enabled } : {}),
    ...(report.stage !== undefined ? { stage: report.stage } : {}),
    status: report.status,
    linking: report.linking,
    findings: report.findings,
    secrets: report.secrets,
    scopes: report.scopes,
    dependencies: report.dependencies.map((d) => `${d.name}@${d.version || '?'}`),
    effortHours: 0,
    before: run?.input.script ?? '',
    after: run?.result.code ?? '',
  };
  rule.effortHours = ruleEffort(rule);
  return rule;
}

const sortedUnion = (lists: string[][]) => [...new Set(lists.flat())].sort();

function countRules(rules: AuditRule[]): AuditCounts {
  const counts: AuditCounts = {
    rules: rules.length,
    enabled: 0,
    disabled: 0,
    linking: 0,
    migrated: 0,
    review: 0,
    failed: 0,
    findings: { error: 0, warning: 0, info: 0 },
    codes: {},
    secrets: sortedUnion(rules.map((r) => r.secrets)),
    scopes: sortedUnion(rules.map((r) => r.scopes)),
    dependencies: sortedUnion(rules.map((r) => r.dependencies)),
    effortHours: 0,
  };
  const codes = new Map<string, number>();
  for (const r of rules) {
    if (r.enabled === false) counts.disabled++;
    else counts.enabled++;
    if (r.linking) counts.linking++;
    counts[r.status]++;
    for (const f of r.findings) {
      counts.findings[f.severity]++;
      codes.set(f.code, (codes.get(f.code) ?? 0) + 1);
    }
  }
  counts.codes = sortCodes(codes);
  return counts;
}

function sortCodes(codes: Map<string, number>): Record<string, number> {
  return Object.fromEntries([...codes].sort(([a, x], [b, y]) => y - x || (a < b ? -1 : 1)));
}

export function buildAudit(version: string, groups: TenantRuns[], generatedAt?: Date): AuditReport {
  const tenants = groups.map((group): AuditTenant => {
    const rules = [
      ...group.runs
        .map((run, index) => ({ run, index }))
        // Execution order: `order` first (rules without one last), then as read.
        .sort((a, b) => (a.run.input.order ?? Infinity) - (b.run.input.order ?? Infinity) || a.index - b.index)
        .map(({ run }) => auditRule(run.report, run)),
      ...group.failures.map((report) => auditRule(report)),
    ];
    const counts = countRules(rules);
    counts.effortHours = round(
      EFFORT.tenant +
        rules.reduce((sum, r) => sum + r.effortHours, 0) +
        counts.secrets.length * EFFORT.perSecret +
        counts.scopes.length * EFFORT.perScope,
    );
    return { name: group.tenant.name, source: group.tenant.source, format: group.tenant.format, configKeys: group.tenant.configKeys, counts, rules };
  });

  const all = countRules(tenants.flatMap((t) => t.rules));
  all.effortHours = round(tenants.reduce((sum, t) => sum + t.counts.effortHours, 0));
  return {
    tool: { name: 'rules2actions', version },
    ...(generatedAt ? { generatedAt: generatedAt.toISOString() } : {}),
    effortModel: EFFORT,
    overall: { tenants: tenants.length, ...all },
    tenants,
  };
}
