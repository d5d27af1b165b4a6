// The audit as one self-contained HTML page (inline CSS and SVG, no script, no network): the
// portfolio with a chart of statuses per tenant, a table per tenant, and per rule its findings and
// a side-by-side diff. Every piece of input text goes through `escapeHtml`.
import { AUDIT_COLUMNS, auditRow } from './audit-table.js';
import { lineChanges } from '../diff.js';
import type { AuditReport, AuditRule, AuditTenant } from './audit-model.js';

export function escapeHtml(text: string | number): string {
  return String(text).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const STATUS_COLORS = { migrated: '#1a7f37', review: '#9a6700', failed: '#cf222e' } as const;
const STATUSES = ['migrated', 'review', 'failed'] as const;

const CSS = `
:root { color-scheme: light; --border: #d0d7de; --muted: #57606a; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1f2328; margin: 0; padding: 24px 32px 48px; max-width: 1400px; }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 20px; margin: 40px 0 4px; padding-top: 12px; border-top: 2px solid var(--border); }
h3 { font-size: 15px; margin: 16px 0 6px; }
.muted { color: var(--muted); }
code, pre, .diff td { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12.5px; }
table { border-collapse: collapse; margin: 8px 0 16px; }
th, td { border: 1px solid var(--border); padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #f6f8fa; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.total td { font-weight: 600; background: #f6f8fa; }
.badge { display: inline-block; padding: 0 8px; border-radius: 10px; color: #fff; font-size: 12px; font-weight: 600; }
.badge.migrated { background: ${STATUS_COLORS.migrated}; } .badge.review { background: ${STATUS_COLORS.review}; } .badge.failed { background: ${STATUS_COLORS.failed}; }
.sev-error { color: ${STATUS_COLORS.failed}; font-weight: 600; } .sev-warning { color: ${STATUS_COLORS.review}; font-weight: 600; } .sev-info { color: var(--muted); }
.chips span { display: inline-block; margin: 2px 4px 2px 0; padding: 1px 8px; border: 1px solid var(--border); border-radius: 10px; background: #f6f8fa; }
details.rule { border: 1px solid var(--border); border-radius: 6px; margin: 8px 0; padding: 0 12px; }
details.rule > summary { cursor: pointer; padding: 8px 0; font-weight: 600; }
details.rule[open] > summary { border-bottom: 1px solid var(--border); margin-bottom: 8px; }
ol.findings { padding-left: 20px; margin: 4px 0 12px; }
ol.findings li { margin: 2px 0; }
.suggestion { color: var(--muted); }
.diff { width: 100%; table-layout: fixed; }
.diff td { border: none; padding: 0 6px; white-space: pre-wrap; word-break: break-word; }
.diff td.ln { width: 3.5em; color: var(--muted); text-align: right; user-select: none; border-right: 1px solid var(--border); }
.diff th { width: 50%; }
.diff th.ln { width: 3.5em; }
.diff .del { background: #ffebe9; } .diff .add { background: #dafbe1; } .diff .empty { background: #f6f8fa; }
svg text { font: 12px system-ui, sans-serif; }
nav a { margin-right: 12px; }
`;

function chart(report: AuditReport): string {
  const rowHeight = 30;
  const labelWidth = 180;
  const barWidth = 520;
  const height = report.tenants.length * rowHeight + 40;
  const max = Math.max(1, ...report.tenants.map((t) => t.counts.rules));
  const bars = report.tenants.map((t, i) => {
    const y = i * rowHeight + 8;
    let x = labelWidth;
    const segments = STATUSES.filter((s) => t.counts[s] > 0).map((s) => {
      const width = (t.counts[s] / max) * barWidth;
      const rect =
        `<rect x="${x.toFixed(1)}" y="${y}" width="${width.toFixed(1)}" height="20" fill="${STATUS_COLORS[s]}"><title>${escapeHtml(`${t.name}: ${t.counts[s]} ${s}`)}</title></rect>` +
        (width >= 18 ? `<text x="${(x + width / 2).toFixed(1)}" y="${y + 14}" text-anchor="middle" fill="#fff">${t.counts[s]}</text>` : '');
      x += width;
      return rect;
    });
    const label = t.name.length > 24 ? `${t.name.slice(0, 23)}…` : t.name;
    return (
      `<text x="${labelWidth - 8}" y="${y + 14}" text-anchor="end">${escapeHtml(label)}</text>` +
      segments.join('') +
      `<text x="${(x + 6).toFixed(1)}" y="${y + 14}" fill="#57606a">${t.counts.rules} rules</text>`
    );
  });
  const legendY = report.tenants.length * rowHeight + 22;
  const legend = STATUSES.map(
    (s, i) => `<rect x="${labelWidth + i * 110}" y="${legendY - 10}" width="12" height="12" fill="${STATUS_COLORS[s]}"/><text x="${labelWidth + i * 110 + 18}" y="${legendY}">${s}</text>`,
  ).join('');
  return (
    `<svg class="chart" role="img" aria-label="Rule statuses per tenant" width="${labelWidth + barWidth + 90}" height="${height}" ` +
    `viewBox="0 0 ${labelWidth + barWidth + 90} ${height}" xmlns="http://www.w3.org/2000/svg">${bars.join('')}${legend}</svg>`
  );
}

function summaryTable(report: AuditReport): string {
  const head = `<tr><th>Tenant</th><th>Format</th>${AUDIT_COLUMNS.map(([, title]) => `<th class="num">${escapeHtml(title)}</th>`).join('')}</tr>`;
  const rows = report.tenants.map((t, i) => {
    const row = auditRow(t.counts);
    return `<tr><td><a href="#tenant-${i + 1}">${escapeHtml(t.name)}</a></td><td>${escapeHtml(t.format)}</td>${AUDIT_COLUMNS.map(([key]) => `<td class="num">${row[key]}</td>`).join('')}</tr>`;
  });
  const total = auditRow(report.overall);
  rows.push(`<tr class="total"><td>All</td><td></td>${AUDIT_COLUMNS.map(([key]) => `<td class="num">${total[key]}</td>`).join('')}</tr>`);
  return `<table class="summary">${head}${rows.join('')}</table>`;
}

const chips = (items: string[]) => `<span class="chips">${items.map((i) => `<span>${escapeHtml(i)}</span>`).join('')}</span>`;

interface DiffRow {
  left: { n: number; text: string; kind: 'ctx' | 'del' } | null;
  right: { n: number; text: string; kind: 'ctx' | 'add' } | null;
}

/** Pairs removed and added lines so the rule and its Action read side by side. */
export function sideBySide(before: string, after: string): DiffRow[] {
  const rows: DiffRow[] = [];
  const lines = (value: string) => value.replace(/\r?\n$/, '').split(/\r?\n/);
  let leftN = 0;
  let rightN = 0;
  // Bounded: an exact diff of a large, fully rewritten rule took minutes (src/diff.ts).
  const parts = lineChanges(before, after);
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i];
    if (!part.added && !part.removed) {
      for (const text of lines(part.value)) rows.push({ left: { n: ++leftN, text, kind: 'ctx' }, right: { n: ++rightN, text, kind: 'ctx' } });
      continue;
    }
    const removed = part.removed ? lines(part.value) : [];
    const next = part.removed && parts[i + 1]?.added ? parts[++i] : part.added ? part : null;
    const added = next ? lines(next.value) : [];
    for (let k = 0; k < Math.max(removed.length, added.length); k++) {
      rows.push({
        left: k < removed.length ? { n: ++leftN, text: removed[k], kind: 'del' } : null,
        right: k < added.length ? { n: ++rightN, text: added[k], kind: 'add' } : null,
      });
    }
  }
  return rows;
}

