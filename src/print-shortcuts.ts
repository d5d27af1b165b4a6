import { createRequire } from 'node:module';
import * as recast from 'recast';

/**
 * recast asks `getReprinter` (recast/lib/patcher) of every node it prints whether the node's text
 * can be reused; its printer reads the function from the module's exports at each call (recast is
 * pinned: these internal modules are 0.23.21's). Three answers are known without its comparison,
 * which walks the node's fields through ast-types:
 * - a parsed node printed in place of its copy (src/parse.ts swaps them) is equal to itself: its
 *   text, with parentheses if its place needs them; printed generically if it needs parentheses it
 *   did not have, as recast does;
 * - a new identifier with no type annotation, `?` or decorator prints as its name, which is what
 *   recast's generic printer makes of it (an identifier never needs parentheses);
 * - an absent child (a null type annotation, an arrow's missing return type...) prints as nothing.
 * Anything else goes to recast's own function.
 */

interface Lines {
  indentTail(by: number): Lines;
}
interface Loc {
  lines?: Lines;
  indent: number;
}
interface PrintedNode {
  type?: string;
  original?: PrintedNode | null;
  loc?: Loc | null;
  name?: unknown;
  optional?: unknown;
  typeAnnotation?: unknown;
  decorators?: unknown[] | null;
}
interface FastPath {
  getValue(): unknown;
  needsParens(): boolean;
  hasParens(): boolean;
}
type Reprinter = (print: unknown) => Lines;
type GetReprinter = (path: FastPath) => Reprinter | undefined;

const require = createRequire(import.meta.url);
const patcher = require('recast/lib/patcher.js') as { getReprinter: GetReprinter; Patcher: new (lines: Lines) => { get(loc: Loc): Lines } };
const linesModule = require('recast/lib/lines.js') as { concat(parts: Array<Lines | string>): Lines; fromString(text: string): Lines };
const recastGetReprinter = patcher.getReprinter;
const { Printable } = recast.types.namedTypes;
const LINE_BREAK_OR_TAB = /[\t\n\r\u2028\u2029]/;

function getReprinter(path: FastPath): Reprinter | undefined {
  const node = path.getValue() as PrintedNode | null | undefined;
  if (node === null || node === undefined) return printsNothing;
  if (typeof node === 'object') {
    const original = node.original;
    if (original === node) return ownText(path, node);
    if (!original && node.type === 'Identifier' && plainName(node)) {
      const name = node.name as string;
      return () => linesModule.fromString(name);
    }
  }
  return recastGetReprinter(path);
}

const printsNothing = () => linesModule.fromString('');

/** What recast's comparison finds for a node equal to its original: no reprints, or generic print when new parentheses are needed. */
function ownText(path: FastPath, node: PrintedNode): Reprinter | undefined {
  if (!Printable.check(node)) return undefined;
  const loc = node.loc;
  const lines = loc?.lines;
  if (!loc || !lines) return undefined;
  const parens = path.needsParens();
  if (parens && !new (path.constructor as new (value: unknown) => FastPath)(node).hasParens()) return undefined;
  return () => {
    const text = new patcher.Patcher(lines).get(loc).indentTail(-loc.indent);
    return parens ? linesModule.concat(['(', text, ')']) : text;
  };
}

function plainName(node: PrintedNode): boolean {
  return typeof node.name === 'string' && node.name !== '' && !node.optional && !node.typeAnnotation && !node.decorators?.length && !LINE_BREAK_OR_TAB.test(node.name);
}

/** Runs `print` with the shortcuts in place; recast is left as it was after, also when printing throws. */
export function withPrintShortcuts<T>(print: () => T): T {
  const before = patcher.getReprinter;
  patcher.getReprinter = getReprinter;
  try {
    return print();
  } finally {
    patcher.getReprinter = before;
  }
}
