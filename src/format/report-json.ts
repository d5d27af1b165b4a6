import type { RuleReport, Summary } from '../run.js';

export interface MigrationReport {
  tool: { name: string; version: string };
  summary: Summary;
  rules: RuleReport[];
}

export function buildReport(version: string, summary: Summary, rules: RuleReport[]): MigrationReport {
  return { tool: { name: 'rules2actions', version }, summary, rules };
}

export function formatJson(report: MigrationReport): string {
  return JSON.stringify(report, null, 2) + '\n';
}
