// Security signals of a linking rule (rules-to-actions.md §13, rule-patterns.md §17), read from the
// rule as written. Pure: returns what is missing; the transform reports it.
import * as recast from 'recast';
import { memberChain, n } from '../../src/ast.js';
import type { Node, RuleShape } from '../../src/types.js';
import type { Operation } from './operations.js';

import type { namedTypes as K } from 'ast-types';
import { visit } from '../../src/visit.js';

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
  const tokenNames = new Set<string>();

  visit(rule.body, {
    visitVariableDeclarator(path) {
      const { id, init } = path.node;
      if (n.Identifier.check(id) && init && /auth0\.accessToken|Bearer/.test(recast.print(init).code)) tokenNames.add(id.name);
      this.traverse(path);
    },
  });

  visit(rule.body, {
    visitMemberExpression(path) {
      const node = path.node;
      const key = n.Identifier.check(node.property) && !node.computed ? node.property.name : null;
      if (key === 'email_verified') {
        if (isUserField(node, 'email_verified')) signals.verifiesCurrentUser = true;
        else signals.verifiesCandidates = true;
      }
      if (key === 'sort' && n.CallExpression.check(path.parent?.node)) signals.choosesDeterministically = true;
      const chain = memberChain(node);
      if (chain && (chain.includes('loginsCount') || chain.includes('app_metadata') || chain.includes('primaryUser') || (chain.at(-1) === 'length' && chain.includes('identities')))) {
        if (insideTest(path)) signals.guardsSearch = true;
      }
      // x.split('|')[1]
      if (node.computed && n.NumericLiteral.check(node.property) && node.property.value === 1 && n.CallExpression.check(node.object)) {
        const callee = node.object.callee;
        const [separator] = node.object.arguments;
        if (n.MemberExpression.check(callee) && n.Identifier.check(callee.property) && callee.property.name === 'split' && n.StringLiteral.check(separator) && separator.value === '|') {
          signals.splitIds.push(node);
        }
      }
      this.traverse(path);
    },
    visitObjectPattern(path) {
      for (const property of path.node.properties) {
        if ((n.ObjectProperty.check(property) || n.Property.check(property)) && n.Identifier.check(property.key) && property.key.name === 'email_verified') {
          signals.verifiesCandidates = true;
        }
      }
      this.traverse(path);
    },
    visitStringLiteral(path) {
      if (/email_verified/.test(path.node.value)) signals.verifiesCandidates = true;
      if (/user_id/.test(path.node.value) && /(-|NOT\s+)user_id/.test(path.node.value)) signals.excludesCurrentUser = true;
      this.traverse(path);
    },
    visitBinaryExpression(path) {
      const { left, right, operator } = path.node;
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
      this.traverse(path);
    },
    visitCallExpression(path) {
      const chain = memberChain(path.node.callee);
      if (chain?.[0] === 'console') {
        const printed = path.node.arguments.map((a) => recast.print(a as K.Node).code).join(' ');
        const names = [...tokenNames];
        if (/auth0\.accessToken|access_token/.test(printed) || names.some((name) => new RegExp(`\\b${name}\\b`).test(printed))) {
          signals.tokenLogs.push(path.node);
        }
      }
      this.traverse(path);
    },
  });
  // The candidates come back without the current user only when the search excludes it.
  if (operations.some((op) => op.endpoint.kind === 'search' && op.endpoint.q && /user_id/.test(recast.print(op.endpoint.q).code))) {
    signals.excludesCurrentUser = true;
  }
  return signals;
}

function insideTest(path: recast.types.NodePath): boolean {
  for (let current = path; current.parent; current = current.parent) {
    const parent = current.parent.node;
    if ((n.IfStatement.check(parent) || n.ConditionalExpression.check(parent)) && parent.test === current.node) return true;
    if (n.Function.check(parent)) return false;
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
