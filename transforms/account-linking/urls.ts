// Management API URLs, from the pieces src/ast/values.ts evaluates them to: the base (auth0.baseUrl,
// a hard-coded https://<tenant>/api/v2, a domain expression or a keyword token), the path and its query.
import * as recast from 'recast';
import { b, memberChain, n } from '../../src/ast.js';
import type { Expression } from '../../src/types.js';

import type { namedTypes as K } from 'ast-types';

export type Part = { text: string } | { expr: Expression; encoded?: boolean };

/** Masked keyword tokens (src/tokens.ts): `$<n>$___$`, as long as the token. */
export const TOKEN_PLACEHOLDER = /\$[0-9a-z]+\$_*\$?/g;

export type BaseKind = 'base-url' | 'hard-coded' | 'keyword-token' | 'domain';

export interface ManagementUrl {
  base: BaseKind;
  /** The tenant host of a hard-coded URL. */
  host?: string;
  /** Everything after `/api/v2`. */
  path: Part[];
}

function merge(parts: Part[]): Part[] {
  const out: Part[] = [];
  for (const part of parts) {
    const last = out[out.length - 1];
    if ('text' in part && last && 'text' in last) out[out.length - 1] = { text: last.text + part.text };
    else if (!('text' in part && part.text === '')) out.push(part);
  }
  return out;
}

const isChain = (part: Part, chain: string) => 'expr' in part && memberChain(part.expr)?.join('.') === chain;

/** Splits off the `https://<tenant>/api/v2` base; null when the URL is not a Management API URL. */
export function managementUrl(parts: Part[]): ManagementUrl | null {
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i];
    if (isChain(part, 'auth0.baseUrl')) return { base: 'base-url', path: merge(parts.slice(i + 1)) };
    if (!('text' in part)) continue;
    const at = part.text.indexOf('/api/v2');
    if (at >= 0) {
      const before = [...parts.slice(0, i), { text: part.text.slice(0, at) }];
      const rest = merge([{ text: part.text.slice(at + '/api/v2'.length) }, ...parts.slice(i + 1)]);
      const prefix = before.map((p) => ('text' in p ? p.text : '')).join('');
      if (prefix.match(TOKEN_PLACEHOLDER)) return { base: 'keyword-token', path: rest };
      if (before.some((p) => 'expr' in p)) return { base: 'domain', path: rest };
      const host = /^https?:\/\/([^/]+)$/.exec(prefix)?.[1];
      return host ? { base: 'hard-coded', host, path: rest } : null;
    }
    // `##API_URL##/users…`: a keyword token standing for the whole API base.
    const token = /^(\$[0-9a-z]+\$_*\$?)(\/users.*)?$/.exec(part.text);
    if (token && i === 0) return { base: 'keyword-token', path: merge([{ text: token[2] ?? '' }, ...parts.slice(1)]) };
  }
  return null;
}

/** `encodeURIComponent(x)` → x. */
export function unwrapEncode(expr: Expression): { expr: Expression; encoded: boolean } {
  if (n.CallExpression.check(expr) && n.Identifier.check(expr.callee) && expr.callee.name === 'encodeURIComponent' && expr.arguments.length === 1) {
    return { expr: expr.arguments[0] as Expression, encoded: true };
  }
  return { expr, encoded: false };
}

/** `?a=x&b=` + expr … → param → value expression (string pieces kept, encodeURIComponent unwrapped). */
export function parseQuery(parts: Part[]): { params: Map<string, Expression>; encoded: boolean } | null {
  const params = new Map<string, Expression>();
  let encoded = true;
  if (parts.length === 0 || (parts.length === 1 && 'text' in parts[0] && parts[0].text === '')) return { params, encoded };
  const first = parts[0];
  if (!('text' in first) || !first.text.startsWith('?')) return null;
  let key: string | null = null;
  let value: Expression[] = [];
  const flush = () => {
    if (key !== null) params.set(key, concat(value));
    key = null;
    value = [];
  };
  const pieces: Part[] = [{ text: first.text.slice(1) }, ...parts.slice(1)];
  for (const piece of pieces) {
    if ('expr' in piece) {
      if (key === null) return null;
      const unwrapped = piece.encoded ? { expr: piece.expr, encoded: true } : unwrapEncode(piece.expr);
      if (!unwrapped.encoded) encoded = false;
      value.push(unwrapped.expr);
      continue;
    }
    const segments = piece.text.split('&');
    segments.forEach((segment, i) => {
      if (i > 0) flush();
      if (key === null) {
        const eq = segment.indexOf('=');
        if (eq < 0) {
          if (segment !== '') key = segment;
          return;
        }
        key = segment.slice(0, eq);
        segment = segment.slice(eq + 1);
      }
      if (segment !== '') value.push(b.stringLiteral(safeDecode(segment)));
    });
  }
  flush();
  return { params, encoded };
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return text;
  }
}

/** Pieces → one expression: a lone piece as is, several joined with `+`. */
export function concat(pieces: Expression[]): Expression {
  if (pieces.length === 0) return b.stringLiteral('');
  return pieces.slice(1).reduce<Expression>((left, right) => b.binaryExpression('+', left, right), pieces[0]);
}

export function hasTokens(text: string): boolean {
  return text.search(TOKEN_PLACEHOLDER) >= 0;
}

/** Placeholders of masked keyword tokens in a node's source text. */
export function tokensIn(node: unknown): string[] {
  if (!node) return [];
  return recast.print(node as K.Node).code.match(TOKEN_PLACEHOLDER) ?? [];
}
