// The audit as CSV (RFC 4180): one row per rule, per tenant and overall, told apart by `level`.
import { SEVERITIES, type AuditCounts, type AuditReport, type AuditRule } from './audit-model.js';

const HEADER = [
  'level', 'tenant', 'rule', 'source', 'order', 'enabled', 'stage', 'status', 'linking', 'rules', 'migrated', 'review', 'failed',
  'errors', 'warnings', 'info', 'codes', 'secrets', 'scopes', 'effort_hours',
];

function cell(value: string | number | boolean | undefined): string {
  const text = value === undefined ? '' : String(value);
  // A leading = + - @ would be a formula in a spreadsheet.
  const safe = /^[=+\-@\t\r]/.test(text) && !/^-?\d+(\.\d+)?$/.test(text) ? `'${text}` : text;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

function countCells(c: AuditCounts) {
  return [c.rules, c.migrated, c.review, c.failed, ...SEVERITIES.map((s) => c.findings[s]), Object.entries(c.codes).map(([code, n]) => `${code}:${n}`).join(' ')];
}

function ruleRow(tenant: string, r: AuditRule) {
  const codes = new Map<string, number>();
  for (const f of r.findings) codes.set(f.code, (codes.get(f.code) ?? 0) + 1);
  return [
    'rule', tenant, r.name, r.source, r.order, r.enabled, r.stage, r.status, r.linking, 1,
    Number(r.status === 'migrated'), Number(r.status === 'review'), Number(r.status === 'failed'),
    ...SEVERITIES.map((s) => r.findings.filter((f) => f.severity === s).length),
    [...codes].map(([code, n]) => `${code}:${n}`).join(' '),
    r.secrets.join(' '), r.scopes.join(' '), r.effortHours,
  ];
}

export function formatAuditCsv(report: AuditReport): string {
  const rows: Array<Array<string | number | boolean | undefined>> = [HEADER];
  for (const t of report.tenants) {
    for (const r of t.rules) rows.push(ruleRow(t.name, r));
    const c = t.counts;
    rows.push(['tenant', t.name, '', t.source, '', '', '', '', c.linking, ...countCells(c), c.secrets.join(' '), c.scopes.join(' '), c.effortHours]);
  }
  const o = report.overall;
  rows.push(['overall', '', '', '', '', '', '', '', o.linking, ...countCells(o), o.secrets.join(' '), o.scopes.join(' '), o.effortHours]);
  return rows.map((row) => row.map(cell).join(',')).join('\r\n') + '\r\n';
}
