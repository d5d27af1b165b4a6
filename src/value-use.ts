// How a value read from `context` is used: whether the parts that differ between Rules and Actions
// (geoip key spelling, method timestamps) can reach anything. A finding about such a difference
// must point at a place where behaviour can differ (issue 17, item 5). Pure: returns data only.
import { n, type NodePath } from './ast.js';
import type { Node } from './types.js';
import { visit } from './visit.js';

/**
 * True when the value at `path` is only tested for presence: an `if`/loop/`?:` test, `!x`, `typeof x`,
 * the left of `&&` (a falsy value is the same on both sides), `x == null`, `Array.isArray(x)`,
 * `Boolean(x)`, or an operand of `&&`/`||`/`??` whose own value is only tested.
 */
export function onlyTested(path: NodePath): boolean {
  const parent = path.parent?.node;
  const name = path.name;
  if (!parent) return false;
  if (name === 'test' && (n.IfStatement.check(parent) || n.ConditionalExpression.check(parent) || n.WhileStatement.check(parent) ||
      n.DoWhileStatement.check(parent) || n.ForStatement.check(parent))) return true;
  if (n.UnaryExpression.check(parent)) return parent.operator === '!' || parent.operator === 'typeof';
  if (n.LogicalExpression.check(parent)) {
    if (name === 'left' && parent.operator === '&&') return true;
    return onlyTested(path.parent);
  }
  if (n.BinaryExpression.check(parent) && ['==', '===', '!=', '!=='].includes(parent.operator)) {
    const other = name === 'left' ? parent.right : parent.left;
    return n.NullLiteral.check(other) || (n.Identifier.check(other) && other.name === 'undefined');
  }
  if (n.CallExpression.check(parent) && parent.arguments[0] === path.node) {
    const callee = parent.callee;
    if (n.Identifier.check(callee) && callee.name === 'Boolean') return true;
    return n.MemberExpression.check(callee) && n.Identifier.check(callee.object) && callee.object.name === 'Array' &&
      n.Identifier.check(callee.property) && callee.property.name === 'isArray';
  }
  return false;
}

/** Array methods whose result holds no element (a boolean, a number, nothing). */
const SCALAR_RESULT = new Set(['some', 'every', 'findIndex', 'indexOf', 'includes', 'forEach', 'length']);
/** Array methods whose result holds elements of the array. */
const ELEMENT_RESULT = new Set(['find', 'filter', 'slice', 'reverse', 'sort', 'at']);
/** Methods that call back with each element first. */
const ELEMENT_CALLBACK = new Set(['some', 'every', 'find', 'findIndex', 'filter', 'forEach', 'map']);

/**
 * True when no property named `key` of the elements of the array at `path` (or of the array value
 * itself) can be read or leave the rule: the array is only tested, searched with inline callbacks that
 * do not read `key`, has its elements' other properties read, or goes into a local variable used the
 * same way. Anything else (passed to a function, put in a claim, logged, returned) may carry `key`.
 */
export function keyNeverUsed(path: NodePath, key: string, root: Node, depth = 0): boolean {
  if (depth > 6) return false;
  if (onlyTested(path)) return true;
  const parent = path.parent?.node;
  const name = path.name;
  if (n.MemberExpression.check(parent) && name === 'object') {
    const property = parent.computed
      ? n.StringLiteral.check(parent.property) ? parent.property.value : n.NumericLiteral.check(parent.property) ? '#' : null
      : n.Identifier.check(parent.property) ? parent.property.name : null;
    if (property === null || property === key) return false;
    const call = n.CallExpression.check(path.parent.parent?.node) && path.parent.name === 'callee' ? path.parent.parent : null;
    if (call && ELEMENT_CALLBACK.has(property) && !callbackAvoids(call, key, root, depth)) return false;
    if (property === '#') return keyNeverUsed(path.parent, key, root, depth + 1);
    if (SCALAR_RESULT.has(property)) return true;
    if (ELEMENT_RESULT.has(property) && call) return keyNeverUsed(call, key, root, depth + 1);
    // Any other property of an element (`method.name`): a plain value, not the element.
    return !call;
  }
  const variable = assignedName(path);
  if (variable) return usesOf(root, variable, path.node).every((use) => keyNeverUsed(use, key, root, depth + 1));
  return false;
}

/** The first parameter of an inline callback, followed like the array's elements. */
function callbackAvoids(call: NodePath, key: string, root: Node, depth: number): boolean {
  const callback = call.node.arguments[0];
  if (!n.FunctionExpression.check(callback) && !n.ArrowFunctionExpression.check(callback)) return false;
  const [element] = callback.params;
  if (!element) return true;
  if (!n.Identifier.check(element)) return false;
  return usesOf(callback.body as Node, element.name, null).every((use) => keyNeverUsed(use, key, root, depth + 1));
}

/** `const x = <value>` or `x = <value>`: the variable's name. */
function assignedName(path: NodePath): string | null {
  const parent = path.parent?.node;
  if (n.VariableDeclarator.check(parent) && path.name === 'init' && n.Identifier.check(parent.id)) return parent.id.name;
  if (n.AssignmentExpression.check(parent) && path.name === 'right' && parent.operator === '=' && n.Identifier.check(parent.left)) {
    return parent.left.name;
  }
  return null;
}

/** Paths of the identifiers named `name` under `root` that read it (declarations, assignments and property keys are not reads). */
function usesOf(root: Node, name: string, except: unknown): NodePath[] {
  const uses: NodePath[] = [];
  visit(root, {
    visitIdentifier(path) {
      if (path.node.name !== name || path.node === except) return false;
      const parent = path.parent?.node;
      const isKey = (n.MemberExpression.check(parent) && parent.property === path.node && !parent.computed) ||
        ((n.ObjectProperty.check(parent) || n.Property.check(parent)) && parent.key === path.node && !parent.computed);
      const isBinding = (n.VariableDeclarator.check(parent) && path.name === 'id') ||
        (n.AssignmentExpression.check(parent) && path.name === 'left') || (n.Function.check(parent) && parent.params.includes(path.node as never));
      if (!isKey && !isBinding) uses.push(path);
      return false;
    },
  });
  return uses;
}
