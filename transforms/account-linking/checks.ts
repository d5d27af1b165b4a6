// The error and status checks at the top of a request/SDK callback, and what the rule answered: the
// transport's side of flattening. The flow itself (where the continuation goes, the try/catch of the
// 'throws' failure policy, when it is unsafe) is src/ast/flow.ts's.
import * as recast from 'recast';
import { callsBackAndGoesOn, codeRunsFirst, escapesCatch, flattenThrowing, holdingStatement, insideLoop, uniqueName } from '../../src/ast/flow.js';
import { b, enclosingStatement, memberChain, n, type NodePath } from '../../src/ast.js';
import type { Node, RuleShape, SdkMajor, Statement } from '../../src/types.js';
import { countReferences, referenceCounts, renameReferences } from './bindings.js';
import { awaited, sdkCall } from './emit.js';
import type { Operation } from './operations.js';

import type { namedTypes as K } from 'ast-types';
import { visit } from '../../src/visit.js';
import { cloneNode, identifiersIn } from '../../src/nodes.js';

export interface CallbackChecks {
  /** The continuation once the checks are gone. */
  rest: Statement[];
  /** What the rule did on failure: the consequent it ran, and the names it read the failure from. */
  handler: Statement[] | null;
  /** Name of the error variable the handler reads. */
  errorName: string;
  /** Comments of the checks that were removed: they move to the try statement. */
  comments: unknown[];
  /** The rule tested the HTTP status (`request` reports 4xx/5xx in the response, not in the error). */
  statusChecked: boolean;
}

export type ChecksResult = CallbackChecks | { unsafe: string };

function isStatusMember(node: unknown, response: string | undefined, fields: string[]): boolean {
  const chain = memberChain(node);
  return Boolean(response && chain && chain.length === 2 && chain[0] === response && fields.includes(chain[1]));
}

const FAILURE_OPS = new Set(['!==', '!=', '>=', '>', '<']);

/** `response.statusCode !== 200`, `>= 400`, `< 200 || >= 300`, `!response.ok`, `response && …`. */
export function isStatusTest(test: unknown, response: string | undefined): boolean {
  if (!response) return false;
  if (n.UnaryExpression.check(test) && test.operator === '!') return isStatusMember(test.argument, response, ['ok']);
  if (n.BinaryExpression.check(test) && FAILURE_OPS.has(test.operator)) {
    return isStatusMember(test.left, response, ['statusCode', 'status']) && n.NumericLiteral.check(test.right) || (n.Literal.check(test.right) && typeof test.right.value === 'number' && isStatusMember(test.left, response, ['statusCode', 'status']));
  }
  if (n.LogicalExpression.check(test)) {
    const isResponse = (node: unknown) => n.Identifier.check(node) && node.name === response;
    if (test.operator === '&&' && isResponse(test.left)) return isStatusTest(test.right, response);
    if (test.operator === '||' && n.UnaryExpression.check(test.left) && test.left.operator === '!' && isResponse(test.left.argument)) {
      return isStatusTest(test.right, response);
    }
    if (test.operator === '||') return isStatusTest(test.left, response) && isStatusTest(test.right, response);
  }
  return false;
}

function classify(test: unknown, error: string | undefined, response: string | undefined): 'error' | 'status' | 'both' | null {
  if (error && n.Identifier.check(test) && test.name === error) return 'error';
  if (isStatusTest(test, response)) return 'status';
  if (n.LogicalExpression.check(test) && test.operator === '||') {
    const left = classify(test.left, error, response);
    const right = classify(test.right, error, response);
    if (left && right) return 'both';
  }
  return null;
}

function blockStatements(node: Statement): Statement[] {
  return n.BlockStatement.check(node) ? node.body : [node];
}

/** A consequent that leaves the callback: ends in `return …`. */
export function exits(statements: Statement[]): boolean {
  const last = statements[statements.length - 1];
  return n.ReturnStatement.check(last) || n.ThrowStatement.check(last);
}

