/**
 * Runs an emitted Action (CommonJS text) the way the Actions runtime does: a fresh module instance,
 * the handler awaited with `event` and a recording `api`, in its own run scope (run-scope.ts), so an
 * error left behind by an earlier run is not charged to it.
 */
import { setTimeout as realSetTimeout, clearTimeout as realClearTimeout } from 'node:timers';
import vm from 'node:vm';
import type { RequireFunction } from './modules.js';
import { createPostLoginApi, type ApiCall } from './post-login-api.js';
import { closeScope, openScope, outsideScopes, runInScope, waitForScope } from './run-scope.js';
import { callWithTimeLimit, captureConsole, describeError, type RuleError } from './rule-runner.js';
import type { JsonObject } from './types.js';

export type ActionHandler = 'onExecutePostLogin' | 'onContinuePostLogin';

export interface ActionRunInput {
  source: string;
  filename?: string;
  handler: ActionHandler;
  event: JsonObject;
  require: RequireFunction;
  executedRules?: string[];
  timeoutMs: number;
  /** Awaited after the handler settles, before the result is final (see RuleRunInput.settle). */
  settle?: () => Promise<void>;
}

export interface ActionRun {
  /** returned: the handler resolved; threw: it threw or rejected; timeout: it never settled; missing: no such export. */
  ending: 'returned' | 'threw' | 'timeout' | 'missing';
  error?: RuleError;
  apiCalls: ApiCall[];
  logs: string[];
}

export async function runAction(input: ActionRunInput): Promise<ActionRun> {
  const logs: string[] = [];
  const { api, calls } = createPostLoginApi({ event: input.event, executedRules: input.executedRules });
  const filename = input.filename ?? 'action.js';
  const finishWith = (run: Omit<ActionRun, 'apiCalls' | 'logs'>): ActionRun => ({ ...run, apiCalls: calls, logs });

  let handler: unknown;
  try {
    const module = { exports: {} as JsonObject };
    // Main realm on purpose: the Actions runtime is plain Node, and SDK objects must not cross realms.
    const factory = vm.compileFunction(input.source, ['exports', 'require', 'module', '__filename', '__dirname', 'console'], {
      filename,
    });
    factory(module.exports, input.require, module, filename, '.', captureConsole(logs));
    handler = module.exports[input.handler];
  } catch (err) {
    return finishWith({ ending: 'threw', error: describeError(err) });
  }
  if (typeof handler !== 'function') {
    return finishWith({ ending: 'missing', error: { message: `the Action exports no ${input.handler}`, name: 'Missing', unauthorized: false } });
  }

  const started = performance.now();
  return new Promise<ActionRun>((resolve) => {
    let settled = false;
    const finish = (run: Omit<ActionRun, 'apiCalls' | 'logs'>) => {
      if (settled) return;
      settled = true;
      realClearTimeout(timer);
      // api calls after the handler settled do nothing in the Actions runtime.
      const answered = calls.length;
      // Requests the handler did not await (`.then(promise)`) land in this run, not in the next scenario's.
      void waitForScope(scope, started + input.timeoutMs)
        .then(() => outsideScopes(input.settle ?? (() => Promise.resolve())))
        .catch(() => undefined)
        .then(() => {
          closeScope(scope);
          resolve({ ...finishWith(run), apiCalls: calls.slice(0, answered) });
        });
    };
    // Only errors raised by the Action's own code reach here (run-scope.ts).
    const scope = openScope('action', (err: unknown) => finish({ ending: 'threw', error: describeError(err) }));
    const timer = outsideScopes(() =>
      realSetTimeout(
        () => finish({ ending: 'timeout', error: { message: `${input.handler} did not settle within ${input.timeoutMs} ms`, name: 'Timeout', unauthorized: false } }),
        input.timeoutMs,
      ),
    );
    runInScope(scope, () => {
      try {
        const call = () => (handler as (event: JsonObject, api: JsonObject) => unknown)(input.event, api);
        Promise.resolve(callWithTimeLimit(call, input.timeoutMs)).then(
          () => finish({ ending: 'returned' }),
          (err: unknown) => finish({ ending: 'threw', error: describeError(err) }),
        );
      } catch (err) {
        finish({ ending: 'threw', error: describeError(err) });
      }
    });
  });
}
