// The flow model: "what runs after this call, and what happens when it fails?" One answer for every
// transform. A Continuation is an asynchronous call in statement position together with the code the
// rule ran when it finished (an error-first callback, or the handlers of a `.then`/`.catch` chain).
// `flattenFlows` rewrites each one it can into `await` with that code after it; where it cannot (the
// callback is called twice, the call sits in a loop, code after it would change order…) it leaves
// the rule's own callback or promise shape and says why, so the caller can keep the flow as it was.
import type { namedTypes as K } from 'ast-types';
import { b, n, type NodePath } from '../ast.js';
import { countReferences, declarationNames, patternNames } from './scope.js';
import type { Expression, Node, Statement } from '../types.js';
import { visit } from '../visit.js';
import { fastCheck, someNode, walk } from '../walk.js';

type Fn = K.FunctionExpression | K.ArrowFunctionExpression | K.FunctionDeclaration;

/** What the flattened code does when the awaited work fails: decided once per continuation, stated, tested. */
export type FailurePolicy =
  /** Error-first callback: the error stays a value that the rule's own code tests, as before. */
  | 'error-value'
  /** `.then(f).catch(g)`: one try/catch around the awaited value and `f` (the `.catch` saw both). */
  | 'catch-all'
  /** `.then(f, g)`: only the promise's own rejection reaches `g`. */
  | 'catch-rejection'
  /** No handler: the await throws and the Action fails (the rule never called back: that login failed too). */
  | 'unhandled'
  /**
   * Chosen by the caller, not by the shape (`flattenInfallible`): the work is replaced by one that cannot
   * fail where it runs (`api.user.set*Metadata` is batched), so the rule's error paths can never run and
   * go; the success path follows the call, with no await.
   */
  | 'cannot-fail'
  /**
   * Chosen by the caller (`flattenThrowing`): the work is replaced by one that throws on failure (a
   * ManagementClient call where the rule had `request`); the error branch the caller took out of the
   * callback becomes the catch of a try around the await, and the rest of the callback follows.
   */
  | 'throws';

/** The code the rule ran after the call, normalised from an inline function, a named one or the rule's callback. */
export interface Handler {
  params: Node[];
  body: Statement[];
  /** The declaration of a named handler (`function done(err) {…}` used once): removed once inlined. */
  declaration: NodePath | null;
  node: Node;
}

export type Continuation =
  | {
      kind: 'error-first';
      statement: NodePath;
      /** The call; its argument at `index` is the handler. */
      call: K.CallExpression;
      index: number;
      handler: Handler;
      failure: 'error-value';
    }
  | {
      kind: 'promise';
      statement: NodePath;
      promise: Expression;
      /** The `.then` handlers in order. */
      steps: Handler[];
      /** The `.catch` (or second `.then` argument) handler. */
      rejection: Handler | null;
      /** Where the rule attached the rejection handler: `catch` of `.catch(g)`, or `g` of `.then(f, g)`. */
      rejectionSite: Node | null;
      failure: Exclude<FailurePolicy, 'error-value' | 'cannot-fail' | 'throws'>;
    };

export interface FlowNames {
  /** The rule's callback parameter (a handler may be the callback itself: `.catch(callback)`). */
  callback?: string;
  user?: string;
  context?: string;
}

export interface FlowResult {
  /** Calls whose continuation now follows them after `await`. */
  flattened: Node[];
  /** Calls left in the rule's own shape, with the reason. */
  kept: Array<{ node: Node; why: string }>;
  /** Work the rule left running after calling back, now awaited before the handler returns. */
  awaited: Node[];
  /** Of those, the ones whose continuation called back again (calls dropped: the first call won). */
  lateCallbacks: Node[];
  /** Declarations of named handlers, inlined after their call and removed. */
  inlined: Node[];
  /** Calls of a tail helper that now return what it returns. */
  tailCalls: Node[];
}

const is = {
  Function: fastCheck(n.Function),
  Identifier: fastCheck(n.Identifier),
  ThisExpression: fastCheck(n.ThisExpression),
  CallExpression: fastCheck(n.CallExpression),
};

const LOOPS = new Set(['ForStatement', 'ForInStatement', 'ForOfStatement', 'WhileStatement', 'DoWhileStatement']);
/** Methods that take a function but call it synchronously, repeatedly or not once: never a continuation. */
const NOT_CONTINUATIONS = new Set([
  'forEach', 'map', 'filter', 'reduce', 'reduceRight', 'some', 'every', 'find', 'findIndex', 'findLast', 'flatMap', 'sort',
  'replace', 'replaceAll', 'on', 'once', 'addListener', 'prependListener', 'setTimeout', 'setInterval', 'setImmediate',
  'nextTick', 'then', 'catch', 'finally', 'each', 'eachSeries', 'eachLimit', 'forEachOf', 'mapSeries', 'times', 'whilst', 'until',
  'series', 'parallel', 'waterfall', 'auto', 'retry', 'queue', 'use',
]);
/** The `async` library's functions whose last argument is the final callback. */
const ASYNC_FINAL = new Set(['each', 'eachSeries', 'eachLimit', 'forEachOf', 'map', 'mapSeries', 'series', 'parallel', 'waterfall', 'auto', 'times', 'whilst', 'until', 'retry', 'filter', 'some', 'every', 'reduce', 'forEach']);
const isAsyncLibrary = (callee: unknown) => n.MemberExpression.check(callee) && n.Identifier.check(callee.object) && callee.object.name === 'async';
const ERROR_NAME = /^_?(e|er|err|error|ex|exc|exception|\w*(Err|Error))\d*$/i;

// ---------------------------------------------------------------------------------------------
// Matching

export interface MatchOptions {
  /**
   * Also a promise the rule hands on with no handler (`return p;`) or waits for (`await p…;`, its chain
   * read through the await): a 'promise' continuation with no steps. For a caller that replaces the
   * work itself (user-metadata: an update that becomes api.user.set*).
   */
  bare?: boolean;
}

/** The continuation held by a statement (`call(…, function (err, …) {…});`, `return p.then(…).catch(…);`), or null. */
export function matchContinuation(statement: NodePath, names: FlowNames, root: Node, options: MatchOptions = {}): Continuation | null {
  const node = statement.node;
  let expr = n.ExpressionStatement.check(node) ? node.expression : n.ReturnStatement.check(node) ? node.argument : null;
  const awaited = options.bare && n.ExpressionStatement.check(node) && n.AwaitExpression.check(expr);
  if (awaited) expr = (expr as K.AwaitExpression).argument;
  if (!n.CallExpression.check(expr)) return null;
  const parts = matchPromiseChain(statement, expr, names, root, null) ?? matchErrorFirst(statement, expr, names, root, false);
  if (parts) return { ...parts, statement } as Continuation;
  if (awaited || (options.bare && n.ReturnStatement.check(node) && Array.isArray(statement.parentPath?.value))) {
    return { kind: 'promise', statement, promise: expr as Expression, steps: [], rejection: null, rejectionSite: null, failure: 'unhandled' };
  }
  return null;
}

/** A Continuation without the statement that holds it (a call inside an expression has none). */
export type ContinuationParts = Continuation extends infer C ? (C extends Continuation ? Omit<C, 'statement'> : never) : never;

/**
 * How the rule goes on after one call whose API the caller knows (a row of its transport table):
 * `error-first` APIs take their callback last, `promise` APIs return a promise.
 */
export type CallConvention = 'error-first' | 'promise';

