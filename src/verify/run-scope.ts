/**
 * One scope per side of a scenario (a rule run, an Action run) in the verify child: everything the code
 * schedules inherits it through AsyncLocalStorage, so
 * - an uncaught error or unhandled rejection is charged to the run that caused it, not to whichever run
 *   happens to be listening when it lands (a rule's late rejection in scenario 1 must not fail scenario 2);
 * - the work a run left behind can be waited for: what would keep Node's event loop alive for it (a
 *   ref'd timer, immediate or socket, a DNS or connect request), the way the Rules runtime let a rule's
 *   work go on after its callback.
 */
import { AsyncLocalStorage, createHook } from 'node:async_hooks';
import { setTimeout as realSetTimeout } from 'node:timers';

export interface RunScope {
  readonly label: string;
  /** Called for an uncaught error or unhandled rejection raised inside this scope, while it is open. */
  onError(err: unknown): void;
  /** Closed scopes no longer receive errors (those go to the process's own handlers). */
  closed: boolean;
}

interface Tracked {
  scope: RunScope;
  type: string;
  resource: { hasRef?: () => boolean };
}

const storage = new AsyncLocalStorage<RunScope>();
const tracked = new Map<number, Tracked>();
/** Async resources without `hasRef` that are work in progress until destroyed. */
const REQUESTS = new Set(['GETADDRINFOREQWRAP', 'GETNAMEINFOREQWRAP', 'TCPCONNECTWRAP', 'PIPECONNECTWRAP', 'QUERYWRAP', 'TickObject']);
/** Resources whose `hasRef()` says whether they keep the event loop alive (a TLS socket's is its TCPWRAP's). */
const HANDLES = new Set(['Timeout', 'Immediate', 'TCPWRAP', 'PIPEWRAP', 'UDPWRAP']);

let installed = false;
let open = 0;

const route = (err: unknown) => {
  const scope = storage.getStore();
  if (scope && !scope.closed) scope.onError(err);
};

function install(): void {
  if (installed) return;
  installed = true;
  createHook({
    init(asyncId, type, _trigger, resource) {
      if (!HANDLES.has(type) && !REQUESTS.has(type)) return;
      const scope = storage.getStore();
      if (scope && !scope.closed) tracked.set(asyncId, { scope, type, resource: resource as Tracked['resource'] });
    },
    destroy(asyncId) {
      tracked.delete(asyncId);
    },
  }).enable();
}

/**
 * A new scope; the process listens for errors while any scope is open (Node runs these listeners in
 * the async context of the throwing callback / the rejected promise, so the store names the culprit).
 */
export function openScope(label: string, onError: (err: unknown) => void): RunScope {
  install();
  if (open++ === 0) {
    process.on('uncaughtException', route);
    process.on('unhandledRejection', route);
  }
  return { label, onError, closed: false };
}

export function runInScope<T>(scope: RunScope, fn: () => T): T {
  return storage.run(scope, fn);
}

/** Runs `fn` outside any scope: the harness's own timers and requests are nobody's pending work. */
export function outsideScopes<T>(fn: () => T): T {
  return storage.exit(fn);
}

/** How many of the scope's resources still keep the event loop alive. */
export function pendingWork(scope: RunScope): number {
  let count = 0;
  for (const entry of tracked.values()) {
    if (entry.scope !== scope) continue;
    if (!HANDLES.has(entry.type) || entry.resource.hasRef?.() === true) count++;
  }
  return count;
}

/**
 * Resolves once the scope has had no pending work on two polls in a row, or at `deadline`
 * (performance.now() time: the verify child freezes Date). Returns whether work was still pending.
 */
export function waitForScope(scope: RunScope, deadline: number, pollMs = 2): Promise<boolean> {
  return outsideScopes(
    () =>
      new Promise<boolean>((resolve) => {
        let quiet = 0;
        const poll = () => {
          quiet = pendingWork(scope) === 0 ? quiet + 1 : 0;
          if (quiet >= 2) return resolve(false);
          if (performance.now() >= deadline) return resolve(true);
          realSetTimeout(poll, pollMs);
        };
        poll();
      }),
  );
}

/** Forgets a closed scope's resources (what it left running is now nobody's). */
export function closeScope(scope: RunScope): void {
  if (scope.closed) return;
  scope.closed = true;
  if (--open === 0) {
    process.off('uncaughtException', route);
    process.off('unhandledRejection', route);
  }
  for (const [id, entry] of tracked) if (entry.scope === scope) tracked.delete(id);
}

