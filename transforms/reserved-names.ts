import * as recast from 'recast';
import { b, n } from '../src/ast.js';
import { declares, isReference } from '../src/ast/scope.js';
import { identifiersIn } from '../src/nodes.js';
import type { Transform } from '../src/types.js';
import { visit } from '../src/visit.js';
import { someNode } from '../src/walk.js';

const RESERVED = ['event', 'api'] as const;

/**
 * The Action's handler takes `(event, api)`. A rule that has variables of those names would shadow
 * them (or clash with them), and every `event.user…` written by later transforms would read the
 * rule's variable instead. Runs first: such variables are renamed before anything refers to event.
 */
export const reservedNames: Transform = {
  id: 'reserved-names',
  description: 'Renames rule variables called event or api, which the handler parameters need',
  safety: 'safe',
  relevant: /\b(?:event|api)\b/,
  messages: {
    renamed: { severity: 'info', text: 'The rule\'s own `{{name}}` is renamed `{{renamed}}`: the Action\'s handler parameter is called {{name}}.' },
  },
  apply(ctx) {
    const { rule } = ctx;
    // A declaration needs an identifier of that name; the text often has the word only in a string.
    const present = identifiersIn(rule.body, RESERVED);
    for (const name of RESERVED) {
      // Only the scopes declares() knows can declare: a plain scan, no NodePaths.
      const declared = present.has(name) && someNode(rule.body, (node) => declares(node, name));
      if (!declared && !rule.fn.params.some((p) => n.Identifier.check(p) && p.name === name)) continue;
      const renamed = freeName(ctx.ast, `rule${name[0].toUpperCase()}${name.slice(1)}`);
      let first = true;
      visit(rule.body, {
        visitIdentifier(path) {
          if (path.node.name !== name || !isReference(path)) return false;
          if (first) ctx.report({ node: path.node, code: 'renamed', data: { name, renamed } });
          first = false;
          const parent = path.parent?.node;
          if ((n.ObjectProperty.check(parent) || n.Property.check(parent)) && parent.shorthand && parent.value === path.node) {
            parent.shorthand = false;
            parent.key = b.identifier(name);
          }
          path.replace(b.identifier(renamed));
          return false;
        },
      });
    }
  },
};

function freeName(ast: unknown, base: string): string {
  const used = new Set<string>();
  visit(ast as recast.types.namedTypes.File, {
    visitIdentifier(path) {
      used.add(path.node.name);
      return false;
    },
  });
  let candidate = base;
  for (let i = 2; used.has(candidate); i++) candidate = `${base}${i}`;
  return candidate;
}