/** The continuation of one call, found from the call (`matchContinuation` starts from a statement). */
export type CallFlow =
  /** `await call`. */
  | { kind: 'awaited'; outer: NodePath }
  /**
   * A callback or a `.then`/`.catch` chain. `outer` stands for the call with its continuation (the call,
   * or the last link of its chain); `statement` holds it whole, or is null when it sits in an expression.
   */
  | { kind: 'continued'; outer: NodePath; statement: NodePath | null; continuation: ContinuationParts }
  /** Neither awaited, called back nor chained: what it gives is used some other way, or dropped. */
  | { kind: 'none'; outer: NodePath };

/**
 * The flow after `path` (a call). The caller vouches for the convention, so an error-first callback
 * needs no error-like first parameter and the callee needs no continuation-like name; the promise of a
 * chain is the call itself (no leading step is folded into it).
 */
export function matchCallFlow(path: NodePath, names: FlowNames, root: Node, convention: CallConvention): CallFlow {
  const call = path.node as K.CallExpression;
  if (convention === 'error-first') {
    const statement = holdingStatement(path);
    const parts = matchErrorFirst(statement ?? path, call, names, root, true);
    if (parts) return { kind: 'continued', outer: path, statement, continuation: parts };
  }
  if (n.AwaitExpression.check(path.parent?.node)) return { kind: 'awaited', outer: path };
  let outer = path;
  while (isChainLink(outer.parent?.node, outer.node) && n.CallExpression.check(outer.parent.parent?.node) && outer.parent.parent.node.callee === outer.parent.node) {
    outer = outer.parent.parent as NodePath;
  }
  if (outer === path) return { kind: 'none', outer };
  const statement = holdingStatement(outer);
  const parts = matchPromiseChain(statement ?? outer, outer.node as K.CallExpression, names, root, call);
  return parts ? { kind: 'continued', outer, statement, continuation: parts } : { kind: 'none', outer: path };
}

/**
 * `p.then(q)` with `q` no function (`.then(update(…))`): q was started when the chain was built and
 * `.then` ignores it. Returns p and q, or null.
 */
export function passedToThen(promise: unknown): { promise: Expression; passed: Expression } | null {
  if (!n.CallExpression.check(promise) || promise.arguments.length !== 1) return null;
  const callee = promise.callee;
  if (!n.MemberExpression.check(callee) || !isChainLink(callee, callee.object) || (callee.property as K.Identifier).name !== 'then') return null;
  const [passed] = promise.arguments;
  if (!n.Expression.check(passed) || n.Function.check(passed)) return null;
  return { promise: callee.object as Expression, passed: passed as Expression };
}

/** `object.then` / `.catch` with `object` the given node: one link of a promise chain. */
function isChainLink(member: unknown, object: unknown): boolean {
  return n.MemberExpression.check(member) && member.object === object && !member.computed && n.Identifier.check(member.property) && ['then', 'catch'].includes(member.property.name);
}

function calleeName(call: K.CallExpression): string | null {
  const callee = call.callee;
  if (n.Identifier.check(callee)) return callee.name;
  if (n.MemberExpression.check(callee) && !callee.computed && n.Identifier.check(callee.property)) return callee.property.name;
  return null;
}

const isLiteralValue = (node: unknown) =>
  n.StringLiteral.check(node) || n.NumericLiteral.check(node) || n.BooleanLiteral.check(node) || n.NullLiteral.check(node);

/**
 * `anchor`: where named handlers are looked up from (the holding statement, or the call). `known`: the
 * caller knows the call takes an error-first callback last, so neither its name nor the callback's
 * first parameter has to say so.
 */
function matchErrorFirst(anchor: NodePath, call: K.CallExpression, names: FlowNames, root: Node, known: boolean): ContinuationParts | null {
  // The callback is the last argument, or the last before plain options (`adapter(p, cb, true, 201)`).
  let index = call.arguments.length - 1;
  while (index > 0 && !known && isLiteralValue(call.arguments[index])) index--;
  const last = call.arguments[index];
  if (!last || call.arguments.length < 1) return null;
  const name = calleeName(call);
  if (name === null || name === names.callback) return null;
  // `async.each(items, iterator, done)`, `async.series(tasks, done)`…: `done` runs once, when all is over.
  if (!known && NOT_CONTINUATIONS.has(name) && !(ASYNC_FINAL.has(name) && isAsyncLibrary(call.callee))) return null;
  if (n.Identifier.check(call.callee) && call.callee.name === 'require') return null;
  let handler: Handler | null = null;
  if (n.Identifier.check(last) && last.name === names.callback) {
    // A known API would hand the rule's callback its own results: nothing to model.
    if (known) return null;
    // `helper(x, callback)`: the helper answers for the rule.
    if (!names.user || !names.context) return null;
    handler = callbackHandler(last, names, 'passed-on');
  } else {
    handler = handlerOf(last, anchor, root);
  }
  if (!handler) return null;
  const [first] = handler.params;
  if (!known && (!n.Identifier.check(first) || !ERROR_NAME.test(first.name))) return null;
  return { kind: 'error-first', call, handler, failure: 'error-value', index };
}

/** `work`: the call the chain must start from (no leading step folded into the promise); null: any. */
function matchPromiseChain(anchor: NodePath, expr: K.CallExpression, names: FlowNames, root: Node, work: Node | null): ContinuationParts | null {
  const links: Array<{ method: string; args: K.CallExpression['arguments']; call: K.CallExpression }> = [];
  let current: unknown = expr;
  while (
    n.CallExpression.check(current) &&
    n.MemberExpression.check(current.callee) &&
    !current.callee.computed &&
    n.Identifier.check(current.callee.property) &&
    ['then', 'catch'].includes(current.callee.property.name)
  ) {
    links.unshift({ method: current.callee.property.name, args: current.arguments, call: current });
    current = current.callee.object;
  }
  if (links.length === 0 || !n.Expression.check(current) || (work && current !== work)) return null;
  // Leading `.then(named)` steps stay in the awaited promise: `await p.then(parse)` reads as the rule did.
  let promise = current as Expression;
  // So do leading handlers that only compute the value (no callback, no `api`) and return early,
  // which could not be inlined.
  const quiet = (arg: unknown) => !mentions(arg, names.callback) && !mentions(arg, 'api') && returnsEarly(arg as Fn);
  while (
    !work &&
    links.length > 1 &&
    links[0].method === 'then' &&
    links[0].args.length === 1 &&
    (isNamedStep(links[0].args[0], names) || ((n.FunctionExpression.check(links[0].args[0]) || n.ArrowFunctionExpression.check(links[0].args[0])) && quiet(links[0].args[0])))
  ) {
    // The rule's own node: it prints as the rule wrote it.
    promise = links.shift()!.call as Expression;
  }
  if (links.length === 0) return null;
  const handler = (arg: unknown) => {
    if (n.Identifier.check(arg) && arg.name === names.callback) return callbackHandler(arg, names, 'error');
    return handlerOf(arg, anchor, root);
  };
  const steps: Handler[] = [];
  let rejection: Handler | null = null;
  let rejectionSite: Node | null = null;
  let failure: Exclude<FailurePolicy, 'error-value' | 'cannot-fail' | 'throws'> = 'unhandled';
  for (const [index, link] of links.entries()) {
    const isLast = index === links.length - 1;
    if (link.method === 'catch') {
      // Only a final `.catch` after the `.then`s: it answers for all of them.
      if (!isLast || link.args.length !== 1) return null;
      rejection = handler(link.args[0]);
      if (!rejection) return null;
      rejectionSite = (link.call.callee as K.MemberExpression).property as Node;
      failure = 'catch-all';
      continue;
    }
    if (link.args.length < 1 || link.args.length > 2) return null;
    const step = n.Identifier.check(link.args[0]) && link.args[0].name === names.callback ? null : handler(link.args[0]);
    if (!step) return null;
    steps.push(step);
    if (link.args.length === 2) {
      // `.then(f, g)`: g sees only the promise's rejection; only as the one link.
      if (links.length !== 1) return null;
      rejection = handler(link.args[1]);
      if (!rejection) return null;
      rejectionSite = link.args[1] as Node;
      failure = 'catch-rejection';
    }
  }
  return { kind: 'promise', promise, steps, rejection, rejectionSite, failure };
}

