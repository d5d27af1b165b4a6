// Plain walks over the fields src/visit.ts visits, for questions about nodes alone: no NodePath is
// built (visit() makes one for every node a method receives), and node types are tested by table
// lookup (ast-types' check was a tenth of a migration on hot paths).
import * as recast from 'recast';
import type { NodePath } from './ast.js';
import type { Node } from './types.js';

const { namedTypes: n, getFieldNames, NodePath: NodePathClass, Type } = recast.types;

/** The node type names one of `types` accepts, subtypes included, as ast-types' check decides them. */
function typeNames(types: ReadonlyArray<recast.types.Type<unknown>>): Set<string> {
  return new Set(Object.keys(n).filter((name) => types.some((type) => type.check({ type: name }))));
}

/** `type.check(node)` as a Set lookup on `node.type`. */
export function fastCheck<T>(type: recast.types.Type<T>): (node: unknown) => node is T {
  const names = typeNames([type]);
  // Most types have no subtype (Identifier, CallExpression…): one comparison, no hashing.
  if (names.size === 1) {
    const [only] = names;
    return (node: unknown): node is T => typeof node === 'object' && node !== null && (node as { type?: unknown }).type === only;
  }
  return (node: unknown): node is T =>
    typeof node === 'object' && node !== null && names.has((node as { type?: unknown }).type as string);
}

/**
 * `namedTypes` whose `check` is `fastCheck`'s Set lookup (the same answer for every node: a shallow
 * check only compares the type name with the type's subtypes). Each set is built on first use, so
 * loading stays cheap. Only `check` is kept: that is all the transforms call.
 */
export const namedTypes: typeof n = (() => {
  const fast: Record<string, { check(node: unknown): boolean }> = {};
  for (const name of Object.keys(n)) {
    const type = (n as unknown as Record<string, recast.types.Type<unknown>>)[name];
    // The first call puts the real test in place of itself.
    const entry = { check: (node: unknown): boolean => (entry.check = fastCheck(type))(node) };
    fast[name] = entry;
  }
  return fast as unknown as typeof n;
})();

/** The same test on a type name (`node.type`), for any of `types`. */
export function typeNameCheck(...types: Array<recast.types.Type<unknown>>): (name: unknown) => boolean {
  const names = typeNames(types);
  return (name) => typeof name === 'string' && names.has(name);
}

const isNodeType = typeNameCheck(n.Node);

/** What the walks need to know of a `type` value: the fields to walk, and whether it names a node. */
interface TypeInfo {
  fields: string[];
  node: boolean;
}

/**
 * The fields visit() walks, per node type (ast-types' definitions are final once loaded). A field whose
 * type admits only primitives (`type`, `name`, `operator`, `computed`…: a third of all fields) holds no
 * node: skipping it is the same walk with fewer property reads.
 */
// A null-prototype object, not a Map: the lookup runs once per object of every walk, and measured faster.
const infoByType: Record<string, TypeInfo | undefined> = Object.create(null);

/**
 * Fields that never hold a node in what src/parse.ts parses (@babel/parser without plugins: no Flow,
 * TypeScript or decorators) nor in what the transforms build: Babel's `extra` ({raw, rawValue…}) and
 * a TemplateElement's `value` hold strings. Skipped: a literal no longer costs a key list, an identifier a read.
 */
const NEVER_NODES = new Set(['extra', 'typeAnnotation', 'typeParameters', 'typeArguments', 'returnType', 'predicate', 'superTypeParameters', 'implements', 'decorators']);
function typeInfo(type: string, value: object): TypeInfo {
  // The first sight of a type is worked out apart: a closure in this function would make every call
  // allocate its context (~5 KB per walk of a rule, measured with V8's sampling heap profiler).
  return infoByType[type] ?? newTypeInfo(type, value);
}

function newTypeInfo(type: string, value: object): TypeInfo {
  // Only a known type is looked up: Type.def would register a name it does not know.
  const def = Object.hasOwn(n, type) ? (Type.def(type) as unknown as { finalized?: boolean; allFields?: Record<string, { type: FieldType }> }) : undefined;
  const declared = def?.finalized ? def.allFields : undefined;
  const fields = getFieldNames(value).filter(
    (field) => field !== 'type' && !NEVER_NODES.has(field) && !(type === 'TemplateElement' && field === 'value') && !(declared?.[field] && onlyPrimitives(declared[field].type)),
  );
  return (infoByType[type] = { fields, node: isNodeType(type) });
}

export function fieldsOf(type: string, value: object): string[] {
  return typeInfo(type, value).fields;
}

/** ast-types' field types, as its Type classes tell them apart. */
interface FieldType {
  kind: string;
  name?: string;
  value?: unknown;
  types?: FieldType[];
}