function diffTable(rule: AuditRule): string {
  if (!rule.before) return '<p class="muted">No source to show.</p>';
  if (rule.before === rule.after) return '<p class="muted">No Action was produced; the rule is unchanged:</p>' + `<pre>${escapeHtml(rule.before)}</pre>`;
  const cell = (side: DiffRow['left'] | DiffRow['right']) =>
    side ? `<td class="ln">${side.n}</td><td class="${side.kind}">${escapeHtml(side.text)}</td>` : '<td class="ln"></td><td class="empty"></td>';
  const rows = sideBySide(rule.before, rule.after).map((row) => `<tr>${cell(row.left)}${cell(row.right)}</tr>`);
  return `<table class="diff"><tr><th class="ln"></th><th>Rule</th><th class="ln"></th><th>Action</th></tr>${rows.join('')}</table>`;
}

function ruleDetails(rule: AuditRule, id: string): string {
  const findings = rule.findings.length
    ? `<ol class="findings">${rule.findings
        .map(
          (f) =>
            `<li><span class="sev-${f.severity}">${f.severity}</span> <code>${escapeHtml(f.code)}</code> ` +
            `<span class="muted">${f.line}:${f.column}</span> ${escapeHtml(f.message)}` +
            (f.suggestion ? ` <span class="suggestion">Suggestion: ${escapeHtml(f.suggestion)}</span>` : '') +
            '</li>',
        )
        .join('')}</ol>`
    : '<p class="muted">No findings.</p>';
  const needs = [
    rule.secrets.length ? `<p>Secrets: ${chips(rule.secrets)}</p>` : '',
    rule.scopes.length ? `<p>Scopes: ${chips(rule.scopes)}</p>` : '',
    rule.dependencies.length ? `<p>Dependencies: ${chips(rule.dependencies)}</p>` : '',
  ].join('');
  return (
    // Rules that need a human start open.
    `<details class="rule" id="${id}"${rule.status === 'migrated' ? '' : ' open'}><summary>${escapeHtml(rule.name)} <span class="badge ${rule.status}">${rule.status}</span>` +
    `${rule.linking ? ' <span class="muted">account linking</span>' : ''}${rule.enabled === false ? ' <span class="muted">disabled</span>' : ''}</summary>` +
    `<p class="muted"><code>${escapeHtml(rule.source)}</code></p>${needs}<h3>Findings</h3>${findings}<h3>Rule → Action</h3>${diffTable(rule)}</details>`
  );
}