/** Has a string literal or template of its own: the rule's message. */
function hasOwnMessage(statements: Statement[]): boolean {
  let found = false;
  visit(statements as unknown as Node, {
    visitStringLiteral() {
      found = true;
      return false;
    },
    visitTemplateLiteral() {
      found = true;
      return false;
    },
  });
  return found;
}

/**
 * Strips the leading `if (err) …` / status checks of a callback body. The consequent the rule ran
 * on failure becomes the catch handler; response fields it read become the thrown error's.
 */
export function matchCallbackChecks(body: Statement[], error: string | undefined, response: string | undefined, data: string | undefined): ChecksResult {
  let rest = [...body];
  let onError: Statement[] | null = null;
  let onStatus: Statement[] | null = null;
  const comments: unknown[] = [];
  while (rest.length > 0 && n.IfStatement.check(rest[0])) {
    const check = rest[0] as K.IfStatement;
    const kind = classify(check.test, error, response);
    if (!kind) break;
    const consequent = blockStatements(check.consequent as Statement);
    comments.push(...((check as { comments?: unknown[] }).comments ?? []));
    if (!exits(consequent)) {
      if (!check.alternate) return { unsafe: 'its error check calls back without returning, so the rule went on (and called back again)' };
      rest = [...blockStatements(check.alternate as Statement), ...rest.slice(1)];
    } else {
      if (check.alternate) rest = [...blockStatements(check.alternate as Statement), ...rest.slice(1)];
      else rest = rest.slice(1);
    }
    if (kind === 'error' || kind === 'both') onError ??= consequent;
    if (kind === 'status' || kind === 'both') onStatus ??= consequent;
  }
  const errorName = error ?? 'err';
  let handler: Statement[] | null = null;
  if (onStatus && (hasOwnMessage(onStatus) || !onError)) handler = onStatus;
  else handler = onError ?? onStatus;
  if (handler) {
    handler = handler.map((s) => cloneNode(s));
    const unsafe = substituteFailure(handler, errorName, response, data);
    if (unsafe) return { unsafe };
  }
  // One analysis for both names, none when neither is there.
  const asked = [response, error].filter((name): name is string => Boolean(name));
  const counts = asked.length > 0 && identifiersIn(rest, asked).size > 0 ? referenceCounts(rest as unknown as Node) : new Map<string, number>();
  if (response && (counts.get(response) ?? 0) > 0) {
    return { unsafe: `it reads the HTTP response (\`${response}\`) beyond its status, which the SDK does not return` };
  }
  if (error && (counts.get(error) ?? 0) > 0) {
    return { unsafe: `it reads \`${error}\` outside its error check` };
  }
  return { rest, handler, errorName, comments, statusChecked: onStatus !== null };
}

/** In the handler: `response.statusMessage`/`body` → `err.message`, `response.statusCode` → `err.statusCode`. */
export function substituteFailure(statements: Statement[], error: string, response: string | undefined, data: string | undefined): string | null {
  let problem: string | null = null;
  const message = () => b.memberExpression(b.identifier(error), b.identifier('message'));
  visit(statements as unknown as Node, {
    visitMemberExpression(path) {
      const chain = memberChain(path.node);
      if (data && chain?.length === 2 && chain[0] === data && ['message', 'error', 'error_description'].includes(chain[1])) {
        path.replace(message());
        return false;
      }
      if (response && chain?.[0] === response) {
        if (chain.length === 2 && ['statusMessage', 'statusText'].includes(chain[1])) path.replace(message());
        else if (chain.length === 2 && chain[1] === 'ok') path.replace(b.booleanLiteral(false));
        else if (chain.length === 2 && ['statusCode', 'status'].includes(chain[1])) path.replace(b.memberExpression(b.identifier(error), b.identifier('statusCode')));
        else problem = `its error handling reads \`${chain.join('.')}\`, which the SDK error does not carry`;
        return false;
      }
      this.traverse(path);
    },
    visitCallExpression(path) {
      // JSON.stringify(body) / JSON.parse(body) of the error body: its text is the error's message.
      const chain = memberChain(path.node.callee);
      const [arg] = path.node.arguments;
      if (data && chain && chain[0] === 'JSON' && n.Identifier.check(arg) && arg.name === data) {
        path.replace(message());
        return false;
      }
      this.traverse(path);
    },
    visitIdentifier(path) {
      const parent = path.parent?.node;
      const isProperty = n.MemberExpression.check(parent) && parent.property === path.node && !parent.computed;
      if (!isProperty && data && path.node.name === data) path.replace(message());
      else if (!isProperty && response && path.node.name === response) problem = `its error handling uses \`${response}\` itself`;
      this.traverse(path);
    },
  });
  return problem;
}

