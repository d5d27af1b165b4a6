// `--module` for tenant helpers, the Action's side: after hoisting, the carried helpers that stand alone
// at module level (they use only each other, the constants carried with them, requires and globals) leave
// the Action for the tenant's shared-helpers Actions Module, and one require takes their place. The
// module itself is put together per tenant from every Action's part (src/emit/module.ts).
import recast from 'recast';
import type { namedTypes as K } from 'ast-types';
import { analyzeScopes } from '../ast/scope.js';
import { b, n } from '../ast.js';
import type { File, Node, Statement } from '../types.js';
import { walk } from '../walk.js';
import { helperOf } from './hoist.js';

export const TENANT_MODULE_NAME = 'rules2actions-tenant-helpers';

/** One helper as the module holds it: its declaration, named as the global was. */
export interface SharedHelper {
  name: string;
  code: string;
  /** A TODO(rules2actions) marker is in it: the helper did not fully convert. */
  failed: boolean;
}

/** What one Action gives the tenant module, and the Action requiring it. */
export interface SharedPart {
  helpers: SharedHelper[];
  /** Module-level declarations the helpers use (carried constants, requires), by name. */
  declarations: Array<{ name: string; code: string }>;
  /** Dependencies now used only by the module (the Action no longer requires them). */
  dropped: string[];
}

export interface Extracted {
  part: SharedPart;
  /** Helpers that stay in the Action, with why. */
  kept: Array<{ name: string; why: string }>;
}

const printed = (statement: Statement) => recast.print(statement as never, { quote: 'single', tabWidth: 2 }).code;

function declaredName(statement: Statement): string | null {
  if (n.FunctionDeclaration.check(statement) && n.Identifier.check(statement.id)) return statement.id.name;
  if (n.VariableDeclaration.check(statement) && statement.declarations.length === 1) {
    const [d] = statement.declarations;
    if (n.VariableDeclarator.check(d) && n.Identifier.check(d.id)) return d.id.name;
  }
  return null;
}

function patternNames(declarator: unknown): string[] {
  const names: string[] = [];
  walk((declarator as K.VariableDeclarator).id, (node, ancestors) => {
    const parent = ancestors[ancestors.length - 1];
    // Property keys are not names it declares (`{ key: name }`).
    if (node.type === 'Identifier' && !(parent?.type === 'ObjectProperty' && parent.key === node && !parent.shorthand)) names.push(node.name as string);
  });
  return [...new Set(names)];
}

/** `const x = require('x')` (or a member of one): the module can have its own copy. */
function requiredModule(statement: Statement): string | null {
  if (!n.VariableDeclaration.check(statement) || statement.declarations.length !== 1) return null;
  let init = (statement.declarations[0] as { init?: unknown }).init;
  while (n.MemberExpression.check(init)) init = init.object;
  if (!n.CallExpression.check(init) || !n.Identifier.check(init.callee) || init.callee.name !== 'require') return null;
  const [arg] = init.arguments;
  return n.StringLiteral.check(arg) && !arg.value.startsWith('actions:') ? arg.value : null;
}

/**
 * Takes the module-level carried helpers out of the Action (`helpers`: local name → global name), with
 * one `require('actions:…')` in their place; null when none can go. Edits `ast`.
 */
