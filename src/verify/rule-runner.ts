/**
 * Runs an original Rule the way the Rules runtime did: one function `(user, context, callback)` in a
 * fresh `vm` context with the runtime's globals (`auth0`, `configuration`, `global`,
 * `UnauthorizedError`, a versioned `require`), in its own run scope (run-scope.ts): errors are charged
 * to the run that raised them, and the run's result waits for the work the rule left running.
 */
import { setTimeout as realSetTimeout, clearTimeout as realClearTimeout } from 'node:timers';
import vm from 'node:vm';
import { RUNTIME_ORIGIN_HEADER } from './emulator.js';
import type { RequireFunction } from './modules.js';
import { closeScope, openScope, outsideScopes, runInScope, waitForScope } from './run-scope.js';
import type { JsonObject, TenantUser } from './types.js';

export interface RulesRuntime {
  baseUrl: string;
  accessToken: string;
  domain: string;
}

export interface RuleRunInput {
  source: string;
  filename?: string;
  user: TenantUser;
  context: JsonObject;
  configuration: Record<string, string>;
  runtime: RulesRuntime;
  require: RequireFunction;
  timeoutMs: number;
  /** Awaited after the rule's own pending work (run-scope.ts), before the result is final: e.g. the emulator's last requests. */
  settle?: () => Promise<void>;
  /** The runtime's `global`, shared by the rules of one pipeline (src/tenant/verify.ts); a fresh one by default. */
  global?: object;
}

export interface RuleError {
  message: string;
  name: string;
  unauthorized: boolean;
}

/** The parts of `context` a rule can change that matter after it calls back. */
export interface ContextSnapshot {
  idToken: JsonObject;
  accessToken: JsonObject;
  primaryUser?: unknown;
  multifactor?: unknown;
  redirect?: unknown;
  samlConfiguration: JsonObject;
}

export interface MetadataCall {
  kind: 'app_metadata' | 'user_metadata';
  userId: string;
  metadata: JsonObject;
}

export interface RuleRun {
  /** callback: the rule called back (with or without an error); threw: sync or async exception; timeout: never called back. */
  ending: 'callback' | 'threw' | 'timeout';
  error?: RuleError;
  /** user_id of the user object passed to the callback, when one was. */
  returnedUserId?: string;
  context: ContextSnapshot;
  metadataCalls: MetadataCall[];
  callbackCount: number;
  logs: string[];
}

/** Like the Rules runtime's: an Error whose name the runtime turned into `unauthorized`. */
class UnauthorizedError extends Error {
  readonly statusCode = 401;
  constructor(message?: string) {
    super(message);
    this.name = 'UnauthorizedError';
  }
}