/** `JSON.parse(data)` → data (the SDK returns parsed data). */
export function replaceJsonParse(statements: Statement[], data: string): void {
  visit(statements as unknown as Node, {
    visitCallExpression(path) {
      const chain = memberChain(path.node.callee);
      const [arg] = path.node.arguments;
      if (chain?.join('.') === 'JSON.parse' && n.Identifier.check(arg) && arg.name === data) {
        path.replace(b.identifier(data));
        return false;
      }
      this.traverse(path);
    },
  });
}


/**
 * After `const res = await fetch(…)`: the status checks on `res` and `const data = await res.json()`
 * that follow it. Null when `res` is read any other way (headers, text, a second body read).
 */
export function matchFetchResponse(following: Statement[], response: string): { checks: Statement[]; handler: Statement[] | null; json: K.VariableDeclaration | null; comments: unknown[] } | { unsafe: string } {
  const checks: Statement[] = [];
  const comments: unknown[] = [];
  let handler: Statement[] | null = null;
  let index = 0;
  while (index < following.length && n.IfStatement.check(following[index])) {
    const check = following[index] as K.IfStatement;
    if (!isStatusTest(check.test, response) || check.alternate) break;
    const consequent = blockStatements(check.consequent as Statement);
    if (!exits(consequent)) return { unsafe: 'its status check does not return, so the rule went on with a failed response' };
    handler ??= consequent;
    checks.push(check);
    comments.push(...((check as { comments?: unknown[] }).comments ?? []));
    index++;
  }
  let json: K.VariableDeclaration | null = null;
  const next = following[index];
  if (n.VariableDeclaration.check(next) && next.declarations.length === 1) {
    const declarator = next.declarations[0];
    const init = n.VariableDeclarator.check(declarator) ? declarator.init : null;
    const read = n.AwaitExpression.check(init) && n.CallExpression.check(init.argument) ? memberChain(init.argument.callee) : null;
    if (read?.length === 2 && read[0] === response && read[1] === 'json' && n.Identifier.check((declarator as K.VariableDeclarator).id)) {
      json = next;
      index++;
    }
  }
  if (countReferences(following.slice(index) as unknown as Node, response) > 0) {
    return { unsafe: `it reads the fetch response (\`${response}\`) beyond its status and JSON body, which the SDK does not return` };
  }
  return { checks, handler, json, comments };
}

// ---------------------------------------------------------------------------------------------
// One operation's flow, flattened through src/ast/flow.ts

function isContinuationOf(fn: unknown, ops: Operation[]): boolean {
  return ops.some((o) => o.continuation?.node === fn || o.rejection?.node === fn);
}

export interface Handler {
  statements: Statement[];
  errorName: string;
}

/**
 * Calls a `.catch` around them answers for: returned (through every `.then` step between) from a step of
 * a `.then(f).catch(g)` chain. Flattened inside that chain's try, they need no try of their own.
 */
export type AnsweredCalls = Set<K.CallExpression>;

