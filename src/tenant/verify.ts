// A tenant's rules in order against its Actions in order, over the same scenarios: what the pipeline as a
// whole did (claims, deny, metadata, MFA, redirect) must be the same. Rules share `global` and the same
// user/context objects, as in the Rules runtime; Actions share the login's transaction metadata. No
// Management API here (src/verify's emulator covers one pair at a time): the rules must not call it.
import vm from 'node:vm';
import { runAction, type ActionRun } from '../verify/action-runner.js';
import { compareOutcomes, type Comparison } from '../verify/compare.js';
import { currentUser, postLoginEvent, requestedScopes, rulesContext } from '../verify/login.js';
import type { RequireFunction } from '../verify/modules.js';
import { actionOutcome, ruleOutcome, type Observed } from '../verify/outcome.js';
import { captureConsole, runRule, type RuleRun } from '../verify/rule-runner.js';
import { validateScenario } from '../verify/scenarios.js';
import type { JsonObject, Scenario } from '../verify/types.js';

export interface PipelineInput {
  /** The rules' sources, in execution order. */
  rules: string[];
  /** Each rule's Action, in the same order; null where a rule became no Action (a library rule). */
  actions: Array<string | null>;
  scenarios: Scenario[];
  require: RequireFunction;
  /** Actions Modules the Actions require as `actions:<name>` (--module), by name: their code. */
  modules?: Record<string, string>;
  timeoutMs?: number;
}

export interface PipelineVerdict extends Comparison {
  scenario: string;
  equal: boolean;
}

const RUNTIME = { baseUrl: 'https://verify.invalid/api/v2', accessToken: 'verify-token', domain: 'verify.invalid' };

export async function verifyPipeline(input: PipelineInput): Promise<PipelineVerdict[]> {
  const verdicts: PipelineVerdict[] = [];
  for (const [i, given] of input.scenarios.entries()) {
    const scenario = validateScenario(given, `scenario ${i}`);
    const timeoutMs = input.timeoutMs ?? 5000;
    const user = currentUser(scenario);
    const configuration = scenario.configuration ?? {};

    // Rules: one user, one context and one `global` for the whole pipeline; the first error ends it.
    const ruleUser = structuredClone(user);
    const context = rulesContext(scenario, ruleUser);
    const global: JsonObject = {};
    let rules: RuleRun | null = null;
    for (const [index, source] of input.rules.entries()) {
      const run = await runRule({ source, filename: `rule-${index + 1}.js`, user: ruleUser, context, configuration, runtime: RUNTIME, require: input.require, timeoutMs, global });
      rules = rules ? { ...run, metadataCalls: [...rules.metadataCalls, ...run.metadataCalls], logs: [...rules.logs, ...run.logs] } : run;
      if (run.ending !== 'callback' || run.error) break;
    }

    // Actions: one event; what one Action puts in the transaction metadata the next one reads. An
    // Actions Module is loaded once per scenario, like a fresh instance.
    const require = withModules(input.require, input.modules ?? {});
    const event = postLoginEvent(scenario, structuredClone(user), { ...configuration });
    const metadata = (event.transaction as JsonObject).metadata as JsonObject;
    let actions: ActionRun = { ending: 'returned', apiCalls: [], logs: [] };
    for (const [index, source] of input.actions.entries()) {
      if (source === null) continue;
      const run = await runAction({ source, filename: `action-${index + 1}.js`, handler: 'onExecutePostLogin', event, require, timeoutMs });
      actions = { ...run, apiCalls: [...actions.apiCalls, ...run.apiCalls], logs: [...actions.logs, ...run.logs] };
      for (const call of run.apiCalls) {
        if (call.method === 'transaction.setMetadata') metadata[String(call.args[0])] = call.args[1] as never;
      }
      if (run.ending !== 'returned' || run.apiCalls.some((c) => c.method === 'access.deny')) break;
    }

    const seen: Observed = { calls: [], tokensIssued: 0, users: scenario.users, currentUserId: user.user_id, requestedScopes: requestedScopes(scenario), redirectCallback: false };
    const comparison = compareOutcomes(ruleOutcome(rules!, seen), actionOutcome(actions, seen), scenario);
    verdicts.push({ scenario: scenario.name, equal: comparison.differences.length === 0, ...comparison });
  }
  return verdicts;
}

/** `require('actions:<name>')` gives the module's exports; anything else goes to `base`. */
function withModules(base: RequireFunction, modules: Record<string, string>): RequireFunction {
  const loaded = new Map<string, unknown>();
  const logs: string[] = [];
  const require: RequireFunction = (specifier) => {
    const name = specifier.startsWith('actions:') ? specifier.slice('actions:'.length) : null;
    if (name === null || !Object.hasOwn(modules, name)) return base(specifier);
    if (!loaded.has(name)) {
      const module = { exports: {} as unknown };
      const filename = `action-modules/${name}/code.js`;
      vm.compileFunction(modules[name], ['exports', 'require', 'module', '__filename', '__dirname', 'console'], { filename })(module.exports, require, module, filename, '.', captureConsole(logs));
      loaded.set(name, module.exports);
    }
    return loaded.get(name);
  };
  return require;
}
