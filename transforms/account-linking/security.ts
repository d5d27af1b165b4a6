// Security signals of a linking rule (rules-to-actions.md §13, rule-patterns.md §17), read from the
// rule as written. Pure: returns what is missing; the transform reports it.
import * as recast from 'recast';
import { memberChain, n } from '../../src/ast.js';
import type { Node, RuleShape } from '../../src/types.js';
import type { Operation } from './operations.js';

import type { namedTypes as K } from 'ast-types';
import { visit } from '../../src/visit.js';
import { isCallType, isDeclaratorType } from './tree.js';
import { someNode, typeNameCheck, walk } from '../../src/walk.js';

const isMemberType = typeNameCheck(n.MemberExpression);
const isObjectPatternType = typeNameCheck(n.ObjectPattern);
const isStringType = typeNameCheck(n.StringLiteral);
const isBinaryType = typeNameCheck(n.BinaryExpression);

export interface SecuritySignals {
  verifiesCurrentUser: boolean;
  verifiesCandidates: boolean;
  excludesCurrentUser: boolean;
  choosesDeterministically: boolean;
  guardsSearch: boolean;
  /** `x.split('|')[1]` nodes: wrong for ids with several `|`. */
  splitIds: Node[];
  /** console.* calls that print the Management API token. */
  tokenLogs: Node[];
}

const LENGTH_LIMITS = new Set(['>', '>=', '<', '<=', '===', '!==', '==', '!=']);

export function securitySignals(rule: RuleShape, operations: Operation[]): SecuritySignals {
  const signals: SecuritySignals = {
    verifiesCurrentUser: false,
    verifiesCandidates: false,
    excludesCurrentUser: false,
    choosesDeterministically: false,
    guardsSearch: false,
    splitIds: [],
    tokenLogs: [],
  };
  const userName = rule.user;
  const isUserField = (node: unknown, field: string) => {
    const chain = memberChain(node);
    return Boolean(chain && chain.length === 2 && chain[0] === userName && chain[1] === field);
  };
  // Variables holding the token; printing each initialiser is costly, so only once a log is seen.
  let tokenNames: string[] | undefined;
  const findTokenNames = () => {
    const names = new Set<string>();
    walk(rule.body, (node) => {
      if (!isDeclaratorType(node.type)) return;
      const { id, init } = node as unknown as K.VariableDeclarator;
      if (n.Identifier.check(id) && init && mayPrint(init, /Bearer|accessToken/) && /auth0\.accessToken|Bearer/.test(recast.print(init).code)) names.add(id.name);
    });
    return [...names];
  };

  walk(rule.body, (value, ancestors) => {
    const type = value.type;
    if (isMemberType(type)) {
      const node = value as unknown as K.MemberExpression;
      const key = n.Identifier.check(node.property) && !node.computed ? node.property.name : null;
      if (key === 'email_verified') {
        if (isUserField(node, 'email_verified')) signals.verifiesCurrentUser = true;
        else signals.verifiesCandidates = true;
      }
      if (key === 'sort' && n.CallExpression.check(ancestors[ancestors.length - 1])) signals.choosesDeterministically = true;
      const chain = memberChain(node);
      if (chain && (chain.includes('loginsCount') || chain.includes('app_metadata') || chain.includes('primaryUser') || (chain.at(-1) === 'length' && chain.includes('identities')))) {
        if (insideTest(node, ancestors)) signals.guardsSearch = true;
      }
      // x.split('|')[1]
      if (node.computed && n.NumericLiteral.check(node.property) && node.property.value === 1 && n.CallExpression.check(node.object)) {
        const callee = node.object.callee;
        const [separator] = node.object.arguments;
        if (n.MemberExpression.check(callee) && n.Identifier.check(callee.property) && callee.property.name === 'split' && n.StringLiteral.check(separator) && separator.value === '|') {
          signals.splitIds.push(node);
        }
      }
    } else if (isObjectPatternType(type)) {
      for (const property of (value as unknown as K.ObjectPattern).properties) {
        if ((n.ObjectProperty.check(property) || n.Property.check(property)) && n.Identifier.check(property.key) && property.key.name === 'email_verified') {
          signals.verifiesCandidates = true;
        }
      }
    } else if (isStringType(type)) {
      const text = (value as unknown as K.StringLiteral).value;
      if (/email_verified/.test(text)) signals.verifiesCandidates = true;
      if (/user_id/.test(text) && /(-|NOT\s+)user_id/.test(text)) signals.excludesCurrentUser = true;
    } else if (isBinaryType(type)) {
      const { left, right, operator } = value as unknown as K.BinaryExpression;
      if (['!==', '!=', '===', '=='].includes(operator) && (isUserField(left, 'user_id') || isUserField(right, 'user_id'))) {
        signals.excludesCurrentUser = true;
      }
      const isLength = (node: unknown) => memberChain(node)?.at(-1) === 'length';
      const number = n.NumericLiteral.check(right) ? right.value : n.NumericLiteral.check(left) ? left.value : null;
      if (LENGTH_LIMITS.has(operator) && (isLength(left) || isLength(right)) && number !== null) {
        // `length > 1`, `=== 1`, `!== 2`, …: the rule decides what to do with several matches.
        const bound = operator === '>' || operator === '<=' ? number : operator === '>=' || operator === '<' ? number - 1 : number;
        if (bound >= 1) signals.choosesDeterministically = true;
      }
    } else if (isCallType(type)) {
      const node = value as unknown as K.CallExpression;
      const chain = memberChain(node.callee);
      if (chain?.[0] === 'console') {
        const names = (tokenNames ??= findTokenNames());
        // With no token variable only the token texts can match: printed when an argument may hold one.
        const printed = names.length > 0 || node.arguments.some((a) => mayPrint(a, /accessToken|access_token/)) ? node.arguments.map((a) => recast.print(a as K.Node).code).join(' ') : '';
        if (/auth0\.accessToken|access_token/.test(printed) || names.some((name) => new RegExp(`\\b${name}\\b`).test(printed))) {
          signals.tokenLogs.push(node);
        }
      }
    }
  });
  // The candidates come back without the current user only when the search excludes it.
  if (operations.some((op) => op.endpoint.kind === 'search' && op.endpoint.q && mayPrint(op.endpoint.q, /user_id/) && /user_id/.test(recast.print(op.endpoint.q).code))) {
    signals.excludesCurrentUser = true;
  }
  return signals;
}

