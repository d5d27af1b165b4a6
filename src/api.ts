// The library's front door: argument checks with clear messages, then the pure pipeline.
import { migrate as runPipeline } from './migrate.js';
import type { MigrateOptions, MigrationResult } from './types.js';
import { transforms } from '../transforms/index.js';

// Every option, so a new one is a compile error here until it is checked.
const OPTION_TYPES: Record<keyof MigrateOptions, string> = {
  filename: 'string',
  pins: 'an object of package name → version',
  sdk: '4 or 7',
  transforms: 'array of transform ids',
  ruleId: 'string',
  guard: 'boolean',
  diff: 'boolean',
  tenant: 'an object (what migrateTenant passes; leave it out)',
  sharedModule: 'boolean',
};

const describeValue = (value: unknown) => (value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value === 'string' ? `the string ${JSON.stringify(value.slice(0, 40))}` : `${typeof value === 'object' ? 'an object' : String(value)}`);

/** Throws a TypeError naming the argument, what it should be and what it was. */
function check(source: unknown, options: unknown): asserts options is MigrateOptions | undefined {
  if (typeof source !== 'string') {
    throw new TypeError(`migrate(source, options): source must be the rule's JavaScript text (a string), not ${describeValue(source)}. Read the file first, e.g. fs.readFileSync(path, 'utf8').`);
  }
  if (options === undefined) return;
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new TypeError(`migrate(source, options): options must be an object (or left out), not ${describeValue(options)}.`);
  }
  for (const [key, value] of Object.entries(options)) {
    // Options this check does not know (added later) are left to the pipeline and to TypeScript.
    if (value === undefined || !(key in OPTION_TYPES)) continue;
    const ok =
      key === 'sdk' ? value === 4 || value === 7
      : key === 'transforms' ? Array.isArray(value) && value.every((id) => typeof id === 'string')
      : key === 'tenant' ? typeof value === 'object' && value !== null && !Array.isArray(value)
      : key === 'pins' ? typeof value === 'object' && value !== null && !Array.isArray(value) && Object.values(value).every((v) => typeof v === 'string')
      : typeof value === OPTION_TYPES[key as keyof MigrateOptions];
    if (!ok) throw new TypeError(`migrate(source, options): options.${key} must be ${OPTION_TYPES[key as keyof MigrateOptions]}, not ${describeValue(value)}.`);
  }
  const unknown = (options as MigrateOptions).transforms?.filter((id) => !transforms.some((t) => t.id === id)) ?? [];
  if (unknown.length) throw new TypeError(`migrate(source, options): unknown transform id(s) ${unknown.join(', ')}; listTransforms() gives the ids.`);
}

/**
 * Migrates one rule: its source text in, the Action text, findings, diff, status and what to set up
 * out. Never throws on a bad rule (a syntax error is an `error` finding); throws a TypeError on bad
 * arguments.
 */
export function migrate(source: string, options?: MigrateOptions): MigrationResult {
  check(source, options);
  return runPipeline(source, options);
}

export interface TransformInfo {
  /** kebab-case id, as in `options.transforms` and `Finding.transform`. */
  id: string;
  description: string;
  /** `review`: what it rewrites is flagged for a human. */
  safety: 'safe' | 'review';
  /** The finding codes it can report. */
  codes: string[];
}

/** The transforms in execution order. */
export function listTransforms(): TransformInfo[] {
  return transforms.map((t) => ({ id: t.id, description: t.description, safety: t.safety, codes: Object.keys(t.messages) }));
}
