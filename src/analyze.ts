import { types } from 'recast';
import type { File, RuleFunction, RuleShape, Statement } from './types.js';

const n = types.namedTypes;

/** Name given to an anonymous rule function so that `function (user, …) {}` parses as a statement. */
export const RULE_NAME_PLACEHOLDER = '__rules2actions_rule';

export interface Insertion {
  /** 1-based line of the inserted text. */
  line: number;
  /** 1-based column from which columns on that line are shifted. */
  column: number;
  length: number;
}

// 1: everything up to `function` included; 2: the spaces and comments between it and `(`.
const ANONYMOUS_RULE =
  /^((?:\s|\/\/[^\n]*\n|\/\*[\s\S]*?\*\/|(['"])use strict\2;?)*(?:async(?:\s|\/\*[\s\S]*?\*\/)+)?function)((?:\s|\/\/[^\n]*\n|\/\*[\s\S]*?\*\/)*)(?=\()/;

/** A Rule script is a single function expression; as a program, an anonymous one is a syntax error. */
export function makeParseable(source: string): { text: string; insertion: Insertion | null } {
  const match = ANONYMOUS_RULE.exec(source);
  if (!match) return { text: source, insertion: null };
  // The name goes before the `(`, after plain spaces; with no space (`function(user, …)` would give one
  // identifier, `function__rules2actions_rule`) or with a comment in between, right after `function`.
  const spacesOnly = /^\s+$/.test(match[3]);
  const at = spacesOnly ? match[0].length : match[1].length;
  const name = spacesOnly ? RULE_NAME_PLACEHOLDER : ` ${RULE_NAME_PLACEHOLDER}`;
  const before = source.slice(0, at);
  const line = before.split('\n').length;
  const column = at - (before.lastIndexOf('\n') + 1) + 1;
  const text = before + name + source.slice(at);
  return { text, insertion: { line, column, length: name.length } };
}

export function mapLocation(insertion: Insertion | null, line: number, column: number) {
  if (insertion && line === insertion.line && column >= insertion.column + insertion.length) {
    return { line, column: column - insertion.length };
  }
  return { line, column };
}

export type Analysis =
  | { kind: 'rule'; rule: RuleShape }
  | { kind: 'action' }
  | { kind: 'not-a-rule'; reason: string };

export function analyze(ast: File): Analysis {
  const body = ast.program.body;
  if (body.some(isActionExport)) return { kind: 'action' };
  for (const statement of body) {
    const fn = ruleFunctionOf(statement);
    if (!fn) continue;
    if (fn.params.length !== 3) {
      return { kind: 'not-a-rule', reason: `its function takes ${fn.params.length} parameter(s); a rule takes (user, context, callback)` };
    }
    if (!n.BlockStatement.check(fn.body)) return { kind: 'not-a-rule', reason: 'the rule function has no block body' };
    const names = fn.params.map((p) => (n.Identifier.check(p) ? p.name : undefined));
    return {
      kind: 'rule',
      rule: {
        statement,
        fn,
        body: fn.body,
        user: names[0],
        context: names[1],
        callback: names[2],
        isAsync: Boolean(fn.async),
      },
    };
  }
  return { kind: 'not-a-rule', reason: 'no function (user, context, callback) at the top level' };
}

function ruleFunctionOf(statement: Statement): RuleFunction | null {
  if (n.FunctionDeclaration.check(statement)) return statement;
  if (!n.ExpressionStatement.check(statement)) return null;
  let expression = statement.expression;
  // module.exports = function (user, context, callback) {…}
  if (n.AssignmentExpression.check(expression)) expression = expression.right;
  if (n.FunctionExpression.check(expression) || n.ArrowFunctionExpression.check(expression)) return expression;
  return null;
}

function isActionExport(statement: Statement): boolean {
  if (!n.ExpressionStatement.check(statement) || !n.AssignmentExpression.check(statement.expression)) return false;
  const left = statement.expression.left;
  return (
    n.MemberExpression.check(left) &&
    n.Identifier.check(left.property) &&
    /^onExecute|^onContinue/.test(left.property.name)
  );
}
