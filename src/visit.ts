// `recast.visit` with the same contract, without its cost. ast-types builds a NodePath for every node
// it passes, and the transforms run dozens of visits per rule that each want a few node types: that
// bookkeeping was over half of a migration (node --cpu-prof). This walker reads the plain tree and
// builds a NodePath, through the usual `path.get` caches, only for a node a visitor method receives.
import * as recast from 'recast';
import typesModule from 'ast-types/lib/types.js';
import type { NodePath } from './ast.js';
import { fieldsOf } from './walk.js';

export type Visitor = recast.types.Visitor;
type Method = (this: Context, path: NodePath) => unknown;
interface Context {
  traverse(path: NodePath, visitor?: Visitor): void;
  visit(path: NodePath, visitor?: Visitor): void;
  abort(): never;
}

const { NodePath: NodePathClass } = recast.types;
const plugin = (typesModule as unknown as { default?: unknown }).default ?? typesModule;
// `use` returns the instance recast itself uses, so supertypes resolve exactly as in recast.visit.
const { computeSupertypeLookupTable } = (recast.types as unknown as {
  use(plugin: unknown): { computeSupertypeLookupTable(candidates: Record<string, boolean>): Record<string, string> };
}).use(plugin);

/** Node type → name of the visitor method that handles it, per set of method names. */
const tables = new Map<string, Record<string, string>>();
function methodTable(visitor: Visitor): Record<string, string> {
  const names = Object.keys(visitor).filter((key) => /^visit[A-Z]/.test(key));
  const key = names.sort().join();
  let table = tables.get(key);
  if (!table) {
    const candidates = Object.fromEntries(names.map((name) => [name.slice('visit'.length), true]));
    table = Object.create(null) as Record<string, string>;
    for (const [type, handler] of Object.entries(computeSupertypeLookupTable(candidates))) table[type] = `visit${handler}`;
    tables.set(key, table);
  }
  return table;
}

class AbortRequest {}

class Walker {
  private readonly table: Record<string, string>;
  private readonly visitComments: boolean;
  // The nodes from the walk's start down to the one being visited (a NodePath is made only when
  // asked for): parallel stacks, not an object per node visited (garbage collection was a tenth of a run).
  private readonly values: Array<Record<string, unknown>> = [];
  private readonly keys: Array<string | number> = [];
  private readonly paths: Array<NodePath | null> = [];

  constructor(
    private readonly methods: Visitor,
    private readonly only?: (node: Record<string, unknown>) => boolean,
  ) {
    this.table = methodTable(methods);
    this.visitComments = 'Block' in this.table || 'Line' in this.table;
  }

  /** Like PathVisitor#visitWithoutReset: the node's own method, else its children. */
  visitPath(path: NodePath): void {
    const depth = this.push('', path.value, path);
    try {
      this.visitTop();
    } finally {
      this.truncate(depth);
    }
  }

  /** The children of the node at `path`, as `this.traverse(path)` does. */
  children(path: NodePath): void {
    const depth = this.push('', path.value, path);
    try {
      this.walkTop();
    } finally {
      this.truncate(depth);
    }
  }

  private push(key: string | number, value: Record<string, unknown>, path: NodePath | null): number {
    const depth = this.values.length;
    this.values.push(value);
    this.keys.push(key);
    this.paths.push(path);
    return depth;
  }

  private truncate(depth: number): void {
    // Pops, not `length =`: setting the length showed in profiles, and this is one entry but after a throw.
    while (this.values.length > depth) {
      this.values.pop();
      this.keys.pop();
      this.paths.pop();
    }
  }

  private visitTop(): void {
    const value = this.values[this.values.length - 1];
    const name = typeof value.type === 'string' ? this.table[value.type] : undefined;
    if (name && (this.only === undefined || this.only(value))) this.invoke(name, this.materialize());
    else this.walkTop();
  }

  private walkTop(): void {
    const value = this.values[this.values.length - 1];
    if (Array.isArray(value)) {
      // Snapshot, as path.each does: statements a visitor inserts are not visited in this pass.
      const items = value.slice();
      for (let i = 0; i < items.length; i++) this.visitChild(i, items[i]);
      return;
    }
    if (value === null || typeof value !== 'object') return;
    const type = value.type;
    if (typeof type !== 'string') {
      // Not a node (`extra`, a template's `value`): ast-types walks its keys all the same.
      for (const key in value) this.visitChild(key, value[key]);
      return;
    }
    const fields = fieldsOf(type, value);
    for (let i = 0; i < fields.length; i++) this.visitChild(fields[i], value[fields[i]]);
    if (this.visitComments && value.comments) this.visitChild('comments', value.comments);
  }

  private visitChild(key: string | number, child: unknown): void {
    if (!child || typeof child !== 'object') return;
    this.push(key, child as Record<string, unknown>, null);
    this.visitTop();
    this.values.pop();
    this.keys.pop();
    this.paths.pop();
  }

  /** The NodePath of the node on top, built from its nearest ancestor that has one. */
  private materialize(): NodePath {
    const { values, keys, paths } = this;
    let start = paths.length - 1;
    while (paths[start] === null) start--;
    let path = paths[start]!;
    for (let i = start + 1; i < paths.length; i++) {
      const parent = path;
      path = parent.get(keys[i]) as NodePath;
      if (path.value !== values[i]) {
        // A visitor moved or removed this node after the walk reached its list: find it again, or
        // hand out a detached path as recast's snapshot would.
        const index = Array.isArray(parent.value) ? (parent.value as unknown[]).indexOf(values[i]) : -1;
        path = index >= 0 ? (parent.get(index) as NodePath) : (new NodePathClass(values[i], parent, keys[i]) as NodePath);
      }
      paths[i] = path;
    }
    return path;
  }

  private invoke(name: string, path: NodePath): void {
    const context = new Invocation(this);
    const result = ((this.methods as Record<string, Method>)[name]).call(context, path);
    if (result === false) return;
    if (result !== undefined) {
      const [replaced] = path.replace(result as Parameters<NodePath['replace']>[0]);
      if (!context.traversed && replaced) {
        context.traversed = true;
        this.children(replaced);
      }
    }
    if (!context.traversed) throw new Error(`Must either call this.traverse or return false in ${name}`);
  }
}

/** `this` inside a visitor method. */
class Invocation implements Context {
  traversed = false;

  constructor(private readonly walker: Walker) {}

  traverse(path: NodePath, visitor?: Visitor): void {
    this.traversed = true;
    (visitor ? new Walker(visitor) : this.walker).children(path);
  }

  visit(path: NodePath, visitor?: Visitor): void {
    this.traversed = true;
    (visitor ? new Walker(visitor) : this.walker).visitPath(path);
  }

  abort(): never {
    this.traversed = true;
    throw new AbortRequest();
  }
}

/**
 * Visits `root` (a node or a NodePath) like `recast.visit(root, visitor)`, and returns the root node.
 * `only`, when given, tells from the node alone which nodes the methods may act on: the others are
 * walked through as a method that only calls `this.traverse` would, without building their NodePath
 * (most of the cost of a visit that wants a few identifiers among all of them).
 */
export function visit<T>(root: T | NodePath, visitor: Visitor, only?: (node: Record<string, unknown>) => boolean): T {
  const path = root instanceof NodePathClass ? (root as NodePath) : (new NodePathClass({ root }).get('root') as NodePath);
  try {
    new Walker(visitor, only).visitPath(path);
  } catch (error) {
    if (!(error instanceof AbortRequest)) throw error;
  }
  return path.value as T;
}
