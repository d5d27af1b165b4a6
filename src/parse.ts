import type { ParserOptions } from '@babel/parser';
import { createRequire } from 'node:module';
import * as recast from 'recast';
import type { File } from './types.js';
import { walk } from './walk.js';

// required, not imported: Node's ESM loader scans a CommonJS module's whole source for its export names,
// ~25 ms of every cold start for @babel/parser's 500 KB bundle.
const babelParser: typeof import('@babel/parser') = createRequire(import.meta.url)('@babel/parser');

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
    return /['"]use /.test(source) ? directivesToStatements(ast) : ast;
  },
};

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
  forgetForeignCommentLocations(ast);
  return recast.print(ast, { lineTerminator, quote: 'single', reuseWhitespace: true }).code;
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
function forgetForeignCommentLocations(ast: File): void {
  walk(ast.program, (node) => {
    const { loc, comments } = node as Located;
    for (const comment of comments ?? []) {
      if (comment.loc && loc?.lines && comment.loc.lines !== loc.lines) comment.loc = null;
    }
  });
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
