// The error and status checks at the top of a request/SDK callback, and what the rule answered.
import { b, memberChain, n } from '../../src/ast.js';
import type { Node, Statement } from '../../src/types.js';
import { countReferences } from './bindings.js';

import type { namedTypes as K } from 'ast-types';
import { visit } from '../../src/visit.js';

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
    handler = handler.map((s) => clone(s));
    const unsafe = substituteFailure(handler, errorName, response, data);
    if (unsafe) return { unsafe };
  }
  if (response && countReferences(rest as unknown as Node, response) > 0) {
    return { unsafe: `it reads the HTTP response (\`${response}\`) beyond its status, which the SDK does not return` };
  }
  if (error && countReferences(rest as unknown as Node, error) > 0) {
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

export function clone<T>(node: T): T {
  // Fresh nodes (no original positions): recast prints them from scratch.
  return JSON.parse(JSON.stringify(node, (key, value: unknown) => (key === 'loc' || key === 'start' || key === 'end' || key === 'original' || key === 'tokens' ? undefined : value))) as T;
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

/** A callback call that is not returned and has code after it: the rule calls back twice. */
export function callsBackTwice(statements: Statement[], callback: string | undefined): boolean {
  if (!callback) return false;
  let twice = false;
  const isCallback = (s: unknown) =>
    n.ExpressionStatement.check(s) && n.CallExpression.check(s.expression) && n.Identifier.check(s.expression.callee) && s.expression.callee.name === callback;
  const scanList = (list: Statement[]) => {
    list.forEach((s, i) => {
      if (isCallback(s) && list.slice(i + 1).some((next) => !n.FunctionDeclaration.check(next) && !n.EmptyStatement.check(next) && !(n.ReturnStatement.check(next) && !next.argument))) {
        twice = true;
      }
    });
  };
  visit(statements as unknown as Node, {
    visitFunction() {
      return false;
    },
    visitBlockStatement(path) {
      scanList(path.node.body as Statement[]);
      this.traverse(path);
    },
  });
  scanList(statements);
  return twice;
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
