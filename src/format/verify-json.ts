import type { RuleVerification, VerifySummary } from './verify-model.js';

export interface VerifyReport {
  tool: { name: string; version: string };
  summary: VerifySummary;
  rules: RuleVerification[];
}

export function formatVerifyJson(report: VerifyReport): string {
  return JSON.stringify(report, null, 2) + '\n';
}
