// Markdown tables are joined by hand on purpose: a row is cells between pipes, escaping (below) is the only
// hard part, and a table library would only add a dependency.
import { needReview, plural } from './plural.js';
import type { ReportSource } from './report-json.js';

const escape = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** The migration report as Markdown: a summary, then per rule what to set up and what to review. */
export function formatMarkdown(report: ReportSource): string {
  return [...markdownChunks(report)].join('');
}

/** formatMarkdown one rule at a time. */
export function* markdownChunks(report: ReportSource): Generator<string> {
  let first = true;
  for (const line of markdownLines(report)) {
    yield first ? line : `\n${line}`;
    first = false;
  }
}

function* markdownLines(report: ReportSource): Generator<string> {
  const { summary } = report;
  yield* [
    '# Rules → Actions migration report',
    '',
    `${plural(summary.rules, 'rule')}: ${summary.migrated} migrated, ${needReview(summary.review)}, ${summary.failed} failed ` +
      `(${plural(summary.errors, 'error')}, ${plural(summary.warnings, 'warning')}).`,
    '',
    ...(report.notes ?? []).flatMap((note) => [`> ${escape(note)}`, '']),
  ];
  for (const rule of report.rules) {
    const out: string[] = [];
    out.push(`## ${rule.name} — ${rule.status}`, '', `Source: \`${rule.source}\``);
    if (rule.action) out.push(`Action: \`${rule.action.file}\``);
    if (rule.deploy?.heldBack) out.push(`Held back (not deployed, not bound): ${escape(rule.deploy.heldBack)}`);
    if (rule.linking) out.push('Account linking: yes');
    if (rule.secrets.length) out.push(`Secrets to create: ${rule.secrets.map((s) => `\`${s}\``).join(', ')}`);
    if (rule.dependencies.length) {
      out.push(`Dependencies: ${rule.dependencies.map((d) => `\`${d.name}@${d.version || '(no version: pin it with --pins)'}\``).join(', ')}`);
    }
    if (rule.scopes.length) out.push(`Management API scopes: ${rule.scopes.map((s) => `\`${s}\``).join(', ')}`);
    out.push('');
    if (rule.findings.length) {
      out.push('| line | severity | code | message |', '| --- | --- | --- | --- |');
      for (const f of rule.findings) out.push(`| ${f.line}:${f.column} | ${f.severity} | ${f.code} | ${escape(f.message)} |`);
      out.push('');
    }
    yield* out;
  }
}