/**
 * False when the printed `node` cannot match `text` (which must not span two tokens, nor match what
 * recast prints from node types alone): no name, operator, literal or template under it matches, and
 * no comment is attached (not looked into). Most nodes then need no print.
 */
function mayPrint(node: unknown, text: RegExp): boolean {
  return someNode(node, (value) => {
    const record = value as unknown as Record<string, unknown>;
    if (record.comments) return true;
    for (const key in record) {
      const field = record[key];
      if (typeof field === 'string' && text.test(field)) return true;
    }
    const raw = (record.extra as { raw?: unknown } | undefined)?.raw;
    if (typeof raw === 'string' && text.test(raw)) return true;
    const template = record.type === 'TemplateElement' ? (record.value as { raw?: unknown; cooked?: unknown } | undefined) : undefined;
    return Boolean(template) && (text.test(String(template!.raw)) || text.test(String(template!.cooked)));
  });
}

/** `node` sits in the test of an if or `?:` of the rule's own flow (`ancestors`: nearest last). */
function insideTest(node: unknown, ancestors: readonly unknown[]): boolean {
  let current = node;
  for (let i = ancestors.length - 1; i >= 0; i--) {
    const parent = ancestors[i];
    if ((n.IfStatement.check(parent) || n.ConditionalExpression.check(parent)) && parent.test === current) return true;
    if (n.Function.check(parent)) return false;
    current = parent;
  }
  return false;
}

/** The email reaches a search query or URL as raw text: quotes or `&` in it change what is searched. */
export function unescapedEmail(op: Operation, userName: string | undefined): boolean {
  const endpoint = op.endpoint;
  if (endpoint.kind === 'by-email') return !endpoint.encoded;
  if (endpoint.kind !== 'search' || !endpoint.q) return false;
  let raw = false;
  visit(endpoint.q, {
    visitMemberExpression(path) {
      const chain = memberChain(path.node);
      if (chain && chain[0] === userName && chain.includes('email')) raw = true;
      return false;
    },
    visitIdentifier(path) {
      if (/email/i.test(path.node.name)) raw = true;
      return false;
    },
  });
  return raw;
}
