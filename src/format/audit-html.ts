// The audit as one self-contained page for a portfolio: charts of findings by code and effort by
// tenant (inline SVG), a sortable tenant table, one sortable and filterable table of every rule
// (tenant, status, linking, finding code, search) whose rows expand to the findings and a
// side-by-side diff, and the secrets to create. Offline: inline CSS and scripts, a CSP that allows
// nothing else; the per-rule details travel gzip-compressed and are drawn on demand, which keeps a
// 100-tenant page to a few MB. Input text reaches the page only escaped (server side) or through
// textContent and diff2html's escaping (client side).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { gzipSync } from 'node:zlib';
import { AUDIT_COLUMNS, auditRow } from './audit-table.js';
import { unifiedDiff } from '../diff.js';
import type { AuditReport, AuditRule, AuditTenant } from './audit-model.js';
import { needReview, plural } from './plural.js';
import type { Severity } from '../types.js';

export function escapeHtml(text: string | number): string {
  return String(text).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const STATUS_COLORS = { migrated: '#1a7f37', review: '#9a6700', failed: '#cf222e' } as const;
const SEVERITY_COLORS: Record<Severity, string> = { error: '#cf222e', warning: '#9a6700', info: '#57606a' };
const SEVERITY_RANK: Record<Severity, number> = { error: 0, warning: 1, info: 2 };
/** Bars drawn per chart; the tables below hold the rest. */
const CHART_LIMIT = 25;

const require = createRequire(import.meta.url);
// diff2html draws the side-by-side view in the page (it pairs re-indented lines instead of showing
// them as blank blocks); its browser bundle and stylesheet are inlined once per page.
let diff2html: { js: string; css: string } | undefined;
function diff2htmlAssets(): { js: string; css: string } {
  diff2html ??= {
    js: readFileSync(require.resolve('diff2html/bundles/js/diff2html.min.js'), 'utf8'),
    css: readFileSync(require.resolve('diff2html/bundles/css/diff2html.min.css'), 'utf8'),
  };
  return diff2html;
}

const CSS = `
:root { color-scheme: light; --border: #d0d7de; --muted: #57606a; --bg: #f6f8fa; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1f2328; margin: 0; padding: 24px 32px 48px; max-width: 1500px; }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 19px; margin: 32px 0 8px; padding-top: 12px; border-top: 2px solid var(--border); }
.muted { color: var(--muted); }
code, pre { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12.5px; }
table { border-collapse: collapse; margin: 8px 0 16px; }
th, td { border: 1px solid var(--border); padding: 3px 8px; text-align: left; vertical-align: top; }
th { background: var(--bg); white-space: nowrap; }
th[data-key] { cursor: pointer; user-select: none; }
th[data-key]::after { content: " ↕"; color: #afb8c1; }
th[aria-sort="ascending"]::after { content: " ↑"; color: inherit; }
th[aria-sort="descending"]::after { content: " ↓"; color: inherit; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.total td { font-weight: 600; background: var(--bg); }
.badge { display: inline-block; padding: 0 8px; border-radius: 10px; color: #fff; font-size: 12px; font-weight: 600; }
.badge.migrated { background: ${STATUS_COLORS.migrated}; } .badge.review { background: ${STATUS_COLORS.review}; } .badge.failed { background: ${STATUS_COLORS.failed}; }
.sev-error { color: ${SEVERITY_COLORS.error}; font-weight: 600; } .sev-warning { color: ${SEVERITY_COLORS.warning}; font-weight: 600; } .sev-info { color: var(--muted); }
.charts { display: flex; flex-wrap: wrap; gap: 24px; }
.charts figure { margin: 0; } .charts figcaption { font-weight: 600; margin-bottom: 4px; }
svg text { font: 12px system-ui, sans-serif; }
.controls { display: flex; flex-wrap: wrap; gap: 8px 16px; align-items: center; margin: 8px 0; padding: 8px 12px; background: var(--bg); border: 1px solid var(--border); border-radius: 6px; position: sticky; top: 0; z-index: 2; }
.controls label { display: inline-flex; gap: 6px; align-items: center; }
.controls input[type=search] { width: 18em; }
table.rules { width: 100%; }
table.rules tr.rule { cursor: pointer; }
table.rules tr.rule:hover td { background: #f3f6fa; }
button.toggle { border: none; background: none; cursor: pointer; padding: 0 4px; font-size: 12px; width: 1.6em; }
tr.details > td { background: #fff; padding: 8px 12px 12px; }
ol.findings { padding-left: 20px; margin: 4px 0 12px; } ol.findings li { margin: 2px 0; }
.suggestion { color: var(--muted); }
.codes code { margin-right: 6px; }
.chips span { display: inline-block; margin: 2px 4px 2px 0; padding: 1px 8px; border: 1px solid var(--border); border-radius: 10px; background: var(--bg); }
.diff-view { width: min(1430px, calc(100vw - 110px)); overflow-x: auto; }
tr.details li, tr.details p { max-width: min(1430px, calc(100vw - 110px)); }
.d2h-file-name-wrapper .d2h-tag { display: none !important; }
.no { color: ${STATUS_COLORS.failed}; font-weight: 600; } .yes { color: ${STATUS_COLORS.migrated}; }
@media print { .controls { display: none; } }
`;

function barChart(
  label: string,
  rows: Array<{ name: string; value: number; text: string; color: string; title: string }>,
  more: number,
): string {
  const rowHeight = 20;
  const labelWidth = 230;
  const barWidth = 300;
  const width = labelWidth + barWidth + 70;
  const height = rows.length * rowHeight + (more > 0 ? 22 : 6);
  const max = Math.max(1e-9, ...rows.map((r) => r.value));
  const bars = rows.map((r, i) => {
    const y = i * rowHeight + 3;
    const w = Math.max(1, (r.value / max) * barWidth);
    const name = r.name.length > 34 ? `${r.name.slice(0, 33)}…` : r.name;
    return (
      `<g class="bar"><title>${escapeHtml(r.title)}</title><text x="${labelWidth - 6}" y="${y + 12}" text-anchor="end">${escapeHtml(name)}</text>` +
      `<rect x="${labelWidth}" y="${y}" width="${w.toFixed(1)}" height="15" fill="${r.color}"/>` +
      `<text x="${(labelWidth + w + 4).toFixed(1)}" y="${y + 12}" fill="#57606a">${escapeHtml(r.text)}</text></g>`
    );
  });
  const note = more > 0 ? `<text x="${labelWidth}" y="${rows.length * rowHeight + 16}" fill="#57606a">and ${more} more (see the tables)</text>` : '';
  return `<svg role="img" aria-label="${escapeHtml(label)}" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" xmlns="http://www.w3.org/2000/svg">${bars.join('')}${note}</svg>`;
}

function codeChart(report: AuditReport): string {
  const severity = new Map<string, Severity>();
  for (const f of report.tenants.flatMap((t) => t.rules.flatMap((r) => r.findings))) {
    const seen = severity.get(f.code);
    if (!seen || SEVERITY_RANK[f.severity] < SEVERITY_RANK[seen]) severity.set(f.code, f.severity);
  }
  // Errors and warnings are the work; info findings only say what was converted.
  const codes = Object.entries(report.overall.codes).sort(
    ([a, x], [b, y]) => SEVERITY_RANK[severity.get(a) ?? 'info'] - SEVERITY_RANK[severity.get(b) ?? 'info'] || y - x || (a < b ? -1 : 1),
  );
  const rows = codes.slice(0, CHART_LIMIT).map(([code, n]) => {
    const sev = severity.get(code) ?? 'info';
    return { name: code, value: n, text: String(n), color: SEVERITY_COLORS[sev], title: `${code} (${sev}): ${n}` };
  });
  return `<figure id="chart-codes"><figcaption>Findings by code</figcaption>${barChart('Findings by code', rows, codes.length - rows.length)}</figure>`;
}

function effortChart(report: AuditReport): string {
  const tenants = [...report.tenants].sort((a, b) => b.counts.effortHours - a.counts.effortHours || (a.name < b.name ? -1 : 1));
  const rows = tenants.slice(0, CHART_LIMIT).map((t) => ({
    name: t.name,
    value: t.counts.effortHours,
    text: `${t.counts.effortHours.toFixed(2)} h`,
    color: '#0969da',
    title: `${t.name}: ${t.counts.effortHours.toFixed(2)} h, ${plural(t.counts.rules, 'rule')}`,
  }));
  return `<figure id="chart-effort"><figcaption>Effort by tenant (hours)</figcaption>${barChart('Effort by tenant', rows, tenants.length - rows.length)}</figure>`;
}

function tenantTable(report: AuditReport): string {
  const columns = AUDIT_COLUMNS.map(([key, title]) => `<th class="num" data-key="${key}" data-type="num">${escapeHtml(title)}</th>`).join('');
  const head = `<thead><tr><th data-key="tenant">Tenant</th><th data-key="format">Format</th>${columns}</tr></thead>`;
  const rows = report.tenants.map((t) => {
    const row = auditRow(t.counts);
    return (
      `<tr class="tenant" data-tenant="${escapeHtml(t.name)}"><td data-key="tenant"><a href="#rules" data-filter-tenant="${escapeHtml(t.name)}">${escapeHtml(t.name)}</a></td>` +
      `<td data-key="format">${escapeHtml(t.format)}</td>${AUDIT_COLUMNS.map(([key]) => `<td class="num" data-key="${key}">${row[key]}</td>`).join('')}</tr>`
    );
  });
  const total = auditRow(report.overall);
  const foot = `<tfoot><tr class="total"><td>All</td><td></td>${AUDIT_COLUMNS.map(([key]) => `<td class="num">${total[key]}</td>`).join('')}</tr></tfoot>`;
  return `<table class="tenants sortable" id="tenant-table">${head}<tbody>${rows.join('')}</tbody>${foot}</table>`;
}

function severityCount(rule: AuditRule, severity: Severity): number {
  return rule.findings.filter((f) => f.severity === severity).length;
}

function ruleRow(tenant: AuditTenant, rule: AuditRule, index: number): string {
  const codes = [...new Set(rule.findings.filter((f) => f.severity !== 'info').map((f) => f.code))];
  const allCodes = [...new Set(rule.findings.map((f) => f.code))];
  const search = `${tenant.name} ${rule.name} ${rule.source} ${allCodes.join(' ')}`.toLowerCase();
  return (
    `<tr class="rule" id="rule-${index}" data-i="${index}" data-tenant="${escapeHtml(tenant.name)}" data-status="${rule.status}" ` +
    `data-linking="${rule.linking ? 'yes' : 'no'}" data-codes="${escapeHtml(allCodes.join(' '))}" data-search="${escapeHtml(search)}">` +
    `<td><button class="toggle" type="button" aria-expanded="false" aria-controls="details-${index}" title="Show the findings and the diff">▸</button></td>` +
    `<td data-key="tenant">${escapeHtml(tenant.name)}</td>` +
    `<td class="num" data-key="order" data-value="${rule.order ?? ''}">${rule.order ?? ''}</td>` +
    `<td data-key="rule"><span class="rule-name">${escapeHtml(rule.name)}</span>${rule.enabled === false ? ' <span class="muted">(disabled)</span>' : ''}</td>` +
    `<td data-key="status" data-value="${{ failed: 0, review: 1, migrated: 2 }[rule.status]}"><span class="badge ${rule.status}">${rule.status}</span></td>` +
    `<td data-key="linking">${rule.linking ? 'yes' : ''}</td>` +
    `<td class="num" data-key="errors">${severityCount(rule, 'error')}</td>` +
    `<td class="num" data-key="warnings">${severityCount(rule, 'warning')}</td>` +
    `<td class="codes" data-key="codes">${codes.map((c) => `<code>${escapeHtml(c)}</code>`).join('')}</td>` +
    `<td class="num" data-key="effort">${rule.effortHours.toFixed(2)}</td></tr>` +
    `<tr class="details" id="details-${index}" hidden><td colspan="10"></td></tr>`
  );
}

function rulesSection(report: AuditReport): string {
  const tenants = report.tenants.map((t) => t.name);
  const codes = Object.keys(report.overall.codes).sort();
  const select = (id: string, label: string, options: string[], all: string) =>
    `<label>${label} <select id="${id}"><option value="">${all}</option>${options.map((o) => `<option>${escapeHtml(o)}</option>`).join('')}</select></label>`;
  let index = 0;
  const rows = report.tenants.flatMap((t) => t.rules.map((r) => ruleRow(t, r, index++)));
  return (
    '<section id="rules"><h2>Rules</h2>' +
    '<div class="controls" role="search">' +
    '<label>Search <input type="search" id="filter-search" placeholder="rule, tenant, file or finding code"></label>' +
    select('filter-tenant', 'Tenant', tenants, 'all') +
    select('filter-status', 'Status', ['migrated', 'review', 'failed'], 'all') +
    select('filter-linking', 'Account linking', ['yes', 'no'], 'all') +
    select('filter-code', 'Finding', codes, 'any') +
    '<button type="button" id="expand-all">Expand all</button><button type="button" id="collapse-all">Collapse all</button>' +
    `<span id="shown" class="muted">${plural(index, 'rule')}</span></div>` +
    '<table class="rules sortable" id="rule-table"><thead><tr><th></th><th data-key="tenant">Tenant</th><th class="num" data-key="order" data-type="num">Order</th>' +
    '<th data-key="rule">Rule</th><th data-key="status" data-type="num">Status</th><th data-key="linking">Linking</th>' +
    '<th class="num" data-key="errors" data-type="num">Errors</th><th class="num" data-key="warnings" data-type="num">Warnings</th>' +
    '<th data-key="codes">Error and warning codes</th><th class="num" data-key="effort" data-type="num">Effort (h)</th></tr></thead>' +
    `<tbody>${rows.join('')}</tbody></table>` +
    '<noscript><p>Sorting, filters and the per-rule details need JavaScript; the CSV and JSON formats hold the same data.</p></noscript>' +
    '</section>'
  );
}

function secretsSection(report: AuditReport): string {
  const rows = report.tenants.flatMap((t) =>
    t.counts.secrets.map((secret) => {
      const users = t.rules.filter((r) => r.secrets.includes(secret)).length;
      const exists = t.configKeys.includes(secret);
      return (
        `<tr class="secret" data-tenant="${escapeHtml(t.name)}"><td data-key="tenant">${escapeHtml(t.name)}</td><td data-key="secret"><code>${escapeHtml(secret)}</code></td>` +
        `<td class="num" data-key="rules">${users}</td>` +
        `<td data-key="value">${exists ? '<span class="yes">yes</span>' : '<span class="no">no: ask the tenant owner</span>'}</td></tr>`
      );
    }),
  );
  if (rows.length === 0) return '<section id="secrets"><h2>Secrets to create</h2><p class="muted">No Action needs a secret.</p></section>';
  return (
    '<section id="secrets"><h2>Secrets to create</h2>' +
    '<p class="muted">Each Action secret needs a value before deploying. "In rules-configs" says whether the tenant export has a rules-configs key of that name, ' +
    'whose value can be copied over; values are never read into this report.</p>' +
    '<table class="secrets sortable" id="secret-table"><thead><tr><th data-key="tenant">Tenant</th><th data-key="secret">Secret</th>' +
    '<th class="num" data-key="rules" data-type="num">Rules using it</th><th data-key="value">In rules-configs</th></tr></thead>' +
    `<tbody>${rows.join('')}</tbody></table></section>`
  );
}

/** What the page draws on demand, per rule in table order; equal texts are stored once. */
interface PageData {
  texts: string[];
  rules: Array<{
    source: string;
    /** [severity, code, line, column, message, suggestion] */
    findings: Array<[Severity, string, number, number, string, string]>;
    secrets: string[];
    scopes: string[];
    dependencies: string[];
    /** Index into texts of the unified diff rule → Action, or -1. */
    diff: number;
    /** Index into texts of the rule when there is no Action, or -1. */
    rule: number;
  }>;
}

function pageData(report: AuditReport): PageData {
  const texts: string[] = [];
  const ids = new Map<string, number>();
  const intern = (text: string) => {
    let id = ids.get(text);
    if (id === undefined) ids.set(text, (id = texts.push(text) - 1));
    return id;
  };
  const rules = report.tenants.flatMap((t) =>
    t.rules.map((r) => {
      const changed = r.before !== '' && r.after !== '' && r.before !== r.after;
      return {
        source: r.source,
        findings: r.findings.map((f): [Severity, string, number, number, string, string] => [f.severity, f.code, f.line, f.column, f.message, f.suggestion ?? '']),
        secrets: r.secrets,
        scopes: r.scopes,
        dependencies: r.dependencies,
        diff: changed ? intern(unifiedDiff(r.source, r.before, r.after)) : -1,
        rule: !changed && r.before ? intern(r.before) : -1,
      };
    }),
  );
  return { texts, rules };
}

// The page's behaviour: sorting, filters, search, expanding rows (details drawn on first open).
const SCRIPT = `(function () {
  'use strict';
  var data = null;
  function load() {
    if (data) return Promise.resolve(data);
    var b64 = document.getElementById('r2a-data').textContent.trim();
    var bin = atob(b64), bytes = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    var stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip'));
    return new Response(stream).text().then(function (text) { data = JSON.parse(text); return data; });
  }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function chips(title, items, into) {
    if (!items.length) return;
    var p = el('p', null, title + ': ');
    var s = el('span', 'chips');
    items.forEach(function (i) { s.appendChild(el('span', null, i)); });
    p.appendChild(s);
    into.appendChild(p);
  }
  function draw(row, cell) {
    return load().then(function (d) {
      var r = d.rules[Number(row.dataset.i)];
      cell.textContent = '';
      var src = el('p', 'muted'); src.appendChild(el('code', null, r.source)); cell.appendChild(src);
      chips('Secrets', r.secrets, cell); chips('Scopes', r.scopes, cell); chips('Dependencies', r.dependencies, cell);
      if (r.findings.length) {
        var ol = el('ol', 'findings');
        r.findings.forEach(function (f) {
          var li = el('li', 'finding');
          li.dataset.code = f[1];
          li.appendChild(el('span', 'sev-' + f[0], f[0])); li.appendChild(document.createTextNode(' '));
          li.appendChild(el('code', null, f[1])); li.appendChild(document.createTextNode(' '));
          li.appendChild(el('span', 'muted', f[2] + ':' + f[3])); li.appendChild(document.createTextNode(' ' + f[4]));
          if (f[5]) li.appendChild(el('span', 'suggestion', ' Suggestion: ' + f[5]));
          ol.appendChild(li);
        });
        cell.appendChild(ol);
      } else cell.appendChild(el('p', 'muted', 'No findings.'));
      var view = el('div', 'diff-view');
      if (r.diff >= 0 && window.Diff2Html) {
        // diff2html escapes every line it prints.
        view.innerHTML = window.Diff2Html.html(d.texts[r.diff], { outputFormat: 'side-by-side', drawFileList: false, matching: 'lines' });
      } else if (r.rule >= 0) {
        view.appendChild(el('p', 'muted', 'No Action was produced; the rule as it is:'));
        view.appendChild(el('pre', null, d.texts[r.rule]));
      } else view.appendChild(el('p', 'muted', 'No source to show.'));
      cell.appendChild(view);
      row.dataset.drawn = '1';
    });
  }
  function setOpen(row, open) {
    var details = row.nextElementSibling, button = row.querySelector('button.toggle');
    button.setAttribute('aria-expanded', String(open));
    button.textContent = open ? '▾' : '▸';
    details.hidden = !open || row.hidden;
    if (open && !row.dataset.drawn) {
      var cell = details.firstElementChild;
      cell.textContent = 'Loading…';
      return draw(row, cell);
    }
    return Promise.resolve();
  }
  var ruleRows = Array.prototype.slice.call(document.querySelectorAll('tr.rule'));
  var controls = { search: 'filter-search', tenant: 'filter-tenant', status: 'filter-status', linking: 'filter-linking', code: 'filter-code' };
  function value(id) { return document.getElementById(id).value; }
  function applyFilters() {
    var q = value(controls.search).trim().toLowerCase(), tenant = value(controls.tenant), status = value(controls.status);
    var linking = value(controls.linking), code = value(controls.code), shown = 0;
    ruleRows.forEach(function (row) {
      var ok = (!q || row.dataset.search.indexOf(q) >= 0) && (!tenant || row.dataset.tenant === tenant) &&
        (!status || row.dataset.status === status) && (!linking || row.dataset.linking === linking) &&
        (!code || (' ' + row.dataset.codes + ' ').indexOf(' ' + code + ' ') >= 0);
      row.hidden = !ok;
      row.nextElementSibling.hidden = !ok || row.querySelector('button.toggle').getAttribute('aria-expanded') !== 'true';
      if (ok) shown++;
    });
    document.getElementById('shown').textContent = shown + ' of ' + ruleRows.length + ' rules';
  }
  Object.keys(controls).forEach(function (k) {
    var c = document.getElementById(controls[k]);
    c.addEventListener(c.tagName === 'INPUT' ? 'input' : 'change', applyFilters);
  });
  document.getElementById('rule-table').addEventListener('click', function (e) {
    var row = e.target.closest('tr.rule');
    if (!row || e.target.closest('a')) return;
    setOpen(row, row.querySelector('button.toggle').getAttribute('aria-expanded') !== 'true');
  });
  function all(open) {
    window.__r2aPending = Promise.all(ruleRows.filter(function (r) { return !r.hidden; }).map(function (r) { return setOpen(r, open); }));
  }
  document.getElementById('expand-all').addEventListener('click', function () { all(true); });
  document.getElementById('collapse-all').addEventListener('click', function () { all(false); });
  Array.prototype.forEach.call(document.querySelectorAll('[data-filter-tenant]'), function (a) {
    a.addEventListener('click', function () { document.getElementById(controls.tenant).value = a.dataset.filterTenant; applyFilters(); });
  });
  // Sorting: a click on a header sorts its table's rows (a rule keeps its details row).
  Array.prototype.forEach.call(document.querySelectorAll('table.sortable th[data-key]'), function (th) {
    th.addEventListener('click', function () {
      var table = th.closest('table'), key = th.dataset.key, numeric = th.dataset.type === 'num';
      var dir = th.getAttribute('aria-sort') === 'ascending' ? -1 : 1;
      Array.prototype.forEach.call(table.querySelectorAll('th[data-key]'), function (h) { h.removeAttribute('aria-sort'); });
      th.setAttribute('aria-sort', dir === 1 ? 'ascending' : 'descending');
      var body = table.tBodies[0];
      var rows = Array.prototype.slice.call(body.rows).filter(function (r) { return !r.classList.contains('details'); });
      function cellValue(r) {
        var c = r.querySelector('td[data-key="' + key + '"]');
        var v = c ? (c.dataset.value !== undefined ? c.dataset.value : c.textContent) : '';
        if (!numeric) return v.toLowerCase();
        return v === '' ? Infinity : Number(v);
      }
      rows.map(function (r, i) { return { r: r, v: cellValue(r), i: i }; })
        .sort(function (a, b) { return (a.v < b.v ? -1 : a.v > b.v ? 1 : a.i - b.i) * dir; })
        .forEach(function (x) {
          var details = x.r.classList.contains('rule') ? x.r.nextElementSibling : null;
          body.appendChild(x.r);
          if (details) body.appendChild(details);
        });
    });
  });
  applyFilters();
})();`;

const sha256 = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;

export function formatAuditHtml(report: AuditReport): string {
  const o = report.overall;
  const { js: diffJs, css: diffCss } = diff2htmlAssets();
  const data = gzipSync(JSON.stringify(pageData(report)), { level: 9 }).toString('base64');
  const date = report.generatedAt ? new Date(report.generatedAt) : null;
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">',
    // No network: only the two inline scripts below may run, nothing may load from elsewhere.
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:; script-src ${sha256(diffJs)} ${sha256(SCRIPT)}">`,
    `<title>Rules → Actions audit</title><style>${CSS}</style><style>${diffCss}</style></head><body>`,
    '<h1>Rules → Actions audit</h1>',
    `<p class="muted" id="generated">${escapeHtml(report.tool.name)} ${escapeHtml(report.tool.version)}` +
      (date ? ` · <time datetime="${escapeHtml(date.toISOString())}">${escapeHtml(date.toISOString().slice(0, 16).replace('T', ' '))} UTC</time>` : '') +
      '</p>',
    '<section id="portfolio"><h2>Portfolio</h2>',
    `<p class="overall">${plural(o.tenants, 'tenant')}, ${plural(o.rules, 'rule')} (${o.linking} account linking): ${o.migrated} migrated, ${needReview(o.review)}, ${o.failed} failed. ` +
      `Findings: ${plural(o.findings.error, 'error')}, ${plural(o.findings.warning, 'warning')}, ${o.findings.info} info. Estimated effort: ${o.effortHours.toFixed(2)} h.</p>`,
    `<div class="charts">${codeChart(report)}${effortChart(report)}</div>`,
    tenantTable(report),
    '</section>',
    rulesSection(report),
    secretsSection(report),
    '<p class="muted">Effort in hours; the formula is in the README ("Effort estimate").</p>',
    `<script type="application/octet-stream" id="r2a-data">${data}</script>`,
    `<script>${diffJs}</script>`,
    `<script>${SCRIPT}</script>`,
    '</body></html>',
    '',
  ].join('\n');
}