/** True when every value `type` accepts is a primitive (string, boolean, number, null, undefined, or one of these literally). */
function onlyPrimitives(type: FieldType): boolean {
  switch (type.kind) {
    case 'PredicateType':
      return ['string', 'boolean', 'number', 'null', 'undefined'].includes(type.name ?? '');
    case 'IdentityType':
      return type.value === null || typeof type.value !== 'object';
    case 'OrType':
      return Boolean(type.types?.every(onlyPrimitives));
    default:
      return false;
  }
}

export type AnyNode = Record<string, unknown>;
export type Key = string | number;
type Enter = (node: AnyNode, ancestors: readonly AnyNode[], keys: readonly Key[]) => boolean | void;

/**
 * Calls `enter` for every node under `root` (root included) in visit order, with the enclosing nodes
 * (the nearest last: NodePath#parent) and the keys from `root` (for `rootPath(root).get(...keys)`),
 * both live. Returning false skips the node's children; `leave` runs after them. `enter` must not
 * edit the tree.
 */
export function walk(root: unknown, enter: Enter, leave?: (node: AnyNode) => void): void {
  const ancestors: AnyNode[] = [];
  const keys: Key[] = [];
  // One type lookup per object gives both its fields and whether it is a node (plain loops: this is
  // the hottest code of a migration).
  const step = (value: object) => {
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        const item = value[i];
        if (!item || typeof item !== 'object') continue;
        keys.push(i);
        step(item);
        keys.pop();
      }
      return;
    }
    const node = value as AnyNode;
    const type = node.type;
    const info = typeof type === 'string' ? typeInfo(type, node) : null;
    const isNode = info !== null && info.node;
    if (isNode) {
      if (enter(node, ancestors, keys) === false) return;
      ancestors.push(node);
    }
    const fields = info ? info.fields : Object.keys(node);
    for (let i = 0; i < fields.length; i++) {
      const child = node[fields[i]];
      if (!child || typeof child !== 'object') continue;
      keys.push(fields[i]);
      step(child);
      keys.pop();
    }
    if (isNode) {
      ancestors.pop();
      leave?.(node);
    }
  };
  if (root && typeof root === 'object') step(root);
}

/**
 * True when `test` holds for a node under `root` (`root` included), not entering nodes for which
 * `skip` holds. Stops at the first match.
 */
export function someNode(root: unknown, test: (node: Node) => boolean, skip?: (node: unknown) => boolean): boolean {
  // Plain loops: this walks whole rules, and closures per field showed in profiles.
  const step = (value: object): boolean => {
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        const item = value[i];
        if (item && typeof item === 'object' && step(item)) return true;
      }
      return false;
    }
    if (skip !== undefined && skip(value)) return false;
    if (test(value as Node)) return true;
    const record = value as Record<string, unknown>;
    const type = record.type;
    const fields = typeof type === 'string' ? typeInfo(type, record).fields : Object.keys(record);
    for (let i = 0; i < fields.length; i++) {
      const child = record[fields[i]];
      if (child && typeof child === 'object' && step(child)) return true;
    }
    return false;
  };
  return Boolean(root) && typeof root === 'object' && step(root as object);
}

/** The NodePath of `root` as visit() makes it: `.get(...keys)` on it reaches what walk saw. */
export function rootPath(root: unknown): NodePath {
  return new NodePathClass({ root }).get('root') as NodePath;
}

/**
 * NodePaths of the nodes under `root` (`root` included) for which `test` holds, in visit order. For
 * collecting before changing anything: paths are built only for the matches.
 */
export function pathsWhere(root: Node, test: (node: Node) => boolean): NodePath[] {
  const base = rootPath(root);
  const found: NodePath[] = [];
  walk(root, (node, _ancestors, keys) => {
    if (test(node as unknown as Node)) found.push(base.get(...keys) as NodePath);
  });
  return found;
}

/**
 * True when an identifier named one of `names` is under `root`: the test before a visit that looks
 * for those names, which costs much more than this plain scan when it finds nothing. (The rule's
 * text is no substitute: earlier transforms add and remove code.)
 */
export function containsIdentifier(root: unknown, names: readonly string[]): boolean {
  return someNode(root, (node) => isIdentifierNode(node) && names.includes(node.name));
}

/** Whether one of `targets` is `root` or sits under it. */
export function containsAny(root: unknown, targets: ReadonlySet<unknown>): boolean {
  return someNode(root, (node) => targets.has(node));
}

/** Which of `names` are identifiers under `root`, from the same plain scan. */
export function identifiersIn(root: unknown, names: readonly string[]): Set<string> {
  const found = new Set<string>();
  someNode(root, (node) => {
    if (isIdentifierNode(node) && names.includes(node.name)) found.add(node.name);
    return found.size === names.length;
  });
  return found;
}

const isIdentifierNode = fastCheck(n.Identifier);