function returnsEarly(fn: Fn): boolean {
  const body = bodyOf(fn);
  return countReturns(body) > (n.ReturnStatement.check(body[body.length - 1]) ? 1 : 0);
}

/**
 * A function passed by name (`.then(parse)`, `.then(helpers.parse)`) that is not the rule's callback,
 * or a value that is no function at all (`.then(update(…))`: started when the chain was built, and
 * ignored by `.then`): either way it stays in the promise as the rule wrote it.
 */
function isNamedStep(arg: unknown, names: FlowNames): boolean {
  if (n.Identifier.check(arg)) return arg.name !== names.callback;
  if (n.FunctionExpression.check(arg) || n.ArrowFunctionExpression.check(arg)) return false;
  return n.Expression.check(arg) && !mentions(arg, names.callback);
}

/** The rule's callback as a handler: `.catch(callback)` → `(err) => callback(err)`; `helper(x, callback)` passes on the outcome. */
function callbackHandler(node: K.Identifier, names: FlowNames, shape: 'error' | 'passed-on'): Handler {
  const error = b.identifier('error');
  // Findings on the new code point at the callback the rule passed.
  error.loc = node.loc;
  const args: Expression[] = shape === 'error' ? [error] : [error, b.identifier(names.user!), b.identifier(names.context!)];
  return {
    params: [error],
    body: [b.returnStatement(b.callExpression(b.identifier(node.name), args))],
    declaration: null,
    node,
  };
}

/** An inline function, or a function declared once in an enclosing list and used only here. */
function handlerOf(arg: unknown, statement: NodePath, root: Node): Handler | null {
  if (n.FunctionExpression.check(arg) || n.ArrowFunctionExpression.check(arg)) {
    if (arg.generator) return null;
    return { params: arg.params as Node[], body: bodyOf(arg), declaration: null, node: arg as Node };
  }
  if (!n.Identifier.check(arg)) return null;
  const declaration = findFunctionDeclaration(statement, arg.name);
  if (!declaration) return null;
  const fn = declaration.node as K.FunctionDeclaration;
  if (fn.generator || countReferences(root, arg.name) !== 1) return null; // used only here
  return { params: fn.params as Node[], body: bodyOf(fn), declaration, node: fn as Node };
}

function bodyOf(fn: Fn): Statement[] {
  if (n.BlockStatement.check(fn.body)) return fn.body.body as Statement[];
  return [b.returnStatement(fn.body as Expression)];
}

