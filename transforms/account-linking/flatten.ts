// Callback and `.then` flows → `await` with the continuation hoisted after it. `unsafeReason` says
// when that would change what the rule did; `flatten` does it for one operation.
import * as recast from 'recast';
import { b, enclosingStatement, n, type NodePath } from '../../src/ast.js';
import type { Node, RuleShape, SdkMajor, Statement } from '../../src/types.js';
import { countReferences, renameReferences } from './bindings.js';
import { callsBackTwice, clone, matchCallbackChecks, matchFetchResponse, replaceJsonParse, substituteFailure } from './checks.js';
import { awaited, sdkCall } from './emit.js';
import type { Operation } from './operations.js';

import type { namedTypes as K } from 'ast-types';
import { visit } from '../../src/visit.js';

const LOOPS = ['ForStatement', 'ForInStatement', 'ForOfStatement', 'WhileStatement', 'DoWhileStatement'];

/** The statement that holds the operation: `request(…);` or `return request(…);`. */
function holdingStatement(op: Operation): NodePath | null {
  const parent = op.outer.parent;
  if (n.ExpressionStatement.check(parent?.node) && parent.node.expression === op.outer.node) return parent;
  if (n.ReturnStatement.check(parent?.node) && parent.node.argument === op.outer.node) return parent;
  return null;
}

function isContinuationOf(fn: unknown, ops: Operation[]): boolean {
  return ops.some((o) => o.continuation === fn || o.rejection === fn);
}

export interface Handler {
  statements: Statement[];
  errorName: string;
}

/** Handlers a `.then` chain's `.catch` passes to the operations its continuation returns. */
export type InheritedHandlers = Map<K.CallExpression, Handler>;

export function unsafeReason(op: Operation, ops: Operation[], rule: RuleShape, inherited: InheritedHandlers): string | null {
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
  const statement = holdingStatement(op);
  if (!statement) return 'its result is used inside an expression';
  for (let p = statement.parent; p && !n.Function.check(p.node); p = p.parent) {
    if (LOOPS.includes(p.node.type)) return 'it runs inside a loop';
  }
  const early = codeAfter(statement);
  if (early) return early;
  const fn = op.continuation;
  if (!fn || !n.BlockStatement.check(fn.body)) return 'its continuation is not a function with a block body';
  if (op.rejection && !n.BlockStatement.check(op.rejection.body)) return 'its .catch handler is not a function with a block body';
  const plan = planContinuation(op, inherited);
  if ('unsafe' in plan) return plan.unsafe;
  const handlerStatements = plan.handler?.statements ?? [];
  if (callsBackTwice(plan.rest, rule.callback) || callsBackTwice(handlerStatements, rule.callback)) {
    return 'it calls back and keeps running (the callback is called twice)';
  }
  return null;
}

