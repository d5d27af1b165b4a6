// `--module`: code every Action would carry a copy of becomes one Actions Module, published once and
// required by each Action as `actions:<name>` (auth0-deploy-cli `actionModules`, Terraform
// `auth0_action_module`). Two modules, kept apart: the Management API client helper that
// account-linking Actions carry (the client-credentials token cached in api.cache,
// transforms/account-linking/emit.ts), the same for every tenant; and the tenant's own helpers that a
// library rule put on `global` (src/tenant/module.ts), which change with the tenant's code and have
// their own dependencies. A broken tenant helper then holds back only the Actions that call it.
import { checkSyntax } from '../parse.js';
import { isConcreteVersion } from '../pins.js';
import { TENANT_MODULE_NAME } from '../tenant/module.js';
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
  /** Terraform resource name. */
  resource: string;
  /** Why the module cannot be published (its dependants are held back); null when it can. */
  broken: string | null;
}

export interface ModuleUse {
  /** The Action's code with the helpers replaced by the modules' requires. */
  code: string;
  /** Dependencies the Action no longer needs (the module has them). */
  dropped: string[];
  /** The modules it requires. */
  names: string[];
}

/** Records a module's use on the Action (an Action may require both modules). */
function useModule(action: ActionPlan, name: string, code: string, dropped: string[]) {
  const before = action.module ?? { code, dropped: [], names: [] };
  action.module = { code, dropped: [...before.dropped, ...dropped], names: [...before.names, name] };
}

/**
 * Takes the helper out of every Action that has it, word for word the same; returns the module, or
 * null when no Action has the helper. Sets `module` on the Actions that use it.
 */
export function extractModule(actions: ActionPlan[]): ModulePlan | null {
  let helper: string | null = null;
  let auth0: Dependency | undefined;
  for (const action of actions) {
    const code = actionCode(action);
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
    useModule(action, MODULE_NAME, rewritten, dropped);
  }
  if (!helper) return null;
  return {
    name: MODULE_NAME,
    code: `${AUTH0_REQUIRE}\n${helper}\nmodule.exports = { ${CLIENT_FACTORY}, managementApiToken };\n`,
    dependencies: auth0 ? [{ name: 'auth0', version: auth0.version }] : [],
    resource: 'management_api',
    broken: null,
  };
}

/**
 * The tenant's shared-helpers module, from what each Action gives it (MigrationResult.shared). A helper
 * is converted in each Action that calls it; the first Action's text is the module's, and an Action
 * whose text differs (its calls pass other values, so it converted differently) keeps its own copies,
 * with a finding. Null when no Action gives anything.
 */
export function extractTenantModule(actions: ActionPlan[]): ModulePlan | null {
  const helpers = new Map<string, string>();
  const declarations = new Map<string, string>();
  const failed: string[] = [];
  const dependencies = new Map<string, string>();
  let used = false;
  for (const action of actions) {
    const shared = action.run.result.shared;
    if (!shared) continue;
    const differs = [
      ...shared.helpers.filter((h) => helpers.has(h.name) && helpers.get(h.name) !== h.code).map((h) => h.name),
      ...shared.declarations.filter((d) => declarations.has(d.name) && declarations.get(d.name) !== d.code).map((d) => d.name),
    ];
    if (differs.length) {
      action.run.report.findings.push({
        code: 'module-helper-differs',
        transform: 'emit',
        severity: 'info',
        message: `${differs.map((name) => `\`${name}\``).join(', ')} converted differently in this Action than in ${TENANT_MODULE_NAME} (its calls pass other values): this Action keeps its own copies of the shared helpers.`,
        line: 1,
        column: 1,
      });
      continue;
    }
    for (const h of shared.helpers) {
      if (!helpers.has(h.name) && h.failed) failed.push(h.name);
      helpers.set(h.name, h.code);
    }
    for (const d of shared.declarations) {
      if (!declarations.has(d.name) && d.code.includes('TODO(rules2actions)')) failed.push(d.name);
      declarations.set(d.name, d.code);
    }
    for (const dep of action.run.result.needs.dependencies) if (!dependencies.has(dep.name) || !isConcreteVersion(dependencies.get(dep.name)!)) dependencies.set(dep.name, dep.version);
    useModule(action, TENANT_MODULE_NAME, shared.code, shared.dropped);
    used = true;
  }
  if (!used) return null;
  // Requires first, then the constants, then the helpers.
  // One statement may declare several names (`const { a, b } = require('x')`): written once.
  const ordered = [...new Set(declarations.values())].sort((a, b) => Number(!/= require\(/.test(a)) - Number(!/= require\(/.test(b)));
  const code = [...ordered, ...helpers.values()].join('\n\n');
  const required = [...code.matchAll(/\brequire\(\s*'((?:@[^/']+\/)?[^/@']+)/g)].map((m) => m[1]);
  const deps = [...new Set(required)].filter((name) => dependencies.has(name)).sort().map((name) => ({ name, version: dependencies.get(name)! }));
  const unpinned = deps.filter((d) => !isConcreteVersion(d.version)).map((d) => d.name);
  const problem = checkSyntax(code);
  const broken = problem ? `it does not parse (${problem.message} at ${problem.line}:${problem.column})` : failed.length
    ? `${failed.map((name) => `\`${name}\``).join(', ')} did not convert (TODO(rules2actions) in ${MODULE_FOLDER}/${TENANT_MODULE_NAME}/code.js)`
    : unpinned.length ? `no version for ${unpinned.join(', ')}` : null;
  return {
    name: TENANT_MODULE_NAME,
    code: `${code}\n\nmodule.exports = { ${[...helpers.keys()].join(', ')} };\n`,
    dependencies: deps.filter((d) => isConcreteVersion(d.version)),
    resource: 'tenant_helpers',
    broken,
  };
}

/** The code written for an Action: with the module's require when it uses the module. */
export const actionCode = (action: ActionPlan): string => action.module?.code ?? action.run.result.code;
