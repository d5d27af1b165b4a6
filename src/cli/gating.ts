// When a run's findings make the exit code 1, as ESLint decides it: --fail-on, --max-warnings, --quiet.
import { InvalidArgumentError, Option } from 'commander';
import type { RuleReport, Summary } from '../run.js';

export const FAIL_ON = ['error', 'warning', 'never'] as const;
export type FailOn = (typeof FAIL_ON)[number];

export interface GatingFlags {
  failOn?: FailOn;
  maxWarnings?: number;
  quiet?: boolean;
}

export function gatingOptions(): Option[] {
  return [
    new Option('--fail-on <level>', 'exit 1 when a finding is at or above this level: error (a failed rule counts), warning (any rule to review), never').choices(FAIL_ON),
    new Option('--max-warnings <n>', 'exit 1 when there are more than n warning findings').argParser(parseCount),
    new Option('-q, --quiet', 'report errors only: warning and info findings are neither shown nor counted'),
  ];
}

function parseCount(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('a whole number (0 or more) is expected.');
  return Number(value);
}

/** Findings as printed and counted: --quiet keeps errors only. */
export function visibleReport(report: RuleReport, flags: GatingFlags): RuleReport {
  return flags.quiet ? { ...report, findings: report.findings.filter((f) => f.severity === 'error') } : report;
}

/** The summary as printed: --quiet counts no warning. */
export function visibleSummary(summary: Summary, flags: GatingFlags): Summary {
  return flags.quiet ? { ...summary, warnings: 0 } : summary;
}

/**
 * 0 or 1 for the findings (usage and read errors are decided elsewhere), from the run's summary. Without
 * a gating flag the default depends on the run: a dry run fails only for a failed rule (a rule that needs
 * review is an answer), a run that writes or verifies (`strict`) also for a rule to review (as --fail-on warning).
 */
export function gateExit(summary: Summary, flags: GatingFlags, strict: boolean): 0 | 1 {
  const gated = flags.failOn !== undefined || flags.maxWarnings !== undefined;
  const failed = summary.failed > 0;
  const review = summary.review > 0;
  const warnings = visibleSummary(summary, flags).warnings;
  if (!gated) {
    if (!strict) return failed ? 1 : 0;
    return failed || review ? 1 : 0;
  }
  const level: FailOn = flags.failOn ?? 'error';
  if (flags.maxWarnings !== undefined && warnings > flags.maxWarnings) return 1;
  if (level === 'never') return 0;
  if (failed || summary.errors > 0) return 1;
  if (level === 'warning' && (warnings > 0 || (!flags.quiet && review))) return 1;
  return 0;
}
