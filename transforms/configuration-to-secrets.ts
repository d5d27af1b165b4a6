import { memberExpression, n, type NodePath } from '../src/ast.js';
import { bindingOwner, isGlobalReference, isReference } from '../src/ast/scope.js';
import { assignmentAt, isDeclaratorId, staticKey } from '../src/context-writes.js';
import type { Node, Transform, TransformContext } from '../src/types.js';
import { containsIdentifier } from '../src/nodes.js';
import { visit } from '../src/visit.js';

/**
 * The Rules global `configuration` becomes `event.secrets` (MIG "Change handling of secrets").
 * Each key read is named as a secret of the Action, so the report says what to set up. A local
 * variable called `configuration` is not the global and is left alone.
 */
export const configurationToSecrets: Transform = {
  id: 'configuration-to-secrets',
  description: 'configuration.KEY → event.secrets.KEY; each key named as an Action secret',
  safety: 'safe',
  relevant: /configuration/,
  messages: {
    secret: {
      severity: 'info',
      text: 'configuration.{{name}} is the Action secret {{name}}: create it (with its value) before deploying.',
    },
    'dynamic-secret': {
      severity: 'warning',
      text: 'A secret is read by a computed name here; the report cannot name it: create every secret this code may read.',
    },
    'whole-configuration': {
      severity: 'warning',
      text: 'The whole configuration object is used here; it is event.secrets in the Action, which holds only the secrets created for this Action{{named}}.',
    },
    'secret-written': {
      severity: 'warning',
      text: 'The rule changes configuration.{{name}} here; event.secrets is configuration: keep the changed value in a local variable instead.',
    },
  },
  apply(ctx) {
    const { rule } = ctx;
    // The text names it, but an earlier transform (account linking) may have replaced every use.
    if (!containsIdentifier(rule.fn, ['configuration'])) return;
    const named = new Set<string>();
    const name = (key: string, node: Node) => {
      ctx.addSecret(key);
      if (!named.has(key)) ctx.report({ node, code: 'secret', data: { name: key } });
      named.add(key);
    };
    visit(rule.fn, {
      visitIdentifier(path) {
        if (!isGlobalReference(path, 'configuration', rule)) return this.traverse(path);
        const use = classify(path);
        switch (use.kind) {
          case 'key':
            // A key the rule only writes is not a secret it needs.
            if (use.written) ctx.report({ node: use.node, code: 'secret-written', data: { name: use.key } });
            else name(use.key, use.node);
            break;
          case 'keys':
            for (const key of use.keys) name(key, use.node);
            if (use.dynamic) ctx.report({ node: use.node, code: 'dynamic-secret' });
            break;
          case 'dynamic':
            ctx.report({ node: use.node, code: 'dynamic-secret' });
            break;
          case 'whole': {
            const keys = aliasKeys(ctx, path);
            ctx.report({ node: path.node, code: 'whole-configuration', data: { named: keys.length ? ` (it reads ${keys.join(', ')})` : '' } });
            for (const key of keys) name(key, path.node);
            break;
          }
        }
        replaceWithSecrets(path);
        return false;
      },
    }, (node) => node.name === 'configuration');
  },
};

type Use =
  | { kind: 'key'; key: string; node: Node; written: boolean }
  | { kind: 'keys'; keys: string[]; dynamic: boolean; node: Node }
  | { kind: 'dynamic'; node: Node }
  | { kind: 'whole' };

/** How the global is used at `path`: one key, several (destructuring, `in`), a computed key, or as a whole. */
function classify(path: NodePath): Use {
  const parent = path.parent?.node;
  if (n.MemberExpression.check(parent) && path.name === 'object') {
    const key = staticKey(parent);
    if (key === null) return { kind: 'dynamic', node: parent };
    const written = Boolean(assignmentAt(path.parent)) || n.UpdateExpression.check(path.parent.parent?.node) || isDelete(path.parent);
    return { kind: 'key', key, node: parent, written };
  }
  if (n.BinaryExpression.check(parent) && parent.operator === 'in' && path.name === 'right') {
    const key = n.StringLiteral.check(parent.left) ? parent.left.value : null;
    return key === null ? { kind: 'dynamic', node: parent } : { kind: 'keys', keys: [key], dynamic: false, node: parent };
  }
  if (n.VariableDeclarator.check(parent) && path.name === 'init' && n.ObjectPattern.check(parent.id)) {
    const keys: string[] = [];
    let dynamic = false;
    for (const property of parent.id.properties) {
      const key = n.ObjectProperty.check(property) || n.Property.check(property) ? propertyKey(property) : null;
      if (key === null) dynamic = true;
      else keys.push(key);
    }
    return { kind: 'keys', keys, dynamic, node: parent };
  }
  return { kind: 'whole' };
}

function propertyKey(property: { key: unknown; computed?: boolean }): string | null {
  if (!property.computed && n.Identifier.check(property.key)) return property.key.name;
  if (n.StringLiteral.check(property.key)) return property.key.value;
  return null;
}

function isDelete(path: NodePath): boolean {
  const parent = path.parent?.node;
  return n.UnaryExpression.check(parent) && parent.operator === 'delete';
}

/** `const config = configuration;` → the keys read through `config.KEY`, so they are named too. */
function aliasKeys(ctx: TransformContext, path: NodePath): string[] {
  const declarator = path.parent?.node;
  if (!n.VariableDeclarator.check(declarator) || path.name !== 'init' || !n.Identifier.check(declarator.id)) return [];
  const alias = declarator.id.name;
  const owner = bindingOwner(path.parent.get('id'), alias, ctx.rule.fn);
  const keys: string[] = [];
  visit(ctx.rule.fn, {
    visitIdentifier(use) {
      if (use.node.name === alias && isReference(use) && !isDeclaratorId(use) && bindingOwner(use, alias, ctx.rule.fn) === owner) {
        const member = use.parent?.node;
        const key = n.MemberExpression.check(member) && use.name === 'object' ? staticKey(member) : null;
        if (key !== null && !keys.includes(key)) keys.push(key);
      }
      this.traverse(use);
    },
  });
  return keys;
}

function replaceWithSecrets(path: NodePath) {
  const parent = path.parent?.node;
  // `{ configuration }` keeps its property name.
  if ((n.ObjectProperty.check(parent) || n.Property.check(parent)) && parent.shorthand) parent.shorthand = false;
  path.replace(memberExpression('event.secrets'));
}