const failurePolicy = (op: Operation) => (op.flow.kind === 'continued' ? op.flow.continuation.failure : null);

export function unsafeReason(op: Operation, ops: Operation[], rule: RuleShape): string | null {
  for (let p = op.path.parent; p && p.node !== rule.fn; p = p.parent) {
    if (n.Function.check(p.node) && !isContinuationOf(p.node, ops)) {
      return 'it runs inside a nested function (a loop callback, async.each or a helper) that cannot be flattened safely';
    }
  }
  if (op.style === 'other') return 'its result is neither awaited, called back nor chained with a single .then';
  if (op.style === 'await' && op.transport === 'fetch') return fetchUnsafe(op);
  if (op.style === 'await') {
    if (op.transport === 'axios') {
      const holder = op.path.parent.parent?.node;
      const plainStatement = n.ExpressionStatement.check(holder);
      const dataPattern = n.VariableDeclarator.check(holder) && n.ObjectPattern.check(holder.id) && holder.id.properties.length === 1;
      if (!plainStatement && !dataPattern) return 'it reads the axios response object, which the SDK does not return';
    }
    return null;
  }
  const statement = holdingStatement(op.outer);
  if (!statement) return 'its result is used inside an expression';
  if (insideLoop(statement)) return 'it runs inside a loop';
  if (codeRunsFirst(statement)) return 'code after it runs before its callback in Rules (the rest of the rule does not wait for the call to finish)';
  const c = op.flow.kind === 'continued' ? op.flow.continuation : null;
  if (c?.kind === 'promise' && c.steps.length !== 1) return c.steps.length === 0 ? 'its result is neither awaited, called back nor chained with a single .then' : 'it is chained with more than one .then';
  if (!op.continuation) return 'its continuation is not a function';
  const plan = planContinuation(op, new Set());
  if ('unsafe' in plan) return plan.unsafe;
  const escapes = c && escapesCatch(c);
  if (escapes) return escapes;
  const handlerStatements = plan.handler?.statements ?? [];
  if (callsBackAndGoesOn(plan.rest, { callback: rule.callback }) || callsBackAndGoesOn(handlerStatements, { callback: rule.callback })) {
    return 'it calls back and keeps running (the callback is called twice)';
  }
  return null;
}

interface ContinuationPlan {
  rest: Statement[];
  handler: Handler | null;
  data: string | undefined;
  /** The rule handled no failure of this call. */
  unchecked: boolean;
  /** The rule handled a network error of a `request` call but went on after an HTTP error status. */
  statusUnchecked: boolean;
  comments: unknown[];
  /** `.then(f).catch(g)`: g answers for f too (flow.ts's 'catch-all'); else for the call alone. */
  guards: 'work' | 'continuation';
}

function planContinuation(op: Operation, answered: AnsweredCalls): ContinuationPlan | { unsafe: string } {
  const body = op.continuation!.body;
  if (op.style === 'chain') {
    const rejection = op.rejection;
    const handler = rejection ? { statements: rejection.body, errorName: op.params.error ?? 'err' } : null;
    const guards = failurePolicy(op) === 'catch-all' ? 'continuation' : 'work';
    return { rest: [...body], handler, data: op.params.data, unchecked: !handler && !answered.has(op.call), statusUnchecked: false, comments: [], guards };
  }
  const checks = matchCallbackChecks(body, op.params.error, op.params.response, op.params.data);
  if ('unsafe' in checks) return checks;
  return {
    rest: checks.rest,
    handler: checks.handler ? { statements: checks.handler, errorName: checks.errorName } : null,
    data: op.params.data,
    unchecked: !checks.handler,
    statusUnchecked: Boolean(checks.handler) && op.transport === 'request' && !checks.statusChecked,
    comments: checks.comments,
    guards: 'work',
  };
}

