// `--module`: the Management API client helper that account-linking Actions carry (the client-credentials
// token cached in api.cache, transforms/account-linking/emit.ts) becomes one Actions Module, published
// once and required by each Action as `actions:<name>` (auth0-deploy-cli `actionModules`, Terraform
// `auth0_action_module`), instead of a copy in every Action.
import type { Dependency } from '../types.js';
import type { ActionPlan } from './plan.js';

export const MODULE_NAME = 'rules2actions-management-api';
export const MODULE_FOLDER = 'action-modules';
const CLIENT_FACTORY = 'managementClient';

/** The helper as the migration prints it: the client factory and the token function, up to its closing brace. */
const HELPER = /\/\*\* Management API client for the M2M application[^\n]*\nfunction managementClient\(event, api\) \{\n[\s\S]*?\n\}\n\n\/\*\*[^\n]*\nasync function managementApiToken\(api, domain, clientId, clientSecret\) \{\n[\s\S]*?\n\}\n/;
const AUTH0_REQUIRE = "const { ManagementClient } = require('auth0');\n";

export interface ModulePlan {
  name: string;
  code: string;
  dependencies: Dependency[];
}

export interface ModuleUse {
  /** The Action's code with the helper replaced by the module's require. */
  code: string;
  /** Dependencies the Action no longer needs (the module has them). */
  dropped: string[];
}

/**
 * Takes the helper out of every Action that has it, word for word the same; returns the module, or
 * null when no Action has the helper. Sets `module` on the Actions that use it.
 */
export function extractModule(actions: ActionPlan[]): ModulePlan | null {
  let helper: string | null = null;
  let auth0: Dependency | undefined;
  for (const action of actions) {
    const code = action.run.result.code;
    const match = HELPER.exec(code);
    if (!match) continue;
    helper ??= match[0];
    // A helper changed by hand stays in its Action.
    if (match[0] !== helper) continue;
    let rewritten = code.replace(match[0], `const { ${CLIENT_FACTORY} } = require('actions:${MODULE_NAME}');\n`);
    const dropped: string[] = [];
    // The SDK was required for the helper alone: it moves to the module.
    if (rewritten.includes(AUTH0_REQUIRE) && rewritten.split('ManagementClient').length === 2) {
      rewritten = rewritten.replace(AUTH0_REQUIRE, '');
      dropped.push('auth0');
    }
    auth0 ??= action.run.result.needs.dependencies.find((d) => d.name === 'auth0');
    action.module = { code: rewritten, dropped };
  }
  if (!helper) return null;
  return {
    name: MODULE_NAME,
    code: `${AUTH0_REQUIRE}\n${helper}\nmodule.exports = { ${CLIENT_FACTORY}, managementApiToken };\n`,
    dependencies: auth0 ? [{ name: 'auth0', version: auth0.version }] : [],
  };
}

/** The code written for an Action: with the module's require when it uses the module. */
export const actionCode = (action: ActionPlan): string => action.module?.code ?? action.run.result.code;
