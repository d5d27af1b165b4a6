import type { ParserOptions } from '@babel/parser';
import { babelParser } from './babel-parser.js';
import { withPrintShortcuts } from './print-shortcuts.js';
import * as recast from 'recast';
import type { File } from './types.js';

const babelOptions: ParserOptions = {
  sourceType: 'script',
  allowReturnOutsideFunction: true,
  allowAwaitOutsideFunction: true,
  errorRecovery: false,
  // recast attaches comments itself (node.comments); Babel's leading/trailing copies only made every
  // reprint compare them.
  attachComment: false,
  tokens: true,
  plugins: [],
};

const parser = {
  parse(source: string) {
    const ast = babelParser.parse(source, babelOptions);
    // recast gives a token without a text value (punctuators, numbers, regexes) its text through
    // Lines#sliceString, which builds its whole options object per call (1.3% of a migration). The
    // same text for a one-line token is the slice of what the parser read.
    for (const token of ast.tokens as BabelToken[]) {
      if (typeof token.value !== 'string' && token.loc.start.line === token.loc.end.line) token.value = source.slice(token.start, token.end);
    }
    return /['"]use /.test(source) ? directivesToStatements(ast) : ast;
  },
};

interface BabelToken {
  value?: unknown;
  start: number;
  end: number;
  loc: { start: { line: number }; end: { line: number } };
}

interface DirectiveHolder {
  type: string;
  directives?: Array<{ value: object; loc: object; start: number; end: number }>;
  body?: unknown;
}

// recast prints a reprinted Babel `Directive` with a second semicolon ('use strict';;).
// As plain expression statements they print exactly as written.
function directivesToStatements<T>(ast: T): T {
  const stack: unknown[] = [ast];
  while (stack.length) {
    const node = stack.pop();
    if (!node || typeof node !== 'object') continue;
    if (Array.isArray(node)) {
      stack.push(...node);
      continue;
    }
    const holder = node as DirectiveHolder;
    if (holder.directives?.length && Array.isArray(holder.body)) {
      const statements = holder.directives.map((d) => ({
        type: 'ExpressionStatement',
        expression: { ...d.value, type: 'StringLiteral' },
        loc: d.loc,
        start: d.start,
        end: d.end,
      }));
      holder.body.unshift(...statements);
      holder.directives = [];
    }
    for (const [key, value] of Object.entries(node)) {
      if (key !== 'loc' && key !== 'tokens' && key !== 'comments' && value && typeof value === 'object') stack.push(value);
    }
  }
  return ast;
}

/** recast keeps the original text of every node the transforms leave alone. */
export function parse(source: string): File {
  return recast.parse(source, { parser }) as File;
}

export function print(ast: File, lineTerminator: string): string {
  const swaps = unchangedSubtrees(ast);
  for (const swap of swaps) swap.holder[swap.key] = swap.node.original;
  try {
    return withPrintShortcuts(() => recast.print(ast, { lineTerminator, quote: 'single', reuseWhitespace: true }).code);
  } finally {
    for (let i = swaps.length - 1; i >= 0; i--) swaps[i].holder[swaps[i].key] = swaps[i].node;
  }
}

type Copy = { [key: string]: unknown; original?: Copy | null };
interface Swap {
  holder: Record<string | number, unknown>;
  key: string | number;
  node: Copy;
}

/**
 * recast finds what to reprint by comparing the whole tree with the parsed one, field by field
 * through ast-types, again under every node it reprints: about half of a rule's print. The same
 * answer is found here once, with plain property reads: every largest subtree equal to what was
 * parsed is put back as the parsed node itself, where recast's comparison stops at `===` and the
 * printer copies its text. The tree is restored after printing.
 */
function unchangedSubtrees(ast: File): Swap[] {
  const swaps: Swap[] = [];
  sameAsOriginal(ast as unknown as Copy, swaps);
  return swaps;
}

function sameAsOriginal(node: Copy, swaps: Swap[]): boolean {
  forgetForeignCommentLocations(node as Located);
  const original = node.original;
  const mark = swaps.length;
  const keys = Object.keys(node);
  let same = !!original && keys.length === Object.keys(original).length;
  for (const key of keys) {
    const value = node[key];
    const before = original?.[key];
    if (value === null || typeof value !== 'object' || key === 'loc' || key === 'tokens') {
      if (value !== before) same = false;
    } else if (Array.isArray(value)) {
      if (!sameItems(value, before, swaps)) same = false;
    } else if (!sameChild(node, key, before, swaps)) same = false;
  }
  // An equal node is swapped whole by its parent: what was found under it is not needed.
  if (same) swaps.length = mark;
  return same;
}

function sameItems(items: unknown[], before: unknown, swaps: Swap[]): boolean {
  let same = Array.isArray(before) && before.length === items.length;
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    if (item === null || typeof item !== 'object') {
      if (!same || item !== (before as unknown[])[i]) same = false;
    } else if (!sameChild(items as unknown as Record<number, unknown>, i, same ? (before as unknown[])[i] : undefined, swaps)) same = false;
  }
  return same;
}

function sameChild(holder: Record<string | number, unknown>, key: string | number, before: unknown, swaps: Swap[]): boolean {
  const child = holder[key] as Copy;
  if (!sameAsOriginal(child, swaps)) return false;
  // Every parsed node under a swap too: recast prints a node whose place needs new parentheses generically, its children from their text.
  setOwnOriginal(child.original as Copy);
  swaps.push({ holder, key, node: child });
  return child.original === before;
}

interface Located {
  loc?: { lines?: unknown } | null;
  comments?: Located[] | null;
}

/**
 * A comment moved onto a node parsed from another text (a code template) has a location in the
 * rule's text: recast would measure it against the template's lines and crash. Such a comment is
 * printed as a new one.
 */
function forgetForeignCommentLocations({ loc, comments }: Located): void {
  if (!comments || !loc?.lines) return;
  for (const comment of comments) {
    if (comment.loc && comment.loc.lines !== loc.lines) comment.loc = null;
  }
}

/** A parsed node printed in place of its copy reprints from its own text (recast reads `original`). */
function setOwnOriginal(node: Copy): void {
  if (node.original !== node) Object.defineProperty(node, 'original', { value: node, enumerable: false, writable: true, configurable: true });
}

export interface SyntaxProblem {
  message: string;
  line: number;
  column: number;
  /** The parser ran out of stack: the text may be valid, it is only too deeply nested. */
  tooDeep?: boolean;
}

/** Babel reports 0-based columns; findings use 1-based ones. */
export function toSyntaxProblem(error: unknown): SyntaxProblem {
  const e = error as { message?: string; loc?: { line: number; column: number } };
  const message = String(e.message ?? error).replace(/\s*\(\d+:\d+\)$/, '');
  return { message, line: e.loc?.line ?? 1, column: (e.loc?.column ?? 0) + 1, ...(error instanceof RangeError ? { tooDeep: true } : {}) };
}

/** Parses without recast's bookkeeping: used to check that emitted code is valid. */
export function checkSyntax(source: string): SyntaxProblem | null {
  try {
    babelParser.parse(source, { ...babelOptions, tokens: false });
    return null;
  } catch (error) {
    return toSyntaxProblem(error);
  }
}
