/**
 * The verify child process: started by index.ts with NODE_EXTRA_CA_CERTS pointing at the emulator's
 * certificate (Node reads it only at start-up), it hosts the emulator and runs one Rule/Action pair
 * over every scenario per message, and sends the Outcomes back over IPC.
 */
import { fileURLToPath } from 'node:url';
import { runAction } from './action-runner.js';
import { installFrozenClock, setNow } from './clock.js';
import { startEmulator, type Certificate } from './emulator.js';
import { actionSecrets, currentUser, isRedirectCallback, postLoginEvent, requestedScopes, rulesContext } from './login.js';
import { createModuleLoader } from './modules.js';
import { actionOutcome, ruleOutcome, type Observed } from './outcome.js';
import { runRule } from './rule-runner.js';
import { installTenantRedirect, setRedirectTarget } from './tenant-redirect.js';
import type { Outcome, Scenario, SdkMajor } from './types.js';

export interface ChildJob {
  rule: string;
  action: string;
  sdk: SdkMajor;
  scenarios: Scenario[];
  secrets: Record<string, string>;
  timeoutMs: number;
  certificate: Certificate;
  /** Where `require` looks for packages (the rules2actions install first). */
  resolveFrom: string[];
}

export interface ChildResult {
  scenario: string;
  rule: Outcome;
  action: Outcome;
}

export type ChildReply = { ok: true; results: ChildResult[] } | { ok: false; error: string };

export async function runJob(job: ChildJob): Promise<ChildResult[]> {
  const emulator = await startEmulator(job.certificate);
  setRedirectTarget('localhost', emulator.port);
  const ruleRequire = createModuleLoader({ resolveFrom: job.resolveFrom, aliases: { auth0: 'auth0-v2' } });
  const actionRequire = createModuleLoader({
    resolveFrom: job.resolveFrom,
    aliases: { auth0: job.sdk === 4 ? 'auth0-v4' : 'auth0-v7' },
  });
  const tenant = { domain: emulator.domain, clientId: emulator.clientId, clientSecret: emulator.clientSecret };
  const results: ChildResult[] = [];
  try {
    for (const scenario of job.scenarios) {
      const observe = (): Observed => ({
        calls: emulator.calls(),
        tokensIssued: emulator.tokensIssued(),
        users: scenario.users,
        currentUserId: scenario.currentUser,
        requestedScopes: requestedScopes(scenario),
        redirectCallback: isRedirectCallback(scenario),
      });
      const secrets = actionSecrets(scenario, tenant, job.secrets);

      setNow(scenario.login?.now);
      emulator.load(scenario);
      const ruleUser = currentUser(scenario);
      const ruleRun = await runRule({
        source: job.rule,
        user: ruleUser,
        context: rulesContext(scenario, ruleUser),
        configuration: actionSecrets(scenario, tenant),
        runtime: { baseUrl: emulator.baseUrl, accessToken: emulator.runtimeToken, domain: emulator.domain },
        require: ruleRequire,
        timeoutMs: job.timeoutMs,
        // Requests left running after the answer (fire-and-forget links) still reach the tenant.
        settle: () => emulator.idle(),
      });
      const rule = ruleOutcome(ruleRun, observe());

      emulator.load(scenario);
      const actionRun = await runAction({
        source: job.action,
        handler: isRedirectCallback(scenario) ? 'onContinuePostLogin' : 'onExecutePostLogin',
        event: postLoginEvent(scenario, currentUser(scenario), secrets),
        require: actionRequire,
        executedRules: scenario.login?.executedRules,
        timeoutMs: job.timeoutMs,
        settle: () => emulator.idle(),
      });
      results.push({ scenario: scenario.name, rule, action: actionOutcome(actionRun, observe()) });
    }
  } finally {
    await emulator.stop();
  }
  return results;
}

/**
 * SDK retry back-off (v7: 1 s then 2 s on 5xx; v4: from 0.5 s on 429) only costs wall-clock time: the
 * emulator still receives every retry. Timers set directly by those two files fire at once; nothing else changes.
 */
function skipSdkRetryBackoff(): void {
  const original = globalThis.setTimeout;
  const retryFrames = /[\\/]core[\\/]fetcher[\\/]requestWithRetries\.js|[\\/]dist[\\/]cjs[\\/]lib[\\/]retry\.js/;
  // Only the immediate caller counts: request timeouts are also set while a retry loop is on the stack.
  const caller = () => (new Error().stack ?? '').split('\n')[3] ?? '';
  const patched = (handler: (...args: unknown[]) => void, ms?: number, ...args: unknown[]) =>
    original(handler, (ms ?? 0) > 0 && retryFrames.test(caller()) ? 0 : ms, ...args);
  globalThis.setTimeout = Object.assign(patched, original) as typeof globalThis.setTimeout;
}

function main(): void {
  skipSdkRetryBackoff();
  installTenantRedirect();
  installFrozenClock();
  // A rule's fire-and-forget request may fail after the run that started it ended: keep the process alive.
  process.on('uncaughtException', (err) => process.stderr.write(`verify child: stray error: ${String(err)}\n`));
  process.on('unhandledRejection', (err) => process.stderr.write(`verify child: stray rejection: ${String(err)}\n`));
  // One pair per message, for as long as the parent keeps the channel open (pool.ts).
  process.on('message', (job: ChildJob) => {
    runJob(job).then(
      (results) => reply({ ok: true, results }),
      (err: unknown) => reply({ ok: false, error: err instanceof Error ? (err.stack ?? err.message) : String(err) }),
    );
  });
  // SDK keep-alive sockets and rule timers must not hold the process once the parent is gone.
  process.once('disconnect', () => process.exit(0));
}

function reply(message: ChildReply): void {
  process.send?.(message);
}

if (process.send && process.argv[1] === fileURLToPath(import.meta.url)) main();