export interface Flattened {
  /** The first statement standing for the call (where the client must be in scope). */
  anchor: Statement;
  /** The statement that awaits the call (the anchor, or the first statement of the try it opens). */
  work?: Statement;
  /** Declarations of named handlers whose bodies now follow the await. */
  inlined?: Node[];
  /** The SDK call emitted. */
  call: K.CallExpression;
  describe: string;
  unchecked: boolean;
  statusUnchecked?: boolean;
}

/** Names declared by the lists around `statement`, up to the rule function (and its parameters). */
function namesInScope(statement: NodePath, rule: RuleShape): Set<string> {
  const names = new Set<string>();
  const addDeclared = (s: unknown) => {
    if (n.VariableDeclaration.check(s)) {
      for (const d of s.declarations) if (n.VariableDeclarator.check(d) && n.Identifier.check(d.id)) names.add(d.id.name);
    }
    if (n.FunctionDeclaration.check(s) && n.Identifier.check(s.id)) names.add(s.id.name);
  };
  for (let p: NodePath | null = statement; p; p = p.parent) {
    const list = p.parentPath?.value;
    if (Array.isArray(list)) list.forEach(addDeclared);
    if (n.Function.check(p.node)) {
      for (const param of p.node.params) if (n.Identifier.check(param)) names.add(param.name);
      if (p.node === rule.fn) break;
    }
  }
  return names;
}

/** `const res = await fetch(…)` (or `await fetch(…);`) with only its status and JSON body read. */
function fetchShape(op: Operation) {
  const holder = op.path.parent.parent;
  if (n.ExpressionStatement.check(holder?.node)) return { statement: holder as NodePath, reading: null };
  const declaration = holder?.parent;
  if (!n.VariableDeclarator.check(holder?.node) || !n.VariableDeclaration.check(declaration?.node) || declaration.node.declarations.length !== 1) return null;
  const list = declaration.parentPath?.value;
  if (!Array.isArray(list)) return null;
  const reading = matchFetchResponse(list.slice(list.indexOf(declaration.node) + 1), op.params.response!);
  return { statement: declaration as NodePath, reading };
}

function fetchUnsafe(op: Operation): string | null {
  const shape = fetchShape(op);
  if (!shape) return 'its fetch response is used inside an expression';
  return shape.reading && 'unsafe' in shape.reading ? shape.reading.unsafe : null;
}

function flattenFetch(op: Operation, call: K.CallExpression, data: boolean, describe: string): Flattened {
  const { statement, reading } = fetchShape(op)!;
  const read = reading && !('unsafe' in reading) ? reading : null;
  const response = op.params.response;
  const handler = read?.handler ? read.handler.map((h) => cloneNode(h)) : null;
  if (handler) substituteFailure(handler, 'err', response, undefined);
  const json = read?.json?.declarations[0] as K.VariableDeclarator | undefined;
  const target = json && n.Identifier.check(json.id) ? json.id.name : null;
  const kind = read?.json?.kind === 'var' ? 'var' : read?.json?.kind === 'let' ? 'let' : 'const';
  const value = awaited(call, data, Boolean(target));
  const list = statement.parentPath.value as Statement[];
  for (const gone of [...(read?.checks ?? []), ...(read?.json ? [read.json] : [])]) list.splice(list.indexOf(gone), 1);
  const anchor = flattenThrowing(
    statement,
    { value, target: target ? { name: target, kind } : null, handler: handler ? { statements: handler, errorName: 'err' } : null, rest: [], comments: handler ? read!.comments : [] },
    {},
  );
  return { anchor, call, describe, unchecked: !handler };
}