export function extractShared(ast: File, helpers: Map<string, string>, constants: Map<string, string>, restore: (text: string) => string): Extracted | null {
  const program = ast.program.body as Statement[];
  const kept: Extracted['kept'] = [];
  const top = new Map<string, Statement>();
  for (const statement of program) {
    const name = declaredName(statement);
    if (name) top.set(name, statement);
    // `const { A, b: B } = require('x')`: each name it declares.
    else if (requiredModule(statement)) for (const id of patternNames((statement as K.VariableDeclaration).declarations[0])) top.set(id, statement);
  }
  for (const [local, global] of helpers) {
    if (!top.has(local)) kept.push({ name: global, why: 'it uses variables of the handler (the rule’s own state), so it stays inside this Action' });
  }
  const candidates = new Map<string, { statement: Statement; free: string[] }>();
  for (const [local, global] of helpers) {
    const statement = top.get(local);
    const found = statement && helperOf(statement);
    if (!statement || !found) continue;
    if (local !== global) {
      kept.push({ name: global, why: `this rule has its own \`${global}\`, so the helper is \`${local}\` here and stays in this Action` });
      continue;
    }
    candidates.set(local, { statement, free: [...analyzeScopes(found.fn as Node).free.keys()].filter((name) => name !== local) });
  }
  // What the module can have its own copy of: requires, carried constants, and module-level functions
  // (carried ones of the defining rule, rulesContext) that use only such things; with what they use.
  const copyable = new Map<string, string[] | null>();
  const copyOf = (name: string): string[] | null => {
    if (copyable.has(name)) return copyable.get(name) ?? null;
    const statement = top.get(name)!;
    if (constants.has(name) || requiredModule(statement)) {
      copyable.set(name, [name]);
      return [name];
    }
    const fn = helperOf(statement);
    copyable.set(name, [name]); // a function calling itself (or a cycle) is fine
    const uses = fn ? [...analyzeScopes(fn.fn as Node).free.keys()].filter((used) => used !== name && top.has(used)) : null;
    const all = uses?.every((used) => !candidates.has(used) && copyOf(used)) ? [name, ...uses.flatMap((used) => copyable.get(used) ?? [])] : null;
    copyable.set(name, all);
    return all;
  };
  // A helper moves when everything it uses is in the module too; repeated until nothing changes.
  const blocked = new Map<string, string>();
  for (let changed = true; changed; ) {
    changed = false;
    for (const [name, { free }] of candidates) {
      if (blocked.has(name)) continue;
      const other = free.find((used) => top.has(used) && (candidates.has(used) ? blocked.has(used) : !copyOf(used)));
      if (other) {
        blocked.set(name, candidates.has(other) ? `it calls \`${other}\`, which stays in this Action` : `it uses \`${other}\`, which this Action declares`);
        changed = true;
      }
    }
  }
  for (const [name, why] of blocked) {
    kept.push({ name: helpers.get(name)!, why });
    candidates.delete(name);
  }
  if (candidates.size === 0) return kept.length ? { part: { helpers: [], declarations: [], dropped: [] }, kept } : null;

  const part: SharedPart = { helpers: [], declarations: [], dropped: [] };
  const needed = new Set<string>();
  for (const [name, { statement, free }] of candidates) {
    const code = restore(printed(statement));
    part.helpers.push({ name, code, failed: code.includes('TODO(rules2actions)') });
    for (const used of free) if (top.has(used) && !candidates.has(used)) for (const copied of copyOf(used)!) needed.add(copied);
  }
  for (const name of [...needed].sort()) part.declarations.push({ name, code: restore(printed(top.get(name)!)) });

  // The require names only the helpers this Action calls itself (the others come with them).
  const inside = new Set<unknown>();
  for (const { statement } of candidates.values()) walk(statement as never, (node) => void inside.add(node));
  const before = analyzeScopes(program as Node[]);
  const names = [...candidates.keys()].filter((name) => before.scope.bindings.get(name)?.references.some((id) => !inside.has(id)));
  const first = Math.min(...[...candidates.values()].map(({ statement }) => program.indexOf(statement)));
  const require = b.variableDeclaration('const', [
    b.variableDeclarator(
      b.objectPattern(names.map((name) => {
        const property = b.objectProperty(b.identifier(name), b.identifier(name));
        property.shorthand = true;
        return property;
      })),
      b.callExpression(b.identifier('require'), [b.stringLiteral(`actions:${TENANT_MODULE_NAME}`)]),
    ),
  ]);
  program.splice(first, 0, require as Statement);
  for (const name of candidates.keys()) program.splice(program.indexOf(candidates.get(name)!.statement), 1);

  // What only the helpers used goes with them: a constant, a require or a function nothing reads any more.
  for (let removed = true; removed; ) {
    removed = false;
    const scopes = analyzeScopes(program as Node[]);
    for (const name of needed) {
      const binding = scopes.scope.bindings.get(name);
      const statement = top.get(name)!;
      if (!binding || binding.references.length > 0 || !program.includes(statement)) continue;
      const module = requiredModule(statement);
      if (module && !program.some((s) => s !== statement && requiredModule(s) === module)) part.dropped.push(module.replace(/^(@[^/]+\/[^/@]+|[^/@]+).*$/, '$1'));
      program.splice(program.indexOf(statement), 1);
      removed = true;
    }
  }
  return { part, kept };
}
