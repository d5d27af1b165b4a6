import type { RuleReport, Summary } from '../run.js';

export interface MigrationReport {
  tool: { name: string; version: string };
  summary: Summary;
  rules: RuleReport[];
  /** What to do before importing: bindings not written and how to add them (src/emit/plan.ts). */
  notes?: string[];
}

export function buildReport(version: string, summary: Summary, rules: RuleReport[], notes: string[] = []): MigrationReport {
  return { tool: { name: 'rules2actions', version }, summary, rules, ...(notes.length ? { notes } : {}) };
}

export function formatJson(report: MigrationReport): string {
  return JSON.stringify(report, null, 2) + '\n';
}
