import type { AuditReport } from './audit-model.js';

/** The audit as JSON: everything but the rule and Action text (the HTML report shows those). */
export function formatAuditJson(report: AuditReport): string {
  return JSON.stringify(report, (key, value) => (key === 'before' || key === 'after' ? undefined : value), 2) + '\n';
}
