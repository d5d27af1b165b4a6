// Shared pieces of the export readers: rule records, rules-configs keys, triggers, file reading.
import { ConfinementError, describeMissing, EncodingError, InputLimitError, type InputProblem } from '../io/errors.js';
import { readInputFile, readInputText } from '../io/read.js';
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

/** Too large, binary and special files are skipped (InputLimitError): see readInputText. With `root`, the file must resolve inside it. */
export async function readText(file: string, root?: string): Promise<string> {
  return readInputText(file, root);
}

/** A rule script: its text, and its encoding when that is not UTF-8 (see RuleInput.encoding). */
export async function readScript(file: string, root?: string): Promise<{ script: string; encoding?: 'utf16le' | 'utf16be' }> {
  const { text, encoding } = await readInputFile(file, root);
  return encoding === 'utf8' ? { script: text } : { script: text, encoding };
}

/** 1-based line and column of the first occurrence of `needle` in `text` (where a path was written), else 1:1. */
export function locate(text: string, needle: string): { line: number; column: number } {
  const at = needle ? text.indexOf(needle) : -1;
  if (at < 0) return { line: 1, column: 1 };
  const before = text.slice(0, at);
  return { line: before.split('\n').length, column: at - (before.lastIndexOf('\n') + 1) + 1 };
}

export function problemFrom(source: string, error: unknown): InputProblem {
  if (error instanceof InputLimitError) return { source: error.file, message: error.message, code: error.code };
  if (error instanceof EncodingError) return { source: error.file, message: error.message, line: error.line, column: error.column, code: 'encoding' };
  if (error instanceof ConfinementError) return { source, message: error.message };
  if (error instanceof DataError) return { source: error.file, message: error.message, line: error.line, column: error.column };
  const code = (error as NodeJS.ErrnoException)?.code;
  // A broken link or a link loop is not "no such file".
  if (code === 'ENOENT' || code === 'ELOOP') return { source, message: describeMissing(source) };
  return { source, message: `Cannot read ${source}: ${code ?? (error instanceof Error ? error.message : String(error))}` };
}

export const uniqueKeys = (keys: string[]) => [...new Set(keys)].sort();
