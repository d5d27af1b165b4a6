// Tables joined by hand on purpose: Markdown needs no column widths, only escaping (esc), which a library
// would not do for us.
// The audit as Markdown: the portfolio table, then a section per tenant with its rules.
import { needReview, plural } from './plural.js';
import { AUDIT_COLUMNS, auditRow, codeList } from './audit-table.js';
import type { AuditReport } from './audit-model.js';

const esc = (text: string) => text.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/[<>]/g, (c) => (c === '<' ? '&lt;' : '&gt;')).replace(/\r?\n/g, ' ');
const code = (text: string) => `\`${text.replace(/`/g, "'")}\``;

export function formatAuditMarkdown(report: AuditReport): string {
  const o = report.overall;
  const out = [
    '# Rules → Actions audit',
    '',
    `${plural(o.tenants, 'tenant')}, ${plural(o.rules, 'rule')} (${o.linking} account linking): ${o.migrated} migrated, ${needReview(o.review)}, ` +
      `${o.failed} failed. Findings: ${plural(o.findings.error, 'error')}, ${plural(o.findings.warning, 'warning')}, ${o.findings.info} info. ` +
      `Estimated effort: ${o.effortHours.toFixed(2)} h.`,
    '',
    `| Tenant | Format | ${AUDIT_COLUMNS.map(([, title]) => title).join(' | ')} |`,
    `| --- | --- | ${AUDIT_COLUMNS.map(() => '---:').join(' | ')} |`,
    ...report.tenants.map((t) => `| ${esc(t.name)} | ${t.format} | ${AUDIT_COLUMNS.map(([key]) => auditRow(t.counts)[key]).join(' | ')} |`),
    `| **All** | | ${AUDIT_COLUMNS.map(([key]) => `**${auditRow(o)[key]}**`).join(' | ')} |`,
    '',
  ];
  for (const t of report.tenants) {
    const c = t.counts;
    out.push(`## ${esc(t.name)}`, '', `Source: ${code(t.source)} (${t.format})`, '');
    if (Object.keys(c.codes).length) out.push(`Findings: ${esc(codeList(c.codes))}`, '');
    if (c.secrets.length) out.push(`Secrets to create: ${c.secrets.map(code).join(', ')}`, '');
    if (c.scopes.length) out.push(`Management API scopes: ${c.scopes.map(code).join(', ')}`, '');
    for (const u of t.unreadable) out.push(`Could not be read: ${code(u.source)}: ${esc(u.message)}`, '');
    for (const note of t.notes) out.push(`Note: ${esc(note)}`, '');
    out.push('| Order | Rule | Status | Linking | Enabled | Findings | Effort (h) |', '| ---: | --- | --- | --- | --- | --- | ---: |');
    for (const r of t.rules) {
      const findings = r.findings.filter((f) => f.severity !== 'info').map((f) => `${f.severity} ${f.code} (${f.line}:${f.column})`);
      out.push(
        `| ${r.order ?? ''} | ${esc(r.name)} | ${r.status} | ${r.linking ? 'yes' : ''} | ${r.enabled === false ? 'no' : 'yes'} | ${esc(findings.join('; '))} | ${r.effortHours.toFixed(2)} |`,
      );
    }
    out.push('');
  }
  out.push('Effort in hours; the formula is in the README ("Effort estimate").', '');
  return out.join('\n');
}
