import pc from 'picocolors';
import type { TenantPlan } from '../emit/plan.js';
import type { RuleReport, Summary } from '../run.js';
import { needReview, plural } from './plural.js';

type Colors = ReturnType<typeof pc.createColors>;

const mark = { migrated: '✔', review: '!', failed: '✖' } as const;

export function colorDiff(diff: string, c: Colors): string {
  return diff
    .split('\n')
    .map((line) => {
      if (line.startsWith('+++') || line.startsWith('---')) return c.bold(line);
      if (line.startsWith('+')) return c.green(line);
      if (line.startsWith('-')) return c.red(line);
      if (line.startsWith('@@')) return c.cyan(line);
      return line;
    })
    .join('\n');
}

/** One rule: its diff (dry run), a status line, and its findings with file:line:column. */
/** A rule's lines: its diff (when asked for and given), status, findings and needs. */
export function formatRun(run: { report: RuleReport; diff?: string }, options: { diff: boolean; colors: Colors }): string {
  const c = options.colors;
  const { report, diff } = run;
  const out: string[] = [];
  if (options.diff && diff) out.push(colorDiff(diff, c).trimEnd());
  const color = report.status === 'migrated' ? c.green : report.status === 'review' ? c.yellow : c.red;
  out.push(`${color(`${mark[report.status]} ${report.status}`)} ${report.source}${report.linking ? c.dim(' (account linking)') : ''}`);
  for (const f of report.findings) {
    const sev = f.severity === 'error' ? c.red('error') : f.severity === 'warning' ? c.yellow('warning') : c.dim('info');
    out.push(`  ${report.source}:${f.line}:${f.column}  ${sev}  ${f.message}  ${c.dim(f.code)}`);
  }
  const needs = [
    report.secrets.length ? `secrets: ${report.secrets.join(', ')}` : '',
    report.dependencies.length ? `dependencies: ${report.dependencies.map((d) => `${d.name}@${d.version || '?'}`).join(', ')}` : '',
    report.scopes.length ? `scopes: ${report.scopes.join(' ')}` : '',
  ].filter(Boolean);
  if (needs.length) out.push(c.dim(`  needs ${needs.join('; ')}`));
  return out.join('\n') + '\n';
}

export function formatSummary(summary: Summary, c: Colors): string {
  return (
    `${c.bold(plural(summary.rules, 'rule'))}: ${c.green(`${summary.migrated} migrated`)}, ` +
    `${c.yellow(needReview(summary.review))}, ${c.red(`${summary.failed} failed`)}; ` +
    `${plural(summary.errors, 'error')}, ${plural(summary.warnings, 'warning')}\n`
  );
}

/** The summary lines for Actions held back (not deployed, not bound) and rules that gave none. */
export function heldBackSummary(plans: Array<Pick<TenantPlan, 'heldBack'> & { tenant: { name: string } }>): string[] {
  const held = plans.flatMap((p) => p.heldBack.map((h) => ({ ...h, tenant: plans.length > 1 ? `${p.tenant.name}: ` : '' })));
  if (held.length === 0) return [];
  return [
    `Held back (not deployed, not bound): ${held.length}`,
    ...held.map((h) => `  ${h.tenant}${h.name}: ${h.reason}`),
  ];
}
