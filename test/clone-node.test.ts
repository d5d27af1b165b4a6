/**
 * src/nodes.ts `cloneNode`: the copy callback-to-return's trial and every code template are made of.
 * It must be a separate tree with the same keys, linked to the parsed nodes through `original` (read
 * by recast and by print) without showing that link to key listings, so it prints as the rule did.
 */
import * as recast from 'recast';
import { describe, expect, it } from 'vitest';
import { cloneNode } from '../src/nodes.js';
import { parse, print } from '../src/parse.js';
import type { File } from '../src/types.js';
import { walk } from '../src/walk.js';

type AnyNode = Record<string, unknown>;

// Odd spacing and a comment: reprinting would normalise them, reusing the parsed text keeps them.
const source = 'function rule(user, context, callback) {\n  var  a = { x : 1 };   // keep\n  if (a.x) {   callback(null,user,context); }\n}\n';

const nodesOf = (root: unknown): AnyNode[] => {
  const found: AnyNode[] = [];
  walk(root, (node) => {
    found.push(node);
  });
  return found;
};

describe('cloneNode', () => {
  const ast = parse(source);
  const copy = cloneNode(ast);
  const originals = nodesOf(ast);
  const copies = nodesOf(copy);

  it('copies every node, in the same order, with the same keys', () => {
    expect(copies).toHaveLength(originals.length);
    copies.forEach((node, i) => {
      expect(node).not.toBe(originals[i]);
      expect(Object.keys(node)).toEqual(Object.keys(originals[i]));
    });
  });

  it('links each copy to the parsed node, where key listings do not see it', () => {
    copies.forEach((node, i) => {
      expect(node.original).toBe(originals[i].original);
      expect(Object.keys(node)).not.toContain('original');
      expect(Object.entries(node).map(([key]) => key)).not.toContain('original');
      const inKeys: string[] = [];
      for (const key in node) inKeys.push(key);
      expect(inKeys).not.toContain('original');
    });
  });

  it('keeps the link writable, as recast\'s own is', () => {
    const node = cloneNode((ast as File).program.body[0]) as unknown as AnyNode;
    node.original = null;
    expect(node.original).toBeNull();
  });

  it('prints as the parsed rule, with recast and with our print', () => {
    expect(recast.print(copy).code).toBe(source);
    expect(print(copy, '\n')).toBe(source);
  });

  it('leaves the parsed tree alone when the copy is edited', () => {
    const edited = cloneNode(ast);
    nodesOf(edited).forEach((node) => {
      if (node.type === 'Identifier' && node.name === 'callback') node.name = 'done';
    });
    expect(recast.print(ast).code).toBe(source);
    expect(print(edited, '\n')).toContain('done(null,user,context)');
  });

  it('a spread copy has no link, as before', () => {
    const node = cloneNode((ast as File).program.body[0]) as unknown as AnyNode;
    expect({ ...node }.original).toBeUndefined();
  });
});
