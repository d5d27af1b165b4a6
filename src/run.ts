// One rule through the pipeline, as the report sees it. Shared by the CLI and the worker pool.
import { migrate } from './migrate.js';
import { ruleStatus, type RuleStatus } from './report.js';
import type { Dependency, Finding, MigrateOptions, MigrationResult } from './types.js';
import type { VerificationEntry } from './format/verify-model.js';
import type { RuleTenantView } from './tenant/types.js';

/** A rule as read from any input: a .js file, a deploy-cli export, an API dump. */
export interface RuleInput {
  /** The input path as given (for a dump: `<file>#<name>`). */
  source: string;
  name: string;
  script: string;
  id?: string;
  order?: number;
  enabled?: boolean;
  stage?: string;
  /** How the file was stored when not UTF-8: `--write` writes the Action back the same way. */
  encoding?: 'utf16le' | 'utf16be';
  /** What the tenant's other rules share with this one (attachTenantViews); plain data for the worker pool. */
  tenant?: RuleTenantView;
}

export interface RuleReport {
  source: string;
  name: string;
  status: RuleStatus;
  action: { name: string; file: string } | null;
  findings: Finding[];
  secrets: string[];
  dependencies: Dependency[];
  scopes: string[];
  linking: boolean;
  order?: number;
  enabled?: boolean;
  stage?: string;
  /** Set by `migrate --verify`. */
  verification?: VerificationEntry;
  /** Set when the Action is written: deployed and bound, or held back and why (src/emit/plan.ts). */
  deploy?: { deployed: boolean; bound: boolean; heldBack?: string };
}

export interface RuleRun {
  input: RuleInput;
  result: MigrationResult;
  report: RuleReport;
}

export function runRule(input: RuleInput, options: MigrateOptions): RuleRun {
  const result = migrate(input.script, { ...options, filename: input.source, ruleId: input.id ?? options.ruleId, ...(input.tenant ? { tenant: input.tenant } : {}) });
  const report: RuleReport = {
    source: input.source,
    name: input.name,
    status: ruleStatus(result),
    action: null,
    findings: result.findings,
    secrets: result.needs.secrets,
    dependencies: result.needs.dependencies,
    scopes: result.needs.scopes,
    linking: result.linking,
    ...(input.order !== undefined ? { order: input.order } : {}),
    ...(input.enabled !== undefined ? { enabled: input.enabled } : {}),
    ...(input.stage !== undefined ? { stage: input.stage } : {}),
  };
  return { input, result, report };
}

export interface Summary {
  rules: number;
  migrated: number;
  review: number;
  failed: number;
  errors: number;
  warnings: number;
}

export function summarize(reports: RuleReport[]): Summary {
  const summary: Summary = { rules: reports.length, migrated: 0, review: 0, failed: 0, errors: 0, warnings: 0 };
  for (const r of reports) {
    summary[r.status]++;
    for (const f of r.findings) {
      if (f.severity === 'error') summary.errors++;
      else if (f.severity === 'warning') summary.warnings++;
    }
  }
  return summary;
}
