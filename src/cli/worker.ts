// Worker-thread entry for the pool: the same pure runRule as the in-process path.
import { runRule, type RuleInput } from '../run.js';
import type { MigrateOptions } from '../types.js';
import type { RuleOutcome } from './pool.js';

export interface Batch {
  inputs: RuleInput[];
  options: MigrateOptions;
}

/** Each result goes back without its input: the main thread still holds it, no need to clone the script twice. */
export default function migrateBatch({ inputs, options }: Batch): RuleOutcome[] {
  return inputs.map((input) => {
    const { result, report } = runRule(input, options);
    return { result, report };
  });
}
