import type { InputProblem } from '../io/errors.js';
import type { RuleInput } from '../run.js';

/** Where a tenant's rules came from; the default output format follows it. */
export type TenantFormat = 'plain' | 'directory' | 'yaml' | 'api' | 'live';

/** One ordered post-login (or other trigger) binding, as in triggers.json. */
export interface TriggerBinding {
  action_name: string;
  display_name: string;
}

export type Triggers = Record<string, TriggerBinding[]>;

/** One export: its rules, its rules-configs keys (never values) and its format. */
export interface Tenant {
  /** Short name: the export folder, the dump file's stem, the live domain. Used for output subfolders. */
  name: string;
  /** The path (or https://domain) as given. */
  source: string;
  format: TenantFormat;
  rules: RuleInput[];
  /** rules-configs keys: what `configuration.X` can name. */
  configKeys: string[];
  /** Bindings already in the export (triggers.json or `triggers:`), kept when writing new ones. */
  triggers?: Triggers;
  /** Files that could not be read: each becomes a failed entry in the report. */
  problems: InputProblem[];
  /** Things worth saying that are not a rule's problem (printed on stderr). */
  notes: string[];
}

export const LOGIN_STAGE = 'login_success';