function findFunctionDeclaration(statement: NodePath, name: string): NodePath | null {
  for (let p: NodePath | null = statement; p; p = p.parent) {
    const list = p.parentPath?.value;
    if (Array.isArray(list)) {
      const index = list.findIndex((s: unknown) => n.FunctionDeclaration.check(s) && s.id?.name === name);
      if (index >= 0) return p.parentPath.get(index) as NodePath;
    }
    if (n.Function.check(p.node)) return null;
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// Deciding

/** Where the continuation's code would go, and what comes after the call in its list. */
interface Placement {
  /** Statements after the call in its list that run before its continuation in Rules. */
  before: Statement[];
  /** A final `callback(null, …)` after the call: the rule called back before the work finished. */
  tail: Statement | null;
  /** The continuation calls back too, after the rule already had: those calls are dropped. */
  lateCallbacks?: boolean;
}

/** Why the continuation cannot be flattened safely, or how its surroundings are placed. */
export function decide(c: Continuation, names: FlowNames, root: Node): { why: string } | Placement {
  const handlers = c.kind === 'error-first' ? [c.handler] : [...c.steps, ...(c.rejection ? [c.rejection] : [])];
  for (const handler of handlers) {
    if (usesOwnBinding(handler.body)) return { why: 'its callback uses `this` or `arguments`' };
    if (handler.params.some((p) => n.RestElement.check(p)) && c.kind === 'promise') return { why: 'its handler takes rest parameters' };
  }
  const escapes = escapesCatch(c);
  if (escapes) return { why: escapes };
  if (c.kind === 'promise') {
    for (const step of c.steps.slice(0, -1)) {
      const body = step.body;
      const returns = countReturns(body);
      const last = body[body.length - 1];
      if (returns > (n.ReturnStatement.check(last) ? 1 : 0)) return { why: 'a .then() handler before the last one returns early' };
    }
    // The handlers' names end up side by side.
    const seen = new Set<string>();
    for (const step of c.steps) {
      const own = [...step.params.flatMap((p) => patternNames(p)), ...step.body.flatMap(topLevelNames)];
      if (own.some((name) => seen.has(name))) return { why: 'two of its .then() handlers declare the same name' };
      own.forEach((name) => seen.add(name));
    }
  }
  // Up to the handler body: no loop, no switch.
  for (let p: NodePath | null = c.statement.parent; p && p.node !== root; p = p.parent) {
    if (LOOPS.has(p.node.type)) return { why: 'it runs inside a loop' };
    if (n.SwitchStatement.check(p.node)) return { why: 'it runs inside a switch' };
    if (n.Function.check(p.node)) return { why: 'it runs inside a nested function' };
  }
  for (const handler of handlers) {
    if (callsBackAndGoesOn(handler.body, names)) return { why: 'its callback calls back and keeps running (the callback may be called twice)' };
  }
  const callsBack = handlers.some((h) => mentions(h.body, names.callback));
  const placement: Placement = { before: [], tail: null };
  if (n.ExpressionStatement.check(c.statement.node)) {
    const list = c.statement.parentPath.value as Statement[];
    const after = list.slice(list.indexOf(c.statement.node as Statement) + 1).filter((s) => !n.FunctionDeclaration.check(s) && !n.EmptyStatement.check(s));
    // A bare `return;` right after the call only says that nothing else runs: it stays where it is.
    if (after.length === 1 && n.ReturnStatement.check(after[0]) && !after[0].argument) after.pop();
    const last = after[after.length - 1];
    if (last && isSuccessCallback(last, names)) {
      placement.tail = last;
      after.pop();
      // It calls back again later: in Rules the first call won and the later ones did nothing.
      placement.lateCallbacks = callsBack;
    }
    if (after.some((s) => exits(s, names))) {
      return { why: callsBack ? 'the rule calls back after starting it and again in its callback (the callback is called twice)' : 'code after it ends the rule before its callback runs' };
    }
    placement.before = after;
    const endsHere = list.some((s, i) => i > list.indexOf(c.statement.node as Statement) && n.ReturnStatement.check(s) && !s.argument);
    if (!endsHere && outerCodeAfter(c.statement, root)) return { why: 'code after the block that holds it runs before its callback in Rules' };
  }
  for (const handler of handlers) {
    const clash = varClash(handler, c.statement, root);
    if (clash) return { why: `its callback declares \`var ${clash}\`, a name the rule uses outside it` };
  }
  return placement;
}

/**
 * Why a `.then(f).catch(g)` cannot become one try around f: f starts a promise chain it does not return
 * and that has no rejection handler of its own (`p.then(h);`). In Rules its failure escaped g (the login
 * never finished); inside the try, g would answer for it. Null when nothing escapes.
 */
export function escapesCatch(c: ContinuationParts): string | null {
  if (c.kind !== 'promise' || c.failure !== 'catch-all') return null;
  const escaping = (node: Node) => {
    if (!n.ExpressionStatement.check(node)) return false;
    let current: unknown = node.expression;
    let links = 0;
    while (n.CallExpression.check(current) && n.MemberExpression.check(current.callee) && isChainLink(current.callee, current.callee.object)) {
      // A `.catch`, or `.then(f, g)`, of its own answers for it.
      if ((current.callee.property as K.Identifier).name === 'catch' || current.arguments.length > 1) return false;
      current = current.callee.object;
      links++;
    }
    return links > 0;
  };
  return c.steps.some((step) => someNode(step.body, escaping, is.Function))
    ? 'a promise chain in its .then callback is not returned, so its failure did not reach the .catch (in one try, it would)'
    : null;
}

/**
 * A `callback(…);` (not returned) with code after it in its list or in a list around it: the rule went
 * on after calling back, and the first call won. Returning there would drop what followed.
 */
export function callsBackAndGoesOn(body: Statement[], names: FlowNames): boolean {
  if (!names.callback) return false;
  const block = b.blockStatement(body);
  let found = false;
  visit(block, {
    visitFunction() {
      return false;
    },
    visitExpressionStatement(path) {
      const expr = path.node.expression;
      if (!found && n.CallExpression.check(expr) && n.Identifier.check(expr.callee) && expr.callee.name === names.callback) {
        for (let p: NodePath | null = path; p && p.node !== block; p = p.parent) {
          const list = p.parentPath?.value;
          if (!Array.isArray(list) || !n.Statement.check(p.node)) continue;
          const after = list.slice(list.indexOf(p.node) + 1);
          if (after.some((s: Statement) => !n.FunctionDeclaration.check(s) && !n.EmptyStatement.check(s) && !(n.ReturnStatement.check(s) && !s.argument))) {
            found = true;
            break;
          }
        }
      }
      return false;
    },
  });
  return found;
}

function isSuccessCallback(statement: Statement, names: FlowNames): boolean {
  const expr = n.ExpressionStatement.check(statement) ? statement.expression : n.ReturnStatement.check(statement) ? statement.argument : null;
  if (!n.CallExpression.check(expr) || !n.Identifier.check(expr.callee) || expr.callee.name !== names.callback) return false;
  const [error] = expr.arguments;
  return !error || n.NullLiteral.check(error) || (n.Identifier.check(error) && error.name === 'undefined');
}

/** True when the statement can end the rule at this level: return, throw, a callback call, a deny. */
function exits(statement: Node, names: FlowNames, bareReturnEnds = true): boolean {
  return someNode(
    statement,
    (node) =>
      (n.ReturnStatement.check(node) && (bareReturnEnds || Boolean(node.argument))) ||
      n.ThrowStatement.check(node) ||
      (is.Identifier(node) && node.name === names.callback) ||
      (n.MemberExpression.check(node) && n.Identifier.check(node.property) && node.property.name === 'deny'),
    is.Function,
  );
}

function outerCodeAfter(statement: NodePath, root: Node): boolean {
  let current: NodePath = statement;
  for (let p: NodePath | null = statement.parent; p && p.node !== root; p = p.parent) {
    if (n.Statement.check(p.node) && Array.isArray(p.parentPath?.value)) {
      if (p !== current) {
        const list = p.parentPath.value as Statement[];
        const after = list.slice(list.indexOf(p.node as Statement) + 1).filter((s) => !n.FunctionDeclaration.check(s) && !n.EmptyStatement.check(s));
        // `return;` first: what follows never runs.
        if (n.ReturnStatement.check(after[0]) && !after[0].argument) return false;
        if (after.length > 0) return true;
      }
      current = p;
    }
  }
  return false;
}

function usesOwnBinding(body: Statement[]): boolean {
  return someNode(body, (node) => is.ThisExpression(node) || (is.Identifier(node) && node.name === 'arguments'), (node) => n.Function.check(node) && !n.ArrowFunctionExpression.check(node));
}

function countReturns(body: Statement[]): number {
  let count = 0;
  someNode(body, (node) => {
    if (n.ReturnStatement.check(node)) count++;
    return false;
  }, is.Function);
  return count;
}

function mentions(root: unknown, name: string | undefined): boolean {
  return Boolean(name) && someNode(root, (node) => is.Identifier(node) && node.name === name);
}

/** A `var` of the handler's body whose name is declared in the rule outside it: flattening would merge the two. */
function varClash(handler: Handler, statement: NodePath, root: Node): string | null {
  const vars = new Set<string>();
  someNode(handler.body, (node) => {
    if (n.VariableDeclaration.check(node) && node.kind === 'var') declarationNames(node).forEach((name) => vars.add(name));
    return false;
  }, is.Function);
  if (vars.size === 0) return null;
  const outside = scopeNames(statement, root);
  for (const name of vars) if (outside.has(name)) return name;
  return null;
}

/** Names declared in the lists around `statement` up to `root`, and by the functions and catch clauses between. */
function scopeNames(statement: NodePath, root: Node): Set<string> {
  const names = new Set<string>();
  const add = (s: unknown) => {
    if (n.VariableDeclaration.check(s)) declarationNames(s).forEach((name) => names.add(name));
    else if ((n.FunctionDeclaration.check(s) || n.ClassDeclaration.check(s)) && s.id) names.add((s.id as K.Identifier).name);
  };
  for (let p: NodePath | null = statement; p; p = p.parent) {
    const list = p.parentPath?.value;
    if (Array.isArray(list)) list.forEach(add);
    if (n.CatchClause.check(p.node) && p.node.param) patternNames(p.node.param).forEach((name) => names.add(name));
    if (p.node === root) break;
  }
  // `var`s anywhere in the handler function share its scope.
  someNode(root, (node) => {
    if (n.VariableDeclaration.check(node) && node.kind === 'var') declarationNames(node).forEach((name) => names.add(name));
    return false;
  }, is.Function);
  return names;
}

// ---------------------------------------------------------------------------------------------
// Rewriting

/** The statements that replace the continuation's statement. */
export function flattenContinuation(c: Continuation, placement: Placement, names: FlowNames, root: Node): Statement[] {
  const taken = scopeNames(c.statement, root);
  const pendingName = uniqueName('pending', taken);
  const deferred = placement.before.length > 0;
  const start: Expression = c.kind === 'error-first' ? adapter(c.call, c.index) : c.promise;
  const out: Statement[] = [];
  let awaited: Expression;
  if (deferred) {
    // Started where the rule started it; the code after it runs, then the continuation.
    out.push(b.variableDeclaration('const', [b.variableDeclarator(b.identifier(pendingName), start)]));
    out.push(...placement.before);
    awaited = b.identifier(pendingName);
  } else {
    awaited = start;
  }
  if (placement.lateCallbacks) {
    for (const handler of c.kind === 'error-first' ? [c.handler] : [...c.steps, ...(c.rejection ? [c.rejection] : [])]) dropCallbacks(handler.body, names);
  }
  const continuation = c.kind === 'error-first' ? errorFirstBody(c, awaited) : promiseBody(c, awaited, names);
  // The continuation's names could clash with those around it: a block keeps them apart.
  const declared = new Set(continuation.flatMap(topLevelNames));
  const clashes = [...declared].some((name) => taken.has(name) || name === pendingName);
  // Before the rule's own final callback, a bare `return;` ending the continuation says nothing more.
  const ending = continuation[continuation.length - 1];
  if (placement.tail && n.ReturnStatement.check(ending) && !ending.argument) continuation.pop();
  out.push(...(clashes ? [b.blockStatement(continuation)] : continuation));
  if (placement.tail) out.push(placement.tail);
  if (n.ReturnStatement.check(c.statement.node)) {
    const last = out[out.length - 1];
    const isFinal = c.statement.parentPath.value === (root as K.BlockStatement).body && (root as K.BlockStatement).body.at(-1) === c.statement.node;
    if (!n.ReturnStatement.check(last) && !isFinal) out.push(b.returnStatement(null));
  }
  for (const handler of c.kind === 'error-first' ? [c.handler] : [...c.steps, ...(c.rejection ? [c.rejection] : [])]) {
    handler.declaration?.prune();
  }
  const comments = (c.statement.node as { comments?: unknown[] }).comments;
  if (comments?.length) (out[0] as { comments?: unknown[] }).comments = comments;
  return out;
}

/** Calls of the rule's callback made after it was already called: `return callback(…)` → `return;`, a statement goes, else `undefined`. */
function dropCallbacks(body: Statement[], names: FlowNames): void {
  visit(b.blockStatement(body), {
    visitCallExpression(path) {
      const call = path.node;
      if (!n.Identifier.check(call.callee) || call.callee.name !== names.callback) return this.traverse(path);
      const parent = path.parent.node;
      if (n.ReturnStatement.check(parent) && parent.argument === call) parent.argument = null;
      else if (n.ExpressionStatement.check(parent) && Array.isArray(path.parent.parentPath?.value)) path.parent.prune();
      else path.replace(b.identifier('undefined'));
      return false;
    },
  });
}

/** `new Promise((resolve) => call(…, (...results) => resolve(results)))`: the callback's arguments, as one value. */
function adapter(call: K.CallExpression, index: number): Expression {
  const results = b.identifier('results');
  const settle = b.arrowFunctionExpression([b.restElement(results)], b.callExpression(b.identifier('resolve'), [results]));
  const started = b.callExpression(call.callee, [...call.arguments.slice(0, index), settle, ...call.arguments.slice(index + 1)]);
  return b.newExpression(b.identifier('Promise'), [b.arrowFunctionExpression([b.identifier('resolve')], started)]);
}

function errorFirstBody(c: Extract<Continuation, { kind: 'error-first' }>, awaited: Expression): Statement[] {
  const params = c.handler.params;
  const value = b.awaitExpression(awaited);
  const head: Statement =
    params.length === 0
      ? b.expressionStatement(value)
      : b.variableDeclaration('const', [b.variableDeclarator(b.arrayPattern(params as K.ArrayPattern['elements']), value)]);
  return [head, ...c.handler.body];
}

function promiseBody(c: Extract<Continuation, { kind: 'promise' }>, awaited: Expression, names: FlowNames): Statement[] {
  const steps: Statement[] = [];
  let value: Expression = awaited;
  for (const [index, step] of c.steps.entries()) {
    const isLast = index === c.steps.length - 1;
    const [param] = step.params;
    // The value a handler gets: awaited, unless it is known to be `undefined` (a handler that returned nothing).
    const settled = (expr: Expression) => (n.Identifier.check(expr) && expr.name === 'undefined' ? expr : b.awaitExpression(expr));
    const bind = (expr: Expression): Statement | null =>
      param
        ? b.variableDeclaration('const', [b.variableDeclarator(param as K.Identifier, settled(expr))])
        : n.Identifier.check(expr) && expr.name === 'undefined' ? null : b.expressionStatement(b.awaitExpression(expr));
    if (index === 0 && c.failure === 'catch-rejection') {
      steps.push(...rejectionOnly(c, value, param, names));
    } else {
      const bound = bind(value);
      if (bound) steps.push(bound);
    }
    let body = step.body;
    const last = body[body.length - 1];
    if (!isLast) {
      // `return x;` at the end hands x to the next handler.
      if (n.ReturnStatement.check(last)) {
        value = last.argument ?? b.identifier('undefined');
        body = body.slice(0, -1);
      } else {
        value = b.identifier('undefined');
      }
    }
    steps.push(...body);
  }
  if (c.steps.length === 0) steps.push(b.expressionStatement(b.awaitExpression(value)));
  if (c.failure === 'catch-all' && c.rejection) {
    const [param] = c.rejection.params;
    return [b.tryStatement(b.blockStatement(steps), b.catchClause((param as K.Identifier) ?? b.identifier('error'), null, b.blockStatement(c.rejection.body)))];
  }
  return steps;
}

/** `.then(f, g)`: `let v; try { v = await p; } catch (e) { g; return; }` then f. */
function rejectionOnly(c: Extract<Continuation, { kind: 'promise' }>, value: Expression, param: Node | undefined, names: FlowNames): Statement[] {
  const rejection = c.rejection!;
  const [errorParam] = rejection.params;
  const handlerBody = [...rejection.body];
  const last = handlerBody[handlerBody.length - 1];
  if (!n.ReturnStatement.check(last) && !(last && isSuccessCallback(last, names))) handlerBody.push(b.returnStatement(null));
  const attempt = param
    ? b.expressionStatement(b.assignmentExpression('=', param as K.Identifier, b.awaitExpression(value)))
    : b.expressionStatement(b.awaitExpression(value));
  const out: Statement[] = [];
  if (param) out.push(b.variableDeclaration('let', patternNames(param).map((name) => b.variableDeclarator(b.identifier(name)))));
  out.push(b.tryStatement(b.blockStatement([attempt]), b.catchClause((errorParam as K.Identifier) ?? b.identifier('error'), null, b.blockStatement(handlerBody))));
  return out;
}

function topLevelNames(statement: Statement): string[] {
  if (n.VariableDeclaration.check(statement)) return declarationNames(statement);
  if ((n.FunctionDeclaration.check(statement) || n.ClassDeclaration.check(statement)) && statement.id) return [(statement.id as K.Identifier).name];
  return [];
}

export function uniqueName(base: string, taken: Set<string>): string {
  if (!taken.has(base)) return base;
  for (let i = 2; ; i++) if (!taken.has(`${base}${i}`)) return `${base}${i}`;
}

// ---------------------------------------------------------------------------------------------
// The 'cannot-fail' policy

export interface InfallibleOptions {
  /** The statements that start the work where the rule started it (see `startedCall`). */
  start: Statement[];
  /** A value a `.then()` handler returns that continues the chain with more such work: kept as a statement. */
  continues?: (expr: Expression) => boolean;
}

export interface InfallibleResult {
  /** The error paths that can no longer run and were removed (an `if (err)` branch, a `.catch` handler). */
  removed: Node[];
  /** The success path now runs after the code that followed the call in its list (it ran first in Rules too). */
  deferred: boolean;
  /** Callback calls of a success path dropped: the code after the call had called back first (the first call won). */
  lateCallbacks?: Node[];
}

/** An error-first call without its callback, as a statement: the work started where the rule started it. */
export function startedCall(c: Extract<Continuation, { kind: 'error-first' }>): Statement {
  c.call.arguments = c.call.arguments.filter((_, i) => i !== c.index);
  return b.expressionStatement(c.call);
}

/**
 * Flattens `c` under the 'cannot-fail' policy: the statement becomes `options.start` followed by the
 * success path of its handlers (error branches gone, the error known to be null). No await: the new
 * work does not run until the Action returns. Kept (with the reason) where the success path would be
 * skipped or would need the value the work gave.
 */
export function flattenInfallible(c: Continuation, names: FlowNames, options: InfallibleOptions): InfallibleResult | { why: string } {
  const success = successPath(c, options.continues);
  if ('why' in success) return success;
  const node = c.statement.node as Statement;
  const list = c.statement.parentPath?.value;
  const handlers = c.kind === 'error-first' ? [c.handler] : [...c.steps, ...(c.rejection ? [c.rejection] : [])];
  const replace = (replacement: Statement[]) => {
    if (!Array.isArray(list)) return void c.statement.replace(b.blockStatement(replacement));
    list.splice(list.indexOf(node), 1, ...replacement);
  };
  if (Array.isArray(list) && n.ExpressionStatement.check(node) && success.statements.length > 0) {
    const after = list.slice(list.indexOf(node) + 1).filter((s: Statement) => !n.FunctionDeclaration.check(s) && !n.EmptyStatement.check(s));
    // A bare `return;` last only says that nothing else runs: the success path goes before it (in
    // its place when the success path ends the flow itself).
    const end = after[after.length - 1];
    const bareEnd = n.ReturnStatement.check(end) && !end.argument ? after.pop()! : null;
    if (after.length > 0 && after.some((s: Statement) => exits(s, names))) {
      // In Rules the code after the call ran first and called back: a success path that only calls
      // back again had no effect (the first call won) and goes; anything else would be lost, so kept.
      if (!success.statements.every((s) => isCallbackStatement(s, names))) return { why: 'code after it ends the rule before its callback runs' };
      for (const handler of handlers) handler.declaration?.prune();
      replace(options.start);
      return { removed: success.removed, deferred: false, lateCallbacks: success.statements as Node[] };
    }
    const ends = isExit(success.statements[success.statements.length - 1], names);
    if (after.length > 0 || (bareEnd && ends)) {
      for (const handler of handlers) handler.declaration?.prune();
      const anchor = after.length > 0 ? after[after.length - 1] : node;
      list.splice(list.indexOf(anchor) + 1, 0, ...success.statements);
      if (bareEnd && ends) list.splice(list.indexOf(bareEnd), 1);
      replace(options.start);
      return { removed: success.removed, deferred: after.length > 0 };
    }
  }
  const replacement = [...options.start, ...success.statements];
  if (n.ReturnStatement.check(node)) {
    // The rule returned here: the flattened code still does.
    const last = replacement[replacement.length - 1];
    const ends = isExit(last, names);
    if (ends && n.ExpressionStatement.check(last)) replacement[replacement.length - 1] = b.returnStatement(last.expression);
    else if (!ends && !endsFunction(c.statement)) replacement.push(b.returnStatement(null));
  }
  for (const handler of handlers) handler.declaration?.prune();
  replace(replacement);
  return { removed: success.removed, deferred: false };
}

/** The statements a handler runs: an expression-bodied arrow or the rule's callback passed as is run as a statement. */
function handlerStatements(handler: Handler): Statement[] {
  const expressionBody = (n.ArrowFunctionExpression.check(handler.node) && !n.BlockStatement.check(handler.node.body)) || n.Identifier.check(handler.node);
  const [only] = handler.body;
  if (expressionBody && n.ReturnStatement.check(only) && only.argument) return [b.expressionStatement(only.argument as Expression)];
  return handler.body;
}

function successPath(c: Continuation, continues?: (expr: Expression) => boolean): { statements: Statement[]; removed: Node[] } | { why: string } {
  const removed: Node[] = [];
  if (c.kind === 'error-first') {
    const [error, ...values] = c.handler.params;
    const body = handlerStatements(c.handler);
    if (values.some((p) => !n.Identifier.check(p) || countReferences(body as unknown as Node[], p.name) > 0)) return { why: 'its callback uses the value the call gave' };
    const errorName = (error as K.Identifier).name;
    const out: Statement[] = [];
    for (const statement of body) {
      const test = n.IfStatement.check(statement) ? statement.test : null;
      if (n.IfStatement.check(statement) && n.Identifier.check(test) && test.name === errorName) {
        removed.push(statement as Node);
        if (statement.alternate) out.push(...asStatements(statement.alternate as Statement));
        continue;
      }
      if (n.IfStatement.check(statement) && n.UnaryExpression.check(test) && test.operator === '!' && n.Identifier.check(test.argument) && test.argument.name === errorName) {
        out.push(...asStatements(statement.consequent as Statement));
        if (statement.alternate) removed.push(statement.alternate as Node);
        continue;
      }
      out.push(statement);
    }
    // The error is always empty now: `callback(err, user, context)` is the success call.
    const block = b.blockStatement(out);
    visit(block, {
      visitIdentifier(path) {
        const parent = path.parent?.node;
        const isProperty = (n.MemberExpression.check(parent) && parent.property === path.node && !parent.computed) || ((n.ObjectProperty.check(parent) || n.Property.check(parent)) && parent.key === path.node && !parent.computed);
        if (path.node.name === errorName && !isProperty) path.replace(b.nullLiteral());
        return false;
      },
    });
    return { statements: block.body as Statement[], removed };
  }
  if (c.rejection) removed.push(c.rejectionSite ?? c.rejection.node);
  const out: Statement[] = [];
  for (const [index, step] of c.steps.entries()) {
    const body = handlerStatements(step).map((s) =>
      n.ReturnStatement.check(s) && s.argument && continues?.(s.argument as Expression) ? b.expressionStatement(s.argument as Expression) : s,
    );
    if (step.params.some((p) => !n.Identifier.check(p) || countReferences(body as unknown as Node[], p.name) > 0)) return { why: 'its .then() callback uses the value the call resolved with' };
    if (index < c.steps.length - 1 && countReturns(body) > 0) return { why: 'a .then() callback before the last one returns early' };
    out.push(...body);
  }
  return { statements: out, removed };
}

function asStatements(node: Statement): Statement[] {
  return n.BlockStatement.check(node) ? (node.body as Statement[]) : [node];
}

function isCallbackStatement(statement: Statement, names: FlowNames): boolean {
  const expr = n.ExpressionStatement.check(statement) ? statement.expression : n.ReturnStatement.check(statement) ? statement.argument : null;
  return isCallbackCall(expr, names);
}

/** A statement that ends the flow: a return, or a callback call (callback-to-return makes it one). */
function isExit(statement: Statement | undefined, names: FlowNames): boolean {
  return n.ReturnStatement.check(statement) || (n.ExpressionStatement.check(statement) && isCallbackCall(statement.expression, names));
}

function isCallbackCall(expr: unknown, names: FlowNames): boolean {
  return n.CallExpression.check(expr) && n.Identifier.check(expr.callee) && expr.callee.name === names.callback;
}

/**
 * The last statement of the handler's body (the block the walk started from): a `return;` added there
 * would say nothing. In a nested function it is added: later steps read "ends in a return" as "nothing
 * of this function runs after the update" (user-metadata's saved-at-the-end check).
 */
function endsFunction(statement: NodePath): boolean {
  const list = statement.parentPath?.value;
  const block = statement.parentPath?.parentPath;
  return Array.isArray(list) && list[list.length - 1] === statement.node && n.BlockStatement.check(block?.node) && !n.Node.check(block?.parentPath?.value);
}

// ---------------------------------------------------------------------------------------------
// The 'throws' policy

export interface ThrowingFlow {
  /** The awaited new work (`await client.users.get(…)`). */
  value: Expression;
  /** Where its result goes; null when nothing reads it. */
  target: { name: string; kind: 'var' | 'let' | 'const' } | null;
  /** What the rule ran on failure, and the name it reads the error from; null when it did not check. */
  handler: { statements: Statement[]; errorName: string } | null;
  /** What the rule ran on success, after the checks. */
  rest: Statement[];
  /** Comments of the checks the caller removed: they move to the try. */
  comments: unknown[];
  /**
   * What the handler answers for: the work alone (an error-first callback's check, `.then(f, g)`), or
   * the work and the rest (`.then(f).catch(g)`: g saw f's failures too, and those of what f returned).
   */
  guards?: 'work' | 'continuation';
}

/** The statement that holds `node` as a whole: `node;` or `return node;`. */
export function holdingStatement(path: NodePath): NodePath | null {
  const parent = path.parent;
  if (n.ExpressionStatement.check(parent?.node) && parent.node.expression === path.node) return parent;
  if (n.ReturnStatement.check(parent?.node) && parent.node.argument === path.node) return parent;
  return null;
}

/** True when the statement sits in a loop of its own function: its callback would run once per turn. */
export function insideLoop(statement: NodePath): boolean {
  for (let p = statement.parent; p && !n.Function.check(p.node); p = p.parent) if (LOOPS.has(p.node.type)) return true;
  return false;
}

/**
 * True when code after the statement, in its function, runs right after the call in Rules (before its
 * callback): the rest of the rule did not wait. A `return;` first, or nothing after, says it did.
 */
export function codeRunsFirst(statement: NodePath): boolean {
  if (n.ReturnStatement.check(statement.node)) return false;
  let current: NodePath | null = statement;
  while (current) {
    const list = current.parentPath?.value;
    if (Array.isArray(list)) {
      const following = list.slice(list.indexOf(current.node) + 1).filter((s: Node) => !n.FunctionDeclaration.check(s) && !n.EmptyStatement.check(s));
      if (following.length > 0) return !(n.ReturnStatement.check(following[0]) && !following[0].argument);
    }
    // Up to the statement holding this one (if, try, block), stopping at the function.
    let parent: NodePath | null = current.parent;
    while (parent && !(n.Statement.check(parent.node) && Array.isArray(parent.parentPath?.value))) {
      if (n.Function.check(parent.node)) return false;
      parent = parent.parent;
    }
    if (parent && n.BlockStatement.check(parent.node) && n.Function.check(parent.parent?.node)) return false;
    current = parent;
  }
  return false;
}

/**
 * Replaces `statement` by the flow under the 'throws' policy: `let x; try { x = await work; } catch (e)
 * { handler }` then the rest (or `const x = await work;` when the rule did not check); when the handler
 * guards the continuation, `try { const x = await work; rest } catch (e) { handler }`. A callback call
 * that ends the handler returns, so the catch ends the flow as the rule's error branch did; a handler of
 * the work alone that does not end the flow is followed by `return;` (the rest never ran after it).
 * Returns the first statement that stands for the work.
 */
export function flattenThrowing(statement: NodePath, flow: ThrowingFlow, names: FlowNames): Statement {
  const { value, target, handler } = flow;
  const replacement: Statement[] = [];
  let rest = flow.rest;
  const declared = () => (target ? b.variableDeclaration(target.kind, [b.variableDeclarator(b.identifier(target.name), value)]) : b.expressionStatement(value));
  if (handler && flow.guards === 'continuation') {
    const attempt = declared();
    replacement.push(b.tryStatement(b.blockStatement([attempt, ...rest]), b.catchClause(b.identifier(handler.errorName), null, b.blockStatement(returningCallback(handler.statements, names)))));
    rest = [];
  } else if (handler) {
    const attempt = target ? b.expressionStatement(b.assignmentExpression('=', b.identifier(target.name), value)) : b.expressionStatement(value);
    if (target) replacement.push(b.variableDeclaration(target.kind === 'var' ? 'var' : 'let', [b.variableDeclarator(b.identifier(target.name))]));
    const answer = returningCallback(handler.statements, names);
    if (!endsFlow(answer[answer.length - 1])) answer.push(b.returnStatement(null));
    replacement.push(b.tryStatement(b.blockStatement([attempt]), b.catchClause(b.identifier(handler.errorName), null, b.blockStatement(answer))));
  } else {
    replacement.push(declared());
  }
  const comments = (statement.node as { comments?: unknown[] }).comments;
  if (comments) (replacement[0] as { comments?: unknown[] }).comments = comments;
  if (flow.comments.length > 0) {
    const attempt = replacement[replacement.length - 1] as { comments?: unknown[] };
    attempt.comments = [...(attempt.comments ?? []), ...flow.comments];
  }
  const all = [...replacement, ...rest];
  if (Array.isArray(statement.parentPath?.value)) statement.replace(...all);
  else statement.replace(b.blockStatement(all));
  return replacement[0];
}

/** A statement after which nothing of its list runs: return, throw. */
function endsFlow(statement: Statement | undefined): boolean {
  return n.ReturnStatement.check(statement) || n.ThrowStatement.check(statement);
}

/** `…; callback(…);` → `…; return callback(…);`. */
function returningCallback(statements: Statement[], names: FlowNames): Statement[] {
  const last = statements[statements.length - 1];
  if (n.ExpressionStatement.check(last) && isCallbackCall(last.expression, names)) return [...statements.slice(0, -1), b.returnStatement(last.expression as Expression)];
  return statements;
}

// ---------------------------------------------------------------------------------------------
// Driving

// Per rule (keyed by the rule being migrated, so nothing is shared between runs): a transform that
// leaves the rule's flow as it is on purpose (account-linking when a linking flow is unsafe) says so,
// and later flattening leaves that rule's flow whole.
const keptRules = new WeakMap<object, string>();

/** Marks the rule's flow as kept as the rule wrote it, with the reason. */
export function keepFlow(rule: object, why: string): void {
  if (!keptRules.has(rule)) keptRules.set(rule, why);
}

/** The reason a transform kept the rule's flow, or null. */
export function keptFlow(rule: object): string | null {
  return keptRules.get(rule) ?? null;
}

export interface FlowOptions extends FlowNames {
  /**
   * Which continuations are worth flattening: by default those whose code calls back or uses `api`
   * (what they do must happen before the handler returns).
   */
  wanted?: (handlers: Handler[]) => boolean;
}

/**
 * Flattens, in `body` (a handler's block), every continuation at handler level that `wanted` selects,
 * outermost first, until none is left; the ones that cannot be flattened are listed in `kept`.
 */
export function flattenFlows(body: K.BlockStatement, options: FlowOptions): FlowResult {
  const result: FlowResult = { flattened: [], kept: [], awaited: [], lateCallbacks: [], inlined: [], tailCalls: [] };
  const wanted = options.wanted ?? ((handlers: Handler[]) => handlers.some((h) => mentions(h.body, options.callback) || mentions(h.body, 'api')));
  const root = body as unknown as Node;
  const seen = new Set<unknown>();
  for (let changed = true, rounds = 0; changed && rounds < 200; rounds++) {
    changed = false;
    visit(root, {
      visitFunction() {
        return false;
      },
      visitStatement(path) {
        if (changed || seen.has(path.node)) return false;
        const isHolder = (n.ExpressionStatement.check(path.node) || n.ReturnStatement.check(path.node)) && Array.isArray(path.parentPath?.value);
        const c = isHolder ? matchContinuation(path, options, root) : null;
        if (!c) return this.traverse(path);
        const handlers = c.kind === 'error-first' ? [c.handler] : [...c.steps, ...(c.rejection ? [c.rejection] : [])];
        const isWanted = wanted(handlers);
        const decision = decide(c, options, root);
        // Work the rule left running after its last callback is awaited too (the handler's return ends it).
        if (!isWanted && ('why' in decision || !decision.tail)) return this.traverse(path);
        if ('why' in decision) {
          seen.add(path.node);
          result.kept.push({ node: path.node as Node, why: decision.why });
          return false;
        }
        const node = path.node as Node;
        for (const handler of handlers) if (handler.declaration) result.inlined.push(handler.declaration.node as Node);
        const replacement = flattenContinuation(c, decision, options, root);
        const list = path.parentPath.value as Statement[];
        const index = list.indexOf(node as Statement);
        // The code placed after the call moves into the replacement.
        const moved = new Set<unknown>([...decision.before, ...(decision.tail ? [decision.tail] : [])]);
        const rest = list.slice(index + 1).filter((s) => !moved.has(s));
        list.splice(index, list.length - index, ...replacement, ...rest);
        // Reported where the rule has it: a call another transform generated has no location, its callback does.
        const at = (c.kind === 'error-first' ? (c.call.loc ? c.call : c.handler.node) : node.loc ? node : (handlers[0]?.node ?? node)) as Node;
        result.flattened.push(at);
        if (decision.tail) result.awaited.push(at);
        if (decision.lateCallbacks) result.lateCallbacks.push(at);
        changed = true;
        return false;
      },
      // Only a statement that can hold a call (or one to skip) and a function (not entered) need their
      // method: the others it only traverses, and their NodePaths were most of the cost.
    }, (node) => changed || node.type === 'ExpressionStatement' || node.type === 'ReturnStatement' || is.Function(node));
  }
  return result;
}

/**
 * `callback(null, user, context);` followed by work that goes on (fire and forget): in an Action the
 * handler's return ends everything, so the callback moves after that work, which is then awaited.
 * Returns the callback calls moved.
 */
export function moveEarlyCallbacks(body: K.BlockStatement, names: FlowNames, persists: (statements: Statement[]) => boolean): Node[] {
  const moved: Node[] = [];
  const lists: Statement[][] = [];
  visit(body as unknown as Node, {
    visitFunction() {
      return false;
    },
    visitBlockStatement(path) {
      lists.push(path.node.body as Statement[]);
      this.traverse(path);
    },
  });
  for (const list of lists) {
    const index = list.findIndex((s) => n.ExpressionStatement.check(s) && isSuccessCallback(s, names));
    if (index < 0) continue;
    const after = list.slice(index + 1).filter((s) => !n.FunctionDeclaration.check(s) && !n.EmptyStatement.check(s));
    // A bare `return;` after the callback only ends what was left running: it may stay before the callback.
    if (after.length === 0 || after.some((s) => exits(s, names, false)) || !persists(after)) continue;
    const [callback] = list.splice(index, 1);
    const lastIndex = list.lastIndexOf(after[after.length - 1]);
    list.splice(lastIndex + 1, 0, callback);
    moved.push(callback as Node);
  }
  return moved;
}

// ---------------------------------------------------------------------------------------------
// Helpers that answer for the rule

/**
 * A local function that calls the rule's callback itself and is only ever called in tail position
 * (`return done(…)`, or `done(…);` with nothing after it; itself included: a sequential recursion
 * over a list). Its callback calls become its own returns, and its callers return what it returns.
 */
export interface TailHelper {
  name: string;
  fn: Fn;
}

/**
 * Finds the tail helpers of `body`, flattens the continuations inside each, makes every call to one
 * a `return` (and the helper `async` when it now awaits). Returns them, with what the flattening did.
 */
export function resolveTailHelpers(body: K.BlockStatement, options: FlowOptions): { helpers: TailHelper[]; flow: FlowResult } {
  const flow: FlowResult = { flattened: [], kept: [], awaited: [], lateCallbacks: [], inlined: [], tailCalls: [] };
  const root = body as unknown as Node;
  const candidates = helperCandidates(body, options);
  // Their own continuations first: a recursive call inside one is in tail position only after that.
  // (A candidate that is then not a helper still calls back from nested code: the caller keeps the flow.)
  for (const candidate of candidates) {
    const inner = flattenFlows(candidate.fn.body as K.BlockStatement, options);
    flow.flattened.push(...inner.flattened);
    flow.kept.push(...inner.kept);
    flow.awaited.push(...inner.awaited);
    flow.lateCallbacks.push(...inner.lateCallbacks);
    flow.inlined.push(...inner.inlined);
    if (someNode(candidate.fn.body, (node) => n.AwaitExpression.check(node), (node) => n.Function.check(node))) candidate.fn.async = true;
  }
  const allowed = new Set<unknown>(candidates.map((c) => c.fn));
  const helpers: TailHelper[] = [];
  for (const candidate of candidates) {
    const sites = callSites(root, candidate.name);
    if (!sites || sites.length === 0) continue;
    if (!sites.every((site) => isTailSite(site, root, allowed))) continue;
    if (callsBackAndGoesOn((candidate.fn.body as K.BlockStatement).body as Statement[], options)) continue;
    helpers.push(candidate);
  }
  // Callers return what the helper returns (its promise, when it awaits).
  for (const helper of helpers) {
    for (const site of callSites(root, helper.name) ?? []) {
      const statement = site.parent.parent as NodePath;
      if (n.ExpressionStatement.check(statement.node)) {
        flow.tailCalls.push(site.parent.node as Node);
        statement.replace(b.returnStatement(site.parent.node));
      }
    }
  }
  return { helpers, flow };
}

function helperCandidates(body: K.BlockStatement, options: FlowOptions): TailHelper[] {
  const found: TailHelper[] = [];
  // A plain walk: nothing here needs a NodePath.
  walk(body, (node) => {
    if (n.FunctionDeclaration.check(node)) {
      if (n.Identifier.check(node.id) && !node.generator && mentions(node.body, options.callback)) found.push({ name: node.id.name, fn: node });
    } else if (n.VariableDeclarator.check(node)) {
      const { id, init } = node;
      if (
        n.Identifier.check(id) &&
        (n.FunctionExpression.check(init) || n.ArrowFunctionExpression.check(init)) &&
        n.BlockStatement.check(init.body) &&
        !init.generator &&
        mentions(init.body, options.callback)
      ) {
        found.push({ name: id.name, fn: init });
      }
    }
  });
  // One declaration per name (a name declared twice is left alone).
  return found.filter((c) => found.filter((d) => d.name === c.name).length === 1);
}

/** Paths of the identifiers `name` that are called (`name(…)`); null when `name` is used any other way. */
function callSites(root: Node, name: string): NodePath[] | null {
  const sites: NodePath[] = [];
  let other = false;
  visit(root, {
    visitIdentifier(path) {
      if (path.node.name !== name) return false;
      const parent = path.parent?.node;
      if (n.CallExpression.check(parent) && parent.callee === path.node) sites.push(path);
      else if ((n.FunctionDeclaration.check(parent) || n.VariableDeclarator.check(parent)) && parent.id === path.node) return false;
      else if (n.MemberExpression.check(parent) && parent.property === path.node && !parent.computed) return false;
      else if ((n.ObjectProperty.check(parent) || n.Property.check(parent)) && parent.key === path.node && !parent.computed) return false;
      else other = true;
      return false;
    },
  }, (node) => node.name === name);
  return other ? null : sites;
}

/** `return name(…)` or `name(…);` with nothing after it, at handler level or directly inside a helper. */
function isTailSite(site: NodePath, root: Node, helpers: Set<unknown>): boolean {
  const statement = site.parent?.parent as NodePath | undefined;
  if (!statement || !Array.isArray(statement.parentPath?.value)) return false;
  const isReturn = n.ReturnStatement.check(statement.node) && statement.node.argument === site.parent.node;
  const isStatement = n.ExpressionStatement.check(statement.node) && statement.node.expression === site.parent.node;
  if (!isReturn && !isStatement) return false;
  // Up to the handler body or a helper: no loop, no other function.
  let scope: Node = root;
  for (let p: NodePath | null = statement.parent; p && p.node !== root; p = p.parent) {
    if (LOOPS.has(p.node.type) || n.SwitchStatement.check(p.node)) return false;
    if (n.Function.check(p.node)) {
      if (!helpers.has(p.node)) return false;
      scope = (p.node as Fn).body as Node;
      break;
    }
  }
  if (isReturn) return true;
  const list = statement.parentPath.value as Statement[];
  const after = list.slice(list.indexOf(statement.node as Statement) + 1).filter((s) => !n.FunctionDeclaration.check(s) && !n.EmptyStatement.check(s));
  if (after.length > 0 && !(n.ReturnStatement.check(after[0]) && !after[0].argument)) return false;
  return after.length > 0 || !outerCodeAfter(statement, scope);
}
