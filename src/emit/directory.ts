// auth0-deploy-cli directory layout: actions/<name>.json, actions/<name>/code.js, triggers/triggers.json.
import type { Triggers } from '../inputs/types.js';
import { ACTION_RUNTIME, dependenciesOf, mergeTriggers, POST_LOGIN, secretsOf, type TenantPlan } from './plan.js';

export const TRIGGERS_FILE = 'triggers/triggers.json';

const json = (value: unknown) => JSON.stringify(value, null, 2) + '\n';

/**
 * Files to write, by path relative to the tenant's output folder. `existingTriggers`: the bindings
 * already in the output folder; null → those of the input export.
 */
export function emitDirectory(plan: TenantPlan, existingTriggers: Triggers | null): Map<string, string> {
  const files = new Map<string, string>();
  for (const action of plan.actions) {
    files.set(`actions/${action.file}/code.js`, action.run.result.code);
    files.set(
      `actions/${action.file}.json`,
      json({
        name: action.name,
        code: `./actions/${action.file}/code.js`,
        runtime: ACTION_RUNTIME,
        dependencies: dependenciesOf(action),
        // Names only: values are never read or written; set them before deploying.
        secrets: secretsOf(action).map((name) => ({ name, value: '' })),
        supported_triggers: [{ id: POST_LOGIN, version: 'v3' }],
        // Plain rules have no bindings: whether to deploy is the user's call.
        ...(plan.bindable ? { deployed: action.bound } : {}),
      }),
    );
  }
  if (plan.bindable) {
    files.set(TRIGGERS_FILE, json(mergeTriggers(existingTriggers ?? plan.tenant.triggers, plan)));
  }
  return files;
}