function tenantSection(t: AuditTenant, index: number): string {
  const c = t.counts;
  const rows = t.rules.map((r, k) => {
    const sev = (s: 'error' | 'warning' | 'info') => r.findings.filter((f) => f.severity === s).length;
    return (
      `<tr><td class="num">${r.order ?? ''}</td><td><a href="#rule-${index + 1}-${k + 1}">${escapeHtml(r.name)}</a></td>` +
      `<td><span class="badge ${r.status}">${r.status}</span></td><td>${r.linking ? 'yes' : ''}</td><td>${r.enabled === false ? 'no' : 'yes'}</td>` +
      `<td>${escapeHtml(r.stage ?? '')}</td><td class="num">${sev('error')}</td><td class="num">${sev('warning')}</td><td class="num">${sev('info')}</td>` +
      `<td class="num">${r.effortHours.toFixed(2)}</td></tr>`
    );
  });
  const codes = Object.entries(c.codes).map(([code, n]) => `${code} ×${n}`);
  return (
    `<section class="tenant" id="tenant-${index + 1}"><h2>${escapeHtml(t.name)}</h2>` +
    `<p class="muted"><code>${escapeHtml(t.source)}</code> · ${escapeHtml(t.format)}</p>` +
    `<p class="tenant-summary">${c.rules} rules: ${c.migrated} migrated, ${c.review} need review, ${c.failed} failed; ` +
    `${c.linking} account linking; ${c.disabled} disabled. Findings: ${c.findings.error} errors, ${c.findings.warning} warnings, ${c.findings.info} info. ` +
    `Effort: ${c.effortHours.toFixed(2)} h.</p>` +
    (codes.length ? `<p>Finding codes: ${chips(codes)}</p>` : '') +
    (c.secrets.length ? `<p>Secrets to create: ${chips(c.secrets)}</p>` : '') +
    (c.scopes.length ? `<p>Management API scopes: ${chips(c.scopes)}</p>` : '') +
    `<table class="rules"><tr><th class="num">Order</th><th>Rule</th><th>Status</th><th>Linking</th><th>Enabled</th><th>Stage</th>` +
    `<th class="num">Errors</th><th class="num">Warnings</th><th class="num">Info</th><th class="num">Effort (h)</th></tr>${rows.join('')}</table>` +
    t.rules.map((r, k) => ruleDetails(r, `rule-${index + 1}-${k + 1}`)).join('') +
    '</section>'
  );
}

export function formatAuditHtml(report: AuditReport): string {
  const o = report.overall;
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">',
    // No network: nothing here may load from elsewhere.
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">`,
    `<title>Rules → Actions audit</title><style>${CSS}</style></head><body>`,
    `<h1>Rules → Actions audit</h1><p class="muted">${escapeHtml(report.tool.name)} ${escapeHtml(report.tool.version)}</p>`,
    '<section id="portfolio"><h2>Portfolio</h2>',
    `<p class="overall">${o.tenants} tenants, ${o.rules} rules (${o.linking} account linking): ${o.migrated} migrated, ${o.review} need review, ${o.failed} failed. ` +
      `Findings: ${o.findings.error} errors, ${o.findings.warning} warnings, ${o.findings.info} info. Estimated effort: ${o.effortHours.toFixed(2)} h.</p>`,
    chart(report),
    summaryTable(report),
    `<nav>${report.tenants.map((t, i) => `<a href="#tenant-${i + 1}">${escapeHtml(t.name)}</a>`).join('')}</nav>`,
    '</section>',
    ...report.tenants.map(tenantSection),
    '<p class="muted">Effort in hours; the formula is in the README ("Effort estimate").</p>',
    '</body></html>',
    '',
  ].join('\n');
}
