// The audit of many tenants as data: per rule, per tenant, overall. Every audit format renders this.
import type { TenantFormat } from '../inputs/types.js';
import type { RuleReport, RuleRun } from '../run.js';
import type { TenantRuns } from '../tenants.js';
import type { Finding, Severity } from '../types.js';

/**
 * Effort estimate in hours. Per enabled rule: a base by status (a clean rule still needs a read and a
 * test; a failed one is rewritten by hand), plus time per error and warning finding, plus a security
 * review and test for account linking. Per tenant with at least one enabled rule: set-up (M2M
 * application, deploy, cut-over) plus each secret and Management API scope its enabled rules need.
 * Disabled rules (they do not run today) and inputs that could not be read cost nothing here.
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
  /** Rules read (an input that could not be read is not a rule: see `unreadable`). */
  rules: number;
  /** Inputs that could not be read. */
  unreadable: number;
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

/** An input (file, sidecar, live tenant) that could not be read. */
export interface AuditUnreadable {
  source: string;
  message: string;
  line?: number;
  column?: number;
}

export interface AuditTenant {
  name: string;
  source: string;
  format: TenantFormat;
  configKeys: string[];
  counts: AuditCounts;
  rules: AuditRule[];
  unreadable: AuditUnreadable[];
  /** What the reader had to say that is no rule's problem (e.g. a tenant without Rules). */
  notes: string[];
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

function ruleEffort(r: Pick<AuditRule, 'status' | 'findings' | 'linking' | 'enabled'>): number {
  if (r.enabled === false) return 0;
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

function countRules(rules: AuditRule[], unreadable: number): AuditCounts {
  const counts: AuditCounts = {
    rules: rules.length,
    unreadable,
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

/** Set-up plus the enabled rules and what they need; 0 for a tenant with no enabled rule. */
export function tenantEffort(rules: AuditRule[]): number {
  const enabled = rules.filter((r) => r.enabled !== false);
  if (enabled.length === 0) return 0;
  return round(
    EFFORT.tenant +
      enabled.reduce((sum, r) => sum + r.effortHours, 0) +
      sortedUnion(enabled.map((r) => r.secrets)).length * EFFORT.perSecret +
      sortedUnion(enabled.map((r) => r.scopes)).length * EFFORT.perScope,
  );
}

function sortCodes(codes: Map<string, number>): Record<string, number> {
  return Object.fromEntries([...codes].sort(([a, x], [b, y]) => y - x || (a < b ? -1 : 1)));
}

export function buildAudit(version: string, groups: TenantRuns[], generatedAt?: Date): AuditReport {
  const tenants = groups.map((group): AuditTenant => {
    const rules = group.runs
      .map((run, index) => ({ run, index }))
      // Execution order: `order` first (rules without one last), then as read.
      .sort((a, b) => (a.run.input.order ?? Infinity) - (b.run.input.order ?? Infinity) || a.index - b.index)
      .map(({ run }) => auditRule(run.report, run));
    const unreadable = group.tenant.problems.map((p): AuditUnreadable => ({
      source: p.source,
      message: p.message,
      ...(p.line !== undefined ? { line: p.line } : {}),
      ...(p.column !== undefined ? { column: p.column } : {}),
    }));
    const counts = countRules(rules, unreadable.length);
    counts.effortHours = tenantEffort(rules);
    return {
      name: group.tenant.name,
      source: group.tenant.source,
      format: group.tenant.format,
      configKeys: group.tenant.configKeys,
      counts,
      rules,
      unreadable,
      notes: group.tenant.notes,
    };
  });

  const all = countRules(tenants.flatMap((t) => t.rules), tenants.reduce((sum, t) => sum + t.unreadable.length, 0));
  all.effortHours = round(tenants.reduce((sum, t) => sum + t.counts.effortHours, 0));
  return {
    tool: { name: 'rules2actions', version },
    ...(generatedAt ? { generatedAt: generatedAt.toISOString() } : {}),
    effortModel: EFFORT,
    overall: { tenants: tenants.length, ...all },
    tenants,
  };
}
