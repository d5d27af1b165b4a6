import type { RuleReport, Summary } from '../run.js';

export interface MigrationReport {
  tool: { name: string; version: string };
  summary: Summary;
  rules: RuleReport[];
  /** What to do before importing: bindings not written and how to add them (src/emit/plan.ts). */
  notes?: string[];
}

/** A report whose rules are read as it is formatted (a large run keeps them on disk: src/io/spool.ts). */
export type ReportSource = Omit<MigrationReport, 'rules'> & { rules: Iterable<RuleReport> };

export function buildReport(version: string, summary: Summary, rules: RuleReport[], notes?: string[]): MigrationReport;
export function buildReport(version: string, summary: Summary, rules: Iterable<RuleReport>, notes?: string[]): ReportSource;
export function buildReport(version: string, summary: Summary, rules: Iterable<RuleReport>, notes: string[] = []): ReportSource {
  return { tool: { name: 'rules2actions', version }, summary, rules, ...(notes.length ? { notes } : {}) };
}

export function formatJson(report: ReportSource): string {
  return [...jsonChunks(report)].join('');
}

/** JSON.stringify(report, null, 2) + '\n', one rule at a time. */
export function* jsonChunks(report: ReportSource): Generator<string> {
  const marker = '\n  "rules": []';
  const frame = JSON.stringify({ ...report, rules: [] }, null, 2);
  const at = frame.indexOf(marker) + marker.length - 1;
  yield frame.slice(0, at);
  let first = true;
  for (const rule of report.rules) {
    // Nested two levels deep, as in the whole report: stringified inside two arrays, whose brackets are cut
    // off ('[\n  [\n    ' and '\n  ]\n]'), rather than a second pass over 28 MB at 10k rules to indent it.
    yield (first ? '\n    ' : ',\n    ') + JSON.stringify([[rule]], null, 2).slice(10, -6);
    first = false;
  }
  yield (first ? '' : '\n  ') + frame.slice(at) + '\n';
}
