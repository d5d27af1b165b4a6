// The audit as a terminal table: one row per tenant and a total, then what each tenant needs.
import { needReview } from './plural.js';
import Table from 'cli-table3';
import pc from 'picocolors';
import type { AuditCounts, AuditReport } from './audit-model.js';

type Colors = ReturnType<typeof pc.createColors>;

export const AUDIT_COLUMNS = [
  ['rules', 'Rules'],
  ['disabled', 'Disabled'],
  ['linking', 'Linking'],
  ['migrated', 'Migrated'],
  ['review', 'Review'],
  ['failed', 'Failed'],
  ['errors', 'Errors'],
  ['warnings', 'Warnings'],
  ['info', 'Info'],
  ['secrets', 'Secrets'],
  ['scopes', 'Scopes'],
  ['effort', 'Effort (h)'],
] as const;

export type AuditColumn = (typeof AUDIT_COLUMNS)[number][0];

/** The numbers of one summary row, by column. */
export function auditRow(c: AuditCounts): Record<AuditColumn, string> {
  return {
    rules: String(c.rules),
    disabled: String(c.disabled),
    linking: String(c.linking),
    migrated: String(c.migrated),
    review: String(c.review),
    failed: String(c.failed),
    errors: String(c.findings.error),
    warnings: String(c.findings.warning),
    info: String(c.findings.info),
    secrets: String(c.secrets.length),
    scopes: String(c.scopes.length),
    effort: c.effortHours.toFixed(2),
  };
}

export const codeList = (codes: Record<string, number>) => Object.entries(codes).map(([code, n]) => `${code} ×${n}`).join(', ');

export function formatAuditTable(report: AuditReport, colors: Colors = pc.createColors(false)): string {
  const header = ['Tenant', 'Format', ...AUDIT_COLUMNS.map(([, title]) => title)];
  const rows = report.tenants.map((t) => [t.name, t.format, ...AUDIT_COLUMNS.map(([key]) => auditRow(t.counts)[key])]);
  const total = [`All (${report.overall.tenants} tenants)`, '', ...AUDIT_COLUMNS.map(([key]) => auditRow(report.overall)[key])];
  // cli-table3 measures cells with string-width: CJK and emoji tenant names keep the columns aligned.
  const table = new Table({
    head: header.map((h) => colors.bold(h)),
    chars: {
      top: '', 'top-mid': '', 'top-left': '', 'top-right': '', bottom: '', 'bottom-mid': '', 'bottom-left': '', 'bottom-right': '',
      left: '', 'left-mid': '', mid: '', 'mid-mid': '', right: '', 'right-mid': '', middle: '  ',
    },
    style: { head: [], border: [], 'padding-left': 0, 'padding-right': 0, compact: true },
    colAligns: header.map((_, i) => (i < 2 ? 'left' : 'right')),
  });
  table.push(...rows, total.map((cell) => colors.bold(cell)));
  const out = [...table.toString().split('\n').map((line) => line.trimEnd()), ''];

  for (const t of report.tenants) {
    out.push(`${colors.bold(t.name)}  ${colors.dim(t.source)}`);
    const c = t.counts;
    out.push(`  ${colors.green(`${c.migrated} migrated`)}, ${colors.yellow(needReview(c.review))}, ${colors.red(`${c.failed} failed`)}; ${c.linking} account linking; ${c.disabled} disabled`);
    if (Object.keys(c.codes).length) out.push(`  findings: ${codeList(c.codes)}`);
    if (c.secrets.length) out.push(`  secrets to create: ${c.secrets.join(', ')}`);
    if (c.scopes.length) out.push(`  Management API scopes: ${c.scopes.join(' ')}`);
    if (c.dependencies.length) out.push(`  dependencies: ${c.dependencies.join(', ')}`);
    for (const r of t.rules.filter((rule) => rule.status === 'failed')) {
      out.push(colors.red(`  ✖ ${r.name}: ${r.findings.find((f) => f.severity === 'error')?.message ?? 'failed'}`));
    }
    for (const u of t.unreadable) out.push(colors.red(`  ✖ could not be read: ${u.message}`));
    for (const note of t.notes) out.push(colors.dim(`  note: ${note}`));
    out.push('');
  }
  out.push(colors.dim(`Effort in hours (${report.overall.effortHours.toFixed(2)} in all): see "Effort estimate" in the README for the formula.`), '');
  return out.join('\n');
}