export async function runRule(input: RuleRunInput): Promise<RuleRun> {
  const logs: string[] = [];
  const metadataCalls: MetadataCall[] = [];
  const module = { exports: {} as unknown };
  // The rule runs in this realm, as in the Rules runtime: the packages it requires check
  // `instanceof Function` / `instanceof Error` on what it passes them (auth0 v2 callbacks).
  // The runtime's globals are the compiled function's parameters, so nothing leaks between runs.
  const globals: Record<string, unknown> = {
    console: captureConsole(logs),
    require: input.require,
    module,
    exports: module.exports,
    configuration: { ...input.configuration },
    auth0: rulesAuth0(input.runtime, metadataCalls),
    global: input.global ?? {},
    UnauthorizedError,
    process: { env: {}, version: process.version, versions: process.versions, nextTick: process.nextTick },
    ...freeGlobals(input.require, input.source),
  };
  const started = performance.now();
  return new Promise<RuleRun>((resolve) => {
    let settled = false;
    let callbackCount = 0;
    const finish = (run: Omit<RuleRun, 'metadataCalls' | 'logs' | 'callbackCount' | 'context'>) => {
      if (settled) return;
      settled = true;
      realClearTimeout(timer);
      // The login result is what the first answer said, as in the Rules runtime ...
      const context = snapshot(input.context);
      // ... which let the rule's work go on: what it left running still reaches the tenant (a late
      // updateAppMetadata persisted), until nothing of it is pending or the run's time is up.
      void waitForScope(scope, started + input.timeoutMs)
        .then((stillRunning) => {
          if (stillRunning) logs.push(`[runtime] work still running after ${input.timeoutMs} ms was not waited for`);
          return outsideScopes(input.settle ?? (() => Promise.resolve()));
        })
        .catch(() => undefined)
        .then(() => {
          closeScope(scope);
          resolve({ ...run, context, metadataCalls: [...metadataCalls], callbackCount, logs: [...logs] });
        });
    };
    // Only errors raised by this run's own code reach here (run-scope.ts), however late they land.
    const scope = openScope('rule', (err: unknown) => {
      if (settled) logs.push(`[after callback] uncaught: ${describeError(err).message}`);
      else finish({ ending: 'threw', error: describeError(err) });
    });
    const timer = outsideScopes(() =>
      realSetTimeout(
        () => finish({ ending: 'timeout', error: { message: `callback not called within ${input.timeoutMs} ms`, name: 'Timeout', unauthorized: false } }),
        input.timeoutMs,
      ),
    );

    const callback = (err?: unknown, returnedUser?: unknown) => {
      callbackCount++;
      if (callbackCount > 1) {
        logs.push(`[runtime] callback called ${callbackCount} times`);
        return;
      }
      const returnedUserId =
        returnedUser && typeof returnedUser === 'object' && typeof (returnedUser as JsonObject).user_id === 'string'
          ? ((returnedUser as JsonObject).user_id as string)
          : undefined;
      if (err !== null && err !== undefined) finish({ ending: 'callback', error: describeError(err), returnedUserId });
      else finish({ ending: 'callback', returnedUserId });
    };

    runInScope(scope, () => {
      try {
        const rule = compileRule(input.source, globals, input.filename ?? 'rule.js');
        const returned: unknown = callWithTimeLimit(() => rule(input.user, input.context, callback), input.timeoutMs);
        if (returned && typeof (returned as Promise<unknown>).then === 'function') {
          (returned as Promise<unknown>).then(undefined, (err: unknown) => finish({ ending: 'threw', error: describeError(err) }));
        }
      } catch (err) {
        finish({ ending: 'threw', error: describeError(err) });
      }
    });
  });
}

/**
 * Packages old rules used without `require` (rules-to-actions.md §1): given when installed; a rule
 * using one that is not gets the same ReferenceError it would get anywhere else.
 */
const FREE_GLOBALS: Record<string, string> = { request: 'request', async: 'async', _: 'lodash', jwt: 'jsonwebtoken' };

/**
 * The free globals a rule's text names: only those are loaded (request and lodash cost about a tenth of
 * a second per verify child). A parameter the text never names cannot be reached, so leaving it out
 * changes nothing; a name in a comment or string only loads it for nothing.
 */
export function freeGlobalNames(source: string): string[] {
  // A direct eval or a unicode escape (`\u0072equest`) can name one the text does not spell out: all of them.
  if (/\\u|\beval\b/.test(source)) return Object.keys(FREE_GLOBALS);
  return Object.keys(FREE_GLOBALS).filter((name) => new RegExp(`(?<![\\w$])${name}(?![\\w$])`).test(source));
}

/** The packages behind the free globals a rule's text names. */
export function freeGlobalPackages(source: string): string[] {
  return freeGlobalNames(source).map((name) => FREE_GLOBALS[name]);
}

function freeGlobals(require: RequireFunction, source: string): Record<string, unknown> {
  const found: Record<string, unknown> = {};
  for (const name of freeGlobalNames(source)) {
    const specifier = FREE_GLOBALS[name];
    try {
      found[name] = require(specifier);
    } catch {
      // Not installed here.
    }
  }
  return found;
}

