// After the transforms: helpers carried from a library rule leave the handler for module level, where
// Actions keep shared functions. One that reads the event or calls the api gets them as its first
// parameters (every call passes them); one that uses a variable of the handler stays where it is.
import type { namedTypes as K } from 'ast-types';
import { analyzeScopes } from '../ast/scope.js';
import { b, n } from '../ast.js';
import type { File, Node, RuleShape, Statement } from '../types.js';
import { walk } from '../walk.js';

type Fn = K.FunctionDeclaration | K.FunctionExpression | K.ArrowFunctionExpression;

/**
 * Moves what it can of the carried helpers (`carried` statements, or helpers named in `names`: a
 * transform may have rebuilt the statement) from the handler body to just above the handler; returns
 * how many moved.
 */
export function hoistCarried(ast: File, rule: RuleShape, carried: Set<Node>, names: ReadonlySet<string> = new Set()): number {
  const program = ast.program.body as Statement[];
  const handler = program.find((s) => n.ExpressionStatement.check(s) && n.AssignmentExpression.check(s.expression) &&
    n.ArrowFunctionExpression.check(s.expression.right) && s.expression.right.body === rule.body);
  if (!handler) return 0;
  let moved = 0;
  for (let changed = true; changed; ) {
    changed = false;
    const scopes = analyzeScopes(rule.body as Node);
    const calls = new Map<unknown, K.CallExpression>();
    walk(rule.body, (node, ancestors) => {
      const parent = ancestors[ancestors.length - 1];
      if (node.type === 'Identifier' && parent?.type === 'CallExpression' && parent.callee === node) calls.set(node, parent as unknown as K.CallExpression);
    });
    for (const statement of rule.body.body) {
      const found = helperOf(statement);
      if (!found || !(carried.has(statement as Node) || names.has(found.name))) continue;
      const binding = scopes.scope.bindings.get(found.name);
      if (!binding || binding.writes.length > 0) continue;
      const free = analyzeScopes(found.fn as Node).free;
      // Another variable of the handler: it would not exist at module level.
      if ([...free.keys()].some((name) => name !== found.name && scopes.scope.bindings.has(name))) continue;
      const uses = ['event', 'api'].filter((name) => free.has(name));
      const sites = binding.references.map((id) => calls.get(id));
      if (uses.length && sites.some((call) => !call)) continue;
      if (found.fn.params.some((p) => n.Identifier.check(p) && uses.includes(p.name))) continue;
      found.fn.params.unshift(...uses.map((name) => b.identifier(name)));
      for (const call of sites) call?.arguments.unshift(...uses.map((name) => b.identifier(name)));
      rule.body.body.splice(rule.body.body.indexOf(statement), 1);
      program.splice(program.indexOf(handler), 0, statement);
      moved++;
      changed = true;
      break;
    }
  }
  return moved;
}

export function helperOf(statement: Statement): { name: string; fn: Fn } | null {
  if (n.FunctionDeclaration.check(statement) && n.Identifier.check(statement.id)) return { name: statement.id.name, fn: statement };
  if (!n.VariableDeclaration.check(statement) || statement.declarations.length !== 1) return null;
  const [declarator] = statement.declarations;
  if (!n.VariableDeclarator.check(declarator) || !n.Identifier.check(declarator.id)) return null;
  const init = declarator.init;
  if (n.FunctionExpression.check(init) || n.ArrowFunctionExpression.check(init)) return { name: declarator.id.name, fn: init };
  return null;
}
