// Shared pieces of the export readers: rule records, rules-configs keys, triggers, file reading.
import { InputLimitError, readInputText, type InputProblem } from '../cli/io.js';
import type { RuleInput } from '../run.js';
import { DataError } from './data.js';
import { LOGIN_STAGE, type TriggerBinding, type Triggers } from './types.js';

export type Json = Record<string, unknown>;

export const isRecord = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

/** A token in place of a value (`"enabled": @@ENABLED@@`) is only known at deploy time. */
const isToken = (value: string) => /^(?:@@[A-Za-z0-9_]+@@|##[A-Za-z0-9_]+##)$/.test(value);

/** id, order, enabled, stage of a rule record (sidecar, YAML entry, API item), with a0deploy's defaults. */
export function ruleFields(record: Json): Pick<RuleInput, 'id' | 'order' | 'enabled' | 'stage'> {
  const order =
    typeof record.order === 'number' ? record.order
    : typeof record.order === 'string' && /^-?\d+(\.\d+)?$/.test(record.order) ? Number(record.order)
    : undefined;
  return {
    ...(typeof record.id === 'string' && /^rul_\w+$/.test(record.id) ? { id: record.id } : {}),
    ...(order !== undefined ? { order } : {}),
    // Disabled rules are exported too; a token for `enabled` is treated as enabled.
    enabled: record.enabled !== false && record.enabled !== 'false',
    stage: typeof record.stage === 'string' && record.stage && !isToken(record.stage) ? record.stage : LOGIN_STAGE,
  };
}

/** rules-configs keys from `[{key, value}]` or a single `{key, value}`; values are dropped here. */
export function configKeys(value: unknown): string[] {
  const items = Array.isArray(value) ? value : [value];
  return items.flatMap((item) => (isRecord(item) && typeof item.key === 'string' && item.key ? [item.key] : []));
}

/** `{trigger: [{action_name, display_name}]}`, keeping only well-formed entries. */
export function triggerMap(value: unknown): Triggers | undefined {
  if (!isRecord(value)) return undefined;
  const triggers: Triggers = {};
  for (const [trigger, list] of Object.entries(value)) {
    if (!Array.isArray(list)) continue;
    triggers[trigger] = list.flatMap((b): TriggerBinding[] =>
      isRecord(b) && typeof b.action_name === 'string'
        ? [{ action_name: b.action_name, display_name: typeof b.display_name === 'string' ? b.display_name : b.action_name }]
        : [],
    );
  }
  return triggers;
}

/** Too large, binary and special files are skipped (InputLimitError): see readInputText. */
export async function readText(file: string): Promise<string> {
  return readInputText(file);
}

export function problemFrom(source: string, error: unknown): InputProblem {
  if (error instanceof InputLimitError) return { source: error.file, message: error.message, code: error.code };
  if (error instanceof DataError) return { source: error.file, message: error.message, line: error.line, column: error.column };
  const code = (error as NodeJS.ErrnoException)?.code;
  return { source, message: `Cannot read ${source}: ${code ?? (error instanceof Error ? error.message : String(error))}` };
}

export const uniqueKeys = (keys: string[]) => [...new Set(keys)].sort();
