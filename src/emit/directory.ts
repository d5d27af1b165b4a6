// auth0-deploy-cli directory layout: actions/<name>.json, actions/<name>/code.js, triggers/triggers.json.
import type { Triggers } from '../inputs/types.js';
import { actionCode, MODULE_FOLDER } from './module.js';
import { ACTION_RUNTIME, currentPostLogin, dependenciesOf, moduleRefs, POST_LOGIN, secretsOf, triggersToWrite, type ActionPlan, type TenantPlan } from './plan.js';

export const TRIGGERS_FILE = 'triggers/triggers.json';

const json = (value: unknown) => JSON.stringify(value, null, 2) + '\n';

/** `deployed` as written: plain rules leave deploying to the user unless the Action is held back. */
export const deployedField = (plan: TenantPlan, action: ActionPlan) =>
  plan.bindable ? { deployed: action.deployed } : action.heldBack ? { deployed: false } : {};

/**
 * Files to write, by path relative to the tenant's output folder. `outputTriggers`: the triggers
 * file already in the output folder (undefined when there is none).
 */
export function emitDirectory(plan: TenantPlan, outputTriggers: Triggers | undefined): Map<string, string> {
  const files = new Map<string, string>();
  for (const action of plan.actions) {
    files.set(`actions/${action.file}/code.js`, actionCode(action));
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
        ...deployedField(plan, action),
        ...moduleRefs(action),
      }),
    );
  }
  for (const { name, code, dependencies, broken } of plan.modules) {
    files.set(`${MODULE_FOLDER}/${name}/code.js`, code);
    // all_changes_published: a0deploy publishes it on import (version 1 the first time); a broken one stays a draft.
    files.set(`${MODULE_FOLDER}/${name}.json`, json({ name, code: `./${MODULE_FOLDER}/${name}/code.js`, dependencies, secrets: [], all_changes_published: !broken }));
  }
  const triggers = triggersToWrite(plan, outputTriggers, currentPostLogin(outputTriggers, plan.tenant));
  if (triggers) files.set(TRIGGERS_FILE, json(triggers));
  return files;
}
