/**
 * The subset of the user search `q` syntax (Lucene query string, search engine v3) that linking rules
 * use: `field:"value"`, `field:value`, `*` wildcards, `AND`/`OR`/`NOT`, `+`/`-`, parentheses.
 * Clause semantics follow Lucene's classic parser with the default operator OR: AND makes both
 * neighbours required, `-`/NOT prohibits, plain terms are optional (at least one must match when
 * nothing is required). A query of only prohibited clauses matches everything else, as Elasticsearch
 * does. Anything else (ranges, fuzzy, boosts) is rejected so a test never passes on a guess.
 */
import type { TenantUser } from './types.js';

export type Occur = 'must' | 'should' | 'not';
export type QueryNode =
  | { kind: 'term'; field: string | null; value: string; quoted: boolean }
  | { kind: 'group'; clauses: Array<{ occur: Occur; node: QueryNode }> };

export class QuerySyntaxError extends Error {}

/** Fields the v3 index normalises: their values compare case-insensitively (Auth0 "User Search Query Syntax"). */
const CASE_INSENSITIVE = new Set(['email', 'name', 'given_name', 'family_name', 'nickname']);
const BARE_TERM_FIELDS = ['email', 'name', 'given_name', 'family_name', 'nickname', 'user_id'];

export function parseQuery(q: string): QueryNode {
  let pos = 0;
  const skipSpace = () => {
    while (pos < q.length && /\s/.test(q[pos])) pos++;
  };
  const readWord = (): string => {
    let word = '';
    while (pos < q.length && !/[\s()]/.test(q[pos])) {
      if (q[pos] === '\\' && pos + 1 < q.length) pos++;
      word += q[pos++];
    }
    return word;
  };
  const readQuoted = (): string => {
    pos++; // opening quote
    let value = '';
    while (pos < q.length && q[pos] !== '"') {
      if (q[pos] === '\\' && pos + 1 < q.length) pos++;
      value += q[pos++];
    }
    if (q[pos] !== '"') throw new QuerySyntaxError(`unterminated quote in q=${q}`);
    pos++;
    return value;
  };

  const parseGroup = (closing: boolean): QueryNode => {
    const clauses: Array<{ occur: Occur; node: QueryNode }> = [];
    let conjunction: 'and' | 'or' | null = null;
    for (;;) {
      skipSpace();
      if (pos >= q.length) {
        if (closing) throw new QuerySyntaxError(`missing ")" in q=${q}`);
        break;
      }
      if (q[pos] === ')') {
        if (!closing) throw new QuerySyntaxError(`unexpected ")" in q=${q}`);
        pos++;
        break;
      }
      if (q.startsWith('AND', pos) && /[\s(]/.test(q[pos + 3] ?? ' ')) {
        conjunction = 'and';
        pos += 3;
        continue;
      }
      if (q.startsWith('OR', pos) && /[\s(]/.test(q[pos + 2] ?? ' ')) {
        conjunction = 'or';
        pos += 2;
        continue;
      }
      let modifier: 'req' | 'not' | null = null;
      if (q[pos] === '+' || q[pos] === '-') {
        modifier = q[pos] === '+' ? 'req' : 'not';
        pos++;
      } else if (q.startsWith('NOT', pos) && /[\s(]/.test(q[pos + 3] ?? ' ')) {
        modifier = 'not';
        pos += 3;
        skipSpace();
      }
      const node = parseClause();
      // Lucene classic addClause with default operator OR.
      const previous = clauses[clauses.length - 1];
      if (previous && conjunction === 'and' && previous.occur !== 'not') previous.occur = 'must';
      const occur: Occur =
        modifier === 'not' ? 'not' : modifier === 'req' || conjunction === 'and' ? 'must' : 'should';
      clauses.push({ occur, node });
      conjunction = null;
    }
    return { kind: 'group', clauses };
  };

  const parseClause = (): QueryNode => {
    if (q[pos] === '(') {
      pos++;
      return parseGroup(true);
    }
    if (q[pos] === '"') return { kind: 'term', field: null, value: readQuoted(), quoted: true };
    const start = pos;
    let field = '';
    while (pos < q.length && !/[\s():"]/.test(q[pos])) field += q[pos++];
    if (q[pos] === ':') {
      pos++;
      // Lucene's classic parser skips whitespace between tokens: `email_verified: "true"` is a field query.
      skipSpace();
      if (q[pos] === '"') return { kind: 'term', field, value: readQuoted(), quoted: true };
      if (q[pos] === '(' || q[pos] === '[' || q[pos] === '{') {
        throw new QuerySyntaxError(`unsupported query form at "${q.slice(start)}"`);
      }
      const value = readWord();
      if (value === '') throw new QuerySyntaxError(`empty value for ${field} in q=${q}`);
      assertPlainValue(value, q);
      return { kind: 'term', field, value, quoted: false };
    }
    pos = start;
    const value = readWord();
    if (value === '') throw new QuerySyntaxError(`unexpected "${q[pos]}" in q=${q}`);
    assertPlainValue(value, q);
    return { kind: 'term', field: null, value, quoted: false };
  };

  const root = parseGroup(false);
  if (root.kind === 'group' && root.clauses.length === 0) throw new QuerySyntaxError('empty q');
  return root;
}

function assertPlainValue(value: string, q: string): void {
  if (/[~^]/.test(value)) throw new QuerySyntaxError(`unsupported fuzzy/boost term "${value}" in q=${q}`);
}

export function matchesQuery(node: QueryNode, user: TenantUser): boolean {
  if (node.kind === 'term') return matchTerm(node, user);
  const must = node.clauses.filter((c) => c.occur === 'must');
  const should = node.clauses.filter((c) => c.occur === 'should');
  const not = node.clauses.filter((c) => c.occur === 'not');
  if (not.some((c) => matchesQuery(c.node, user))) return false;
  if (!must.every((c) => matchesQuery(c.node, user))) return false;
  if (must.length === 0 && should.length > 0) return should.some((c) => matchesQuery(c.node, user));
  return true;
}

function matchTerm(term: Extract<QueryNode, { kind: 'term' }>, user: TenantUser): boolean {
  const fields = term.field === null ? BARE_TERM_FIELDS : [term.field === 'email.raw' ? 'email' : term.field];
  return fields.some((field) => {
    // `email.raw` was the v2 exact-case field.
    const caseInsensitive = CASE_INSENSITIVE.has(field) && term.field !== 'email.raw';
    return valuesAt(user, field.split('.')).some((candidate) =>
      valueMatches(candidate, term.value, !term.quoted, caseInsensitive),
    );
  });
}

/** Values at a dotted path; arrays at any level are searched element by element. */
function valuesAt(value: unknown, path: string[]): unknown[] {
  if (Array.isArray(value)) return value.flatMap((item) => valuesAt(item, path));
  if (path.length === 0) return value === undefined || value === null ? [] : [value];
  if (typeof value !== 'object' || value === null) return [];
  return valuesAt((value as Record<string, unknown>)[path[0]], path.slice(1));
}

function valueMatches(candidate: unknown, wanted: string, wildcards: boolean, caseInsensitive: boolean): boolean {
  if (typeof candidate === 'object') return false;
  let text = String(candidate);
  let pattern = wanted;
  if (caseInsensitive) {
    text = text.toLowerCase();
    pattern = pattern.toLowerCase();
  }
  if (!wildcards || !/[*?]/.test(pattern)) return text === pattern;
  const regex = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${regex}$`, 's').test(text);
}