export function flatten(op: Operation, rule: RuleShape, sdk: SdkMajor, client: string, answered: AnsweredCalls): Flattened {
  const sdkResult = sdkCall(op.endpoint, sdk, client);
  const call = sdkResult.call as K.CallExpression;
  if (op.transport === 'fetch') return flattenFetch(op, call, sdkResult.data, sdkResult.describe);
  if (op.style === 'await') return flattenAwait(op, sdkResult.call, sdkResult.data, sdkResult.describe);

  const plan = planContinuation(op, answered) as ContinuationPlan;
  const statement = holdingStatement(op.outer)!;
  let rest = plan.rest;
  let target = plan.data;
  if (target) replaceJsonParse(rest, target);
  let kind: 'var' | 'let' | 'const' = 'const';
  const first = rest[0];
  if (
    target &&
    n.VariableDeclaration.check(first) &&
    first.declarations.length === 1 &&
    n.VariableDeclarator.check(first.declarations[0]) &&
    n.Identifier.check(first.declarations[0].id) &&
    n.Identifier.check(first.declarations[0].init) &&
    first.declarations[0].init.name === target &&
    countReferences(rest.slice(1) as unknown as Node, target) === 0
  ) {
    kind = first.kind === 'var' ? 'var' : first.kind === 'let' ? 'let' : 'const';
    target = first.declarations[0].id.name;
    rest = rest.slice(1);
  }
  const used = Boolean(target && countReferences(rest as unknown as Node, target) > 0);
  if (used && target) {
    const free = uniqueName(target, namesInScope(statement, rule));
    if (free !== target) {
      renameReferences(rest as unknown as Node, target, free);
      target = free;
    }
  }
  // Promises a `.then` step returns reject its chain: where a `.catch` answers for this one, it answers for them.
  if (op.style === 'chain' && (plan.guards === 'continuation' || answered.has(op.call))) {
    visit(rest as unknown as Node, {
      visitFunction() {
        return false;
      },
      visitReturnStatement(path) {
        let node: unknown = path.node.argument;
        // X.then(fn) → X
        while (n.CallExpression.check(node)) {
          answered.add(node);
          if (!n.MemberExpression.check(node.callee)) break;
          node = node.callee.object;
        }
        return false;
      },
    });
  }
  const value = awaited(call, sdkResult.data, used);
  const anchor = flattenThrowing(
    statement,
    { value, target: used && target ? { name: target, kind } : null, handler: plan.handler, rest, comments: plan.comments, guards: plan.guards },
    { callback: rule.callback },
  );
  // A named handler (declared once, used only here) is now inlined.
  const inlined = [op.continuation, op.rejection].flatMap((handler) => removeDeclaration(handler?.declaration ?? null));
  // Under a try that guards the continuation, the work is the try's first statement.
  const work = n.TryStatement.check(anchor) && plan.guards === 'continuation' ? (anchor.block.body[0] as Statement) : anchor;
  return { anchor, work, call, describe: sdkResult.describe, unchecked: plan.unchecked, statusUnchecked: plan.statusUnchecked, inlined };
}

/** Removes a named handler's declaration from its list; returns it (none when it is gone already). */
function removeDeclaration(declaration: NodePath | null): Node[] {
  const list = declaration?.parentPath?.value;
  if (!Array.isArray(list) || !list.includes(declaration!.node)) return [];
  list.splice(list.indexOf(declaration!.node), 1);
  return [declaration!.node as Node];
}

function flattenAwait(op: Operation, call: recast.types.namedTypes.CallExpression | Node, data: boolean, describe: string): Flattened {
  const awaitPath = op.path.parent;
  const holder = awaitPath.parent;
  const anchor = enclosingStatement(op.path)!.node as Statement;
  const used = !n.ExpressionStatement.check(holder?.node);
  if (op.transport === 'axios' && n.VariableDeclarator.check(holder?.node) && n.ObjectPattern.check(holder.node.id)) {
    // const { data: users } = await axios.get(…) → const users = await …
    const [property] = holder.node.id.properties;
    const value = (property as K.ObjectProperty).value;
    holder.node.id = n.Identifier.check(value) ? value : b.identifier('data');
  }
  const replacement = awaited(call as K.CallExpression, data, used);
  awaitPath.replace(replacement);
  return { anchor, call: call as K.CallExpression, describe, unchecked: false };
}
