// The audit report in each --format; loaded only when `audit` runs (cli-table3 and the HTML page cost
// every start of the CLI ~15 ms when imported up front).
import pc from 'picocolors';
import { formatAuditCsv } from './audit-csv.js';
import { formatAuditHtml } from './audit-html.js';
import { formatAuditJson } from './audit-json.js';
import { formatAuditMarkdown } from './audit-markdown.js';
import type { AuditReport } from './audit-model.js';
import { formatAuditTable } from './audit-table.js';

export type AuditFormat = 'table' | 'json' | 'markdown' | 'csv' | 'html';

export function renderAudit(report: AuditReport, format: AuditFormat, colors = false): string {
  switch (format) {
    case 'json':
      return formatAuditJson(report);
    case 'markdown':
      return formatAuditMarkdown(report);
    case 'csv':
      return formatAuditCsv(report);
    case 'html':
      return formatAuditHtml(report);
    case 'table':
      return formatAuditTable(report, pc.createColors(colors));
  }
}