/** Code that runs right after the call in Rules (before its callback): fire-and-forget. */
function codeAfter(statement: NodePath): string | null {
  if (n.ReturnStatement.check(statement.node)) return null;
  let current: NodePath | null = statement;
  while (current) {
    const list = current.parentPath?.value;
    if (Array.isArray(list)) {
      const following = list.slice(list.indexOf(current.node) + 1).filter((s: Node) => !n.FunctionDeclaration.check(s) && !n.EmptyStatement.check(s));
      if (following.length > 0) {
        const first = following[0];
        if (n.ReturnStatement.check(first) && !first.argument) return null;
        return 'code after it runs before its callback in Rules (the rest of the rule does not wait for the call to finish)';
      }
    }
    // Up to the statement holding this one (if, try, block), stopping at the function.
    let parent: NodePath | null = current.parent;
    while (parent && !(n.Statement.check(parent.node) && Array.isArray(parent.parentPath?.value))) {
      if (n.Function.check(parent.node)) return null;
      parent = parent.parent;
    }
    if (parent && n.BlockStatement.check(parent.node) && n.Function.check(parent.parent?.node)) return null;
    current = parent;
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
}

function planContinuation(op: Operation, inherited: InheritedHandlers): ContinuationPlan | { unsafe: string } {
  const body = (op.continuation!.body as K.BlockStatement).body as Statement[];
  if (op.style === 'then') {
    const rejection = op.rejection;
    const handler = rejection
      ? { statements: (rejection.body as K.BlockStatement).body as Statement[], errorName: op.params.error ?? 'err' }
      : inherited.get(op.call) ?? null;
    return { rest: [...body], handler, data: op.params.data, unchecked: !handler, statusUnchecked: false, comments: [] };
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
  };
}

export interface Flattened {
  /** The first statement standing for the call (where the client must be in scope). */
  anchor: Statement;
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

function uniqueName(base: string, taken: Set<string>): string {
  if (!taken.has(base)) return base;
  for (let i = 2; ; i++) if (!taken.has(`${base}${i}`)) return `${base}${i}`;
}

function ensureReturn(statements: Statement[], callback: string | undefined): Statement[] {
  const last = statements[statements.length - 1];
  if (
    callback &&
    n.ExpressionStatement.check(last) &&
    n.CallExpression.check(last.expression) &&
    n.Identifier.check(last.expression.callee) &&
    last.expression.callee.name === callback
  ) {
    return [...statements.slice(0, -1), b.returnStatement(last.expression)];
  }
  return statements;
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
  const handler = read?.handler ? read.handler.map((h) => clone(h)) : null;
  if (handler) substituteFailure(handler, 'err', response, undefined);
  const json = read?.json?.declarations[0] as K.VariableDeclarator | undefined;
  const target = json && n.Identifier.check(json.id) ? json.id.name : null;
  const kind = read?.json?.kind === 'var' ? 'var' : read?.json?.kind === 'let' ? 'let' : 'const';
  const value = awaited(call, data, Boolean(target));
  const replacement: Statement[] = [];
  if (handler) {
    const attempt = target ? b.expressionStatement(b.assignmentExpression('=', b.identifier(target), value)) : b.expressionStatement(value);
    if (target) replacement.push(b.variableDeclaration(kind === 'var' ? 'var' : 'let', [b.variableDeclarator(b.identifier(target))]));
    const attemptStatement = b.tryStatement(b.blockStatement([attempt]), b.catchClause(b.identifier('err'), null, b.blockStatement(handler)));
    (attemptStatement as { comments?: unknown[] }).comments = read!.comments as never;
    replacement.push(attemptStatement);
  } else if (target) {
    replacement.push(b.variableDeclaration(kind, [b.variableDeclarator(b.identifier(target), value)]));
  } else {
    replacement.push(b.expressionStatement(value));
  }
  (replacement[0] as { comments?: unknown[] }).comments = [
    ...((statement.node as { comments?: unknown[] }).comments ?? []),
    ...((replacement[0] as { comments?: unknown[] }).comments ?? []),
  ];
  const list = statement.parentPath.value as Statement[];
  for (const gone of [...(read?.checks ?? []), ...(read?.json ? [read.json] : [])]) list.splice(list.indexOf(gone), 1);
  statement.replace(...replacement);
  return { anchor: replacement[0], call, describe, unchecked: !handler };
}

export function flatten(op: Operation, rule: RuleShape, sdk: SdkMajor, client: string, inherited: InheritedHandlers): Flattened {
  const sdkResult = sdkCall(op.endpoint, sdk, client);
  const call = sdkResult.call as K.CallExpression;
  if (op.transport === 'fetch') return flattenFetch(op, call, sdkResult.data, sdkResult.describe);
  if (op.style === 'await') return flattenAwait(op, sdkResult.call, sdkResult.data, sdkResult.describe);

  const plan = planContinuation(op, inherited) as ContinuationPlan;
  const statement = holdingStatement(op)!;
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
  // Operations returned from this continuation answer failures like this one (a promise chain).
  if (plan.handler) {
    visit(rest as unknown as Node, {
      visitFunction() {
        return false;
      },
      visitReturnStatement(path) {
        let node: unknown = path.node.argument;
        // X.then(fn) → X
        while (n.CallExpression.check(node) && n.MemberExpression.check(node.callee)) {
          inherited.set(node, plan.handler!);
          node = node.callee.object;
        }
        return false;
      },
    });
  }
  const value = awaited(call, sdkResult.data, used);
  const replacement: Statement[] = [];
  if (plan.handler) {
    const handler = ensureReturn(plan.handler.statements, rule.callback);
    const attempt = used && target
      ? b.expressionStatement(b.assignmentExpression('=', b.identifier(target), value))
      : b.expressionStatement(value);
    if (used && target) replacement.push(b.variableDeclaration(kind === 'var' ? 'var' : 'let', [b.variableDeclarator(b.identifier(target))]));
    replacement.push(b.tryStatement(b.blockStatement([attempt]), b.catchClause(b.identifier(plan.handler.errorName), null, b.blockStatement(handler))));
  } else if (used && target) {
    replacement.push(b.variableDeclaration(kind, [b.variableDeclarator(b.identifier(target), value)]));
  } else {
    replacement.push(b.expressionStatement(value));
  }
  const comments = (statement.node as { comments?: unknown[] }).comments;
  if (comments) (replacement[0] as { comments?: unknown[] }).comments = comments;
  if (plan.comments.length > 0) {
    const attempt = replacement[replacement.length - 1] as { comments?: unknown[] };
    attempt.comments = [...(attempt.comments ?? []), ...plan.comments];
  }
  const all = [...replacement, ...rest];
  if (Array.isArray(statement.parentPath?.value)) statement.replace(...all);
  else statement.replace(b.blockStatement(all));
  return { anchor: replacement[0], call, describe: sdkResult.describe, unchecked: plan.unchecked, statusUnchecked: plan.statusUnchecked };
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