/** A rule file is one function expression (possibly `module.exports = …`, possibly with a trailing `;`). */
function compileRule(source: string, globals: Record<string, unknown>, filename: string): (...args: unknown[]) => unknown {
  const names = Object.keys(globals);
  const values = names.map((n) => globals[n]);
  const trimmed = source.replace(/^#!.*\n/, '').trim().replace(/;+\s*$/, '');
  let value: unknown;
  try {
    value = vm.compileFunction(`return (${trimmed}\n);`, names, { filename })(...values);
  } catch (err) {
    if ((err as Error)?.name !== 'SyntaxError') throw err;
    // A script: `module.exports = …`, or a top-level function declaration after a header
    // ('use strict', comments, helpers): the first declared function is the rule.
    const declared = /^(?:async[ \t]+)?function\s*\*?\s*([A-Za-z_$][\w$]*)\s*\(/m.exec(source)?.[1];
    const body = declared ? `${source}\n;return typeof ${declared} === 'function' ? ${declared} : undefined;` : source;
    const result: unknown = vm.compileFunction(body, names, { filename })(...values);
    const exported = (globals.module as { exports: unknown }).exports;
    value = typeof exported === 'function' ? exported : result;
  }
  if (typeof value !== 'function') throw new Error(`${filename}: the rule is not a function`);
  return value as (...args: unknown[]) => unknown;
}

/** The Rules `auth0` global: a restricted Management API handle whose documented helpers take a bare user id. */
function rulesAuth0(runtime: RulesRuntime, calls: MetadataCall[]): JsonObject {
  const update = (kind: MetadataCall['kind']) =>
    function (userId: string, metadata: JsonObject, cb?: (err: Error | null) => void): Promise<void> {
      calls.push({ kind, userId, metadata: JSON.parse(JSON.stringify(metadata ?? {})) as JsonObject });
      const done = fetch(`${runtime.baseUrl}/users/${encodeURIComponent(userId)}`, {
        method: 'PATCH',
        headers: {
          authorization: `Bearer ${runtime.accessToken}`,
          'content-type': 'application/json',
          [RUNTIME_ORIGIN_HEADER]: 'rules-runtime',
        },
        body: JSON.stringify({ [kind]: metadata }),
      }).then(async (res) => {
        if (!res.ok) throw new Error(`${res.status} ${await res.text()}`);
      });
      if (typeof cb === 'function') done.then(() => cb(null), (err: Error) => cb(err));
      return done;
    };
  return {
    baseUrl: runtime.baseUrl,
    accessToken: runtime.accessToken,
    domain: runtime.domain,
    users: { updateAppMetadata: update('app_metadata'), updateUserMetadata: update('user_metadata') },
  };
}

function snapshot(context: JsonObject): ContextSnapshot {
  const copy = (value: unknown): unknown => {
    try {
      return value === undefined ? undefined : JSON.parse(JSON.stringify(value));
    } catch {
      return String(value);
    }
  };
  return {
    idToken: (copy(context.idToken) as JsonObject) ?? {},
    accessToken: (copy(context.accessToken) as JsonObject) ?? {},
    primaryUser: copy(context.primaryUser),
    multifactor: copy(context.multifactor),
    redirect: copy(context.redirect),
    samlConfiguration: (copy(context.samlConfiguration) as JsonObject) ?? {},
  };
}

const CALL = Symbol.for('rules2actions.verify.call');

/** Calls `fn` through a timed script, so a synchronous endless loop in it throws instead of hanging the child. */
export function callWithTimeLimit<T>(fn: () => T, timeoutMs: number): T {
  const slot = globalThis as Record<symbol, unknown>;
  slot[CALL] = fn;
  try {
    return vm.runInThisContext(`globalThis[Symbol.for('rules2actions.verify.call')]()`, { timeout: timeoutMs }) as T;
  } finally {
    delete slot[CALL];
  }
}

/** Classify by shape, not `instanceof`: errors may come from any package's realm. */
export function describeError(err: unknown): RuleError {
  if (typeof err === 'string') return { message: err, name: 'String', unauthorized: false };
  if (err && typeof err === 'object') {
    const e = err as { message?: unknown; name?: unknown };
    const name = typeof e.name === 'string' ? e.name : 'Error';
    const message = typeof e.message === 'string' ? e.message : safeString(err);
    return { message, name, unauthorized: name === 'UnauthorizedError' };
  }
  return { message: safeString(err), name: typeof err, unauthorized: false };
}

function safeString(value: unknown): string {
  try {
    return typeof value === 'object' ? JSON.stringify(value) : String(value);
  } catch {
    return String(value);
  }
}

export function captureConsole(logs: string[]): Pick<Console, 'log' | 'info' | 'warn' | 'error' | 'debug'> {
  const write = (...args: unknown[]) => {
    logs.push(args.map((a) => (typeof a === 'string' ? a : safeString(a))).join(' '));
  };
  return { log: write, info: write, warn: write, error: write, debug: write };
}
