// What the rules of one tenant share, seen from all of them at once: `global.X` (who writes it, what it
// holds, who reads it) and `context.X` / `user.X` written by one rule and read by a later one. Cheap: one
// Babel parse and one walk per rule, no recast. The result is plain data (it crosses to worker threads):
// each rule gets the view it needs as `MigrateOptions.tenant`.
import type { ParserOptions } from '@babel/parser';
import { babelParser } from '../babel-parser.js';
import { makeParseable } from '../analyze.js';
import { maskTokens } from '../tokens.js';
import { walk, type AnyNode } from '../walk.js';
import type { GlobalShare, RuleTenantView, SharedField } from './types.js';

export interface TenantRule {
  /** Names the rule in findings (its source path). */
  source: string;
  script: string;
  /** Disabled rules and rules of other stages do not run in the post-login pipeline. */
  runs?: boolean;
}

/** context/user fields other transforms convert with a meaning of their own (claims, MFA, redirect, metadata, primary user). */
const CONVERTED_ELSEWHERE: Record<'context' | 'user', Set<string>> = {
  context: new Set(['idToken', 'accessToken', 'multifactor', 'redirect', 'samlConfiguration', 'primaryUser']),
  user: new Set(['app_metadata', 'user_metadata', 'user_id']),
};

type Kind = 'context' | 'user';

interface GlobalWrite {
  kind: 'helper' | 'constant' | 'configuration' | 'other';
  /** helper: the function's source; constant: the value's source. */
  code?: string;
  /** configuration: the key. */
  key?: string;
  /** Other global names the helper or constant reads (carried with it). */
  uses: string[];
  /** Why a helper cannot be carried (it uses a variable of the rule that defines it). */
  blocker?: string;
  /** Requires of the defining rule the helper uses, as source text. */
  requires: string[];
  /** The helper reads the defining rule's own user/context/callback parameters. */
  closesOver: string[];
  /** The defining rule's parameter names by position (for closesOver). */
  params?: Array<string | undefined>;
}

export interface RuleFacts {
  parsed: boolean;
  /** Parameter names by position. */
  params: Array<string | undefined>;
  globalWrites: Map<string, GlobalWrite[]>;
  globalReads: Set<string>;
  /** `global[expr]` or `global` as a whole. */
  globalDynamic: boolean;
  writes: Record<Kind, Map<string, { json: boolean; nested: boolean }>>;
  reads: Record<Kind, Set<string>>;
}

const babelOptions: ParserOptions = {
  sourceType: 'script',
  allowReturnOutsideFunction: true,
  allowAwaitOutsideFunction: true,
  attachComment: false,
};

const isFunction = (node: unknown): boolean =>
  Boolean(node) && ['FunctionExpression', 'ArrowFunctionExpression', 'FunctionDeclaration'].includes((node as AnyNode).type as string);

function propertyKey(member: AnyNode): string | null {
  const property = member.property as AnyNode;
  if (!member.computed && property.type === 'Identifier') return property.name as string;
  if (property.type === 'StringLiteral') return property.value as string;
  return null;
}

/** `global.X` (not `global` bound by the rule). */
function globalName(node: AnyNode, parent: AnyNode | undefined): string | null | undefined {
  if (node.type !== 'Identifier' || node.name !== 'global') return undefined;
  if (parent && (parent.type === 'MemberExpression' || parent.type === 'OptionalMemberExpression') && parent.object === node) return propertyKey(parent);
  if (parent && parent.type === 'MemberExpression' && parent.property === node && !parent.computed) return undefined;
  if (parent && (parent.type === 'ObjectProperty') && parent.key === node && !parent.computed) return undefined;
  return null;
}

/** Values that are the same at every login: literals, and arrays/objects/templates made of them. */
function isConstant(node: AnyNode | null | undefined): boolean {
  if (!node) return false;
  switch (node.type) {
    case 'StringLiteral':
    case 'NumericLiteral':
    case 'BooleanLiteral':
    case 'NullLiteral':
      return true;
    case 'TemplateLiteral':
      return (node.expressions as unknown[]).length === 0;
    case 'UnaryExpression':
      return node.operator === '-' && (node.argument as AnyNode).type === 'NumericLiteral';
    case 'ArrayExpression':
      return (node.elements as AnyNode[]).every((e) => e && isConstant(e));
    case 'ObjectExpression':
      return (node.properties as AnyNode[]).every(
        (p) => p.type === 'ObjectProperty' && !p.computed && ['Identifier', 'StringLiteral', 'NumericLiteral'].includes((p.key as AnyNode).type as string) && isConstant(p.value as AnyNode),
      );
    default:
      return false;
  }
}

/** Values that need no JSON encoding for api.transaction.setMetadata: strings, numbers, booleans. */
export function isPrimitiveValue(node: AnyNode | null | undefined): boolean {
  if (!node) return false;
  switch (node.type) {
    case 'StringLiteral':
    case 'NumericLiteral':
    case 'BooleanLiteral':
    case 'TemplateLiteral':
      return true;
    case 'UnaryExpression':
      return ['!', '-', '+', 'typeof'].includes(node.operator as string);
    case 'BinaryExpression':
      return ['===', '!==', '==', '!=', '<', '>', '<=', '>=', 'in', 'instanceof', '-', '*', '/', '%'].includes(node.operator as string) ||
        (node.operator === '+' && (isPrimitiveValue(node.left as AnyNode) || isPrimitiveValue(node.right as AnyNode)));
    case 'LogicalExpression':
      return isPrimitiveValue(node.left as AnyNode) && isPrimitiveValue(node.right as AnyNode);
    case 'ConditionalExpression':
      return isPrimitiveValue(node.consequent as AnyNode) && isPrimitiveValue(node.alternate as AnyNode);
    default:
      return false;
  }
}

function ruleFunction(program: AnyNode): AnyNode | null {
  for (const statement of program.body as AnyNode[]) {
    if (statement.type === 'FunctionDeclaration') return statement;
    if (statement.type !== 'ExpressionStatement') continue;
    let expression = statement.expression as AnyNode;
    if (expression.type === 'AssignmentExpression') expression = expression.right as AnyNode;
    if (isFunction(expression)) return expression;
  }
  return null;
}

/** Names declared anywhere under `root` (parameters, variables, functions, catch parameters); block scoping ignored. */
function declaredIn(root: AnyNode): Map<string, AnyNode> {
  const names = new Map<string, AnyNode>();
  const addPattern = (pattern: AnyNode | null | undefined, holder: AnyNode) => {
    if (!pattern) return;
    if (pattern.type === 'Identifier') names.set(pattern.name as string, holder);
    else if (pattern.type === 'ObjectPattern') for (const p of pattern.properties as AnyNode[]) addPattern((p.type === 'RestElement' ? p.argument : p.value) as AnyNode, holder);
    else if (pattern.type === 'ArrayPattern') for (const e of pattern.elements as AnyNode[]) addPattern(e, holder);
    else if (pattern.type === 'AssignmentPattern') addPattern(pattern.left as AnyNode, holder);
    else if (pattern.type === 'RestElement') addPattern(pattern.argument as AnyNode, holder);
  };
  walk(root, (node, ancestors) => {
    if (isFunction(node)) {
      if (node !== root && node.id && node.type === 'FunctionDeclaration') names.set((node.id as AnyNode).name as string, node);
      if (node !== root && node.type === 'FunctionExpression' && node.id) names.set((node.id as AnyNode).name as string, node);
      for (const p of node.params as AnyNode[]) addPattern(p, node);
    } else if (node.type === 'VariableDeclarator') addPattern(node.id as AnyNode, ancestors[ancestors.length - 1] ?? node);
    else if (node.type === 'CatchClause') addPattern(node.param as AnyNode, node);
  });
  return names;
}

/** Identifiers read inside `root` that it does not declare itself. */
function freeNames(root: AnyNode): Set<string> {
  const own = declaredIn(root);
  const free = new Set<string>();
  walk(root, (node, ancestors) => {
    if (node.type !== 'Identifier') return;
    const parent = ancestors[ancestors.length - 1];
    if (parent && (parent.type === 'MemberExpression' || parent.type === 'OptionalMemberExpression') && parent.property === node && !parent.computed) return;
    if (parent && (parent.type === 'ObjectProperty' || parent.type === 'ObjectMethod') && parent.key === node && !parent.computed) {
      if (!(parent.shorthand && parent.value === node)) return;
    }
    if (parent && isFunction(parent) && parent.id === node) return;
    const name = node.name as string;
    if (!own.has(name)) free.add(name);
  });
  return free;
}

function requireStatementText(holder: AnyNode, text: string): string | null {
  // `var request = require('request');`: a declaration whose initialisers are all requires (or members of one).
  if (holder.type !== 'VariableDeclaration') return null;
  const onlyRequires = (holder.declarations as AnyNode[]).every((d) => {
    let init = d.init as AnyNode | null;
    while (init && init.type === 'MemberExpression') init = init.object as AnyNode;
    return init && init.type === 'CallExpression' && (init.callee as AnyNode).type === 'Identifier' && (init.callee as AnyNode).name === 'require';
  });
  return onlyRequires ? text.slice(holder.start as number, holder.end as number) : null;
}

/** One rule's own facts: what it writes to and reads from global, context and user. */
export function ruleFacts(script: string): RuleFacts {
  const facts: RuleFacts = {
    parsed: false,
    params: [],
    globalWrites: new Map(),
    globalReads: new Set(),
    globalDynamic: false,
    writes: { context: new Map(), user: new Map() },
    reads: { context: new Set(), user: new Set() },
  };
  const { masked, placeholders } = maskTokens(script.replace(/^\uFEFF/, ''));
  const { text } = makeParseable(masked.replace(/^#!/, '//'));
  let program: AnyNode;
  try {
    program = babelParser.parse(text, babelOptions).program as unknown as AnyNode;
  } catch {
    return facts;
  }
  const fn = ruleFunction(program);
  if (!fn) return facts;
  facts.parsed = true;
  facts.params = (fn.params as AnyNode[]).map((p) => (p.type === 'Identifier' ? (p.name as string) : undefined));
  const [userName, contextName, callbackName] = facts.params;
  const ruleDeclared = declaredIn(fn);

  // Functions of the rule by name: `function f() {}` and `const f = function/arrow`.
  const localFunctions = new Map<string, { fn: AnyNode; statement: AnyNode }>();
  walk(fn, (node, ancestors) => {
    if (node !== fn && node.type === 'FunctionDeclaration' && node.id) localFunctions.set((node.id as AnyNode).name as string, { fn: node, statement: node });
    if (node.type === 'VariableDeclarator' && (node.id as AnyNode).type === 'Identifier' && isFunction(node.init)) {
      const declaration = ancestors[ancestors.length - 1];
      if ((declaration.declarations as AnyNode[]).length === 1) localFunctions.set((node.id as AnyNode).name as string, { fn: node.init as AnyNode, statement: declaration });
    }
  });

  const helperWrite = (value: AnyNode): GlobalWrite => {
    const write: GlobalWrite = { kind: 'helper', code: text.slice(value.start as number, value.end as number), uses: [], requires: [], closesOver: [], params: facts.params };
    const seen = new Set<AnyNode>([value]);
    // The helper and the functions of the rule it calls travel together, with the requires they use.
    const carry = (root: AnyNode) => {
      for (const name of freeNames(root)) {
        if (name === 'global') continue;
        const holder = ruleDeclared.get(name);
        if (!holder) continue;
        if (holder === fn) {
          if ([userName, contextName, callbackName].includes(name)) {
            if (!write.closesOver.includes(name)) write.closesOver.push(name);
          } else write.blocker ??= `it uses \`${name}\`, a variable of the rule that defines it`;
          continue;
        }
        const required = requireStatementText(holder, text);
        if (required) {
          if (!write.requires.includes(required)) write.requires.push(required);
          continue;
        }
        const local = localFunctions.get(name);
        if (local && (holder === local.fn || holder === local.statement)) {
          if (seen.has(local.fn)) continue;
          seen.add(local.fn);
          write.requires.push(text.slice(local.statement.start as number, local.statement.end as number));
          carry(local.fn);
          continue;
        }
        write.blocker ??= `it uses \`${name}\`, a variable of the rule that defines it`;
      }
      walk(root, (node, ancestors) => {
        const name = globalName(node, ancestors[ancestors.length - 1]);
        if (name && !write.uses.includes(name)) write.uses.push(name);
      });
    };
    carry(value);
    // Keyword tokens are masked per file: a helper holding one cannot move to another file.
    if (!write.blocker && placeholders.some((p) => [write.code!, ...write.requires].some((c) => c.includes(p)))) write.blocker = 'it holds keyword tokens';
    return write;
  };

  const classify = (value: AnyNode): GlobalWrite => {
    // global.x = global.x || value
    if (value.type === 'LogicalExpression' && (value.operator === '||' || value.operator === '??')) {
      const left = value.left as AnyNode;
      if (left.type === 'MemberExpression' && (left.object as AnyNode).type === 'Identifier' && (left.object as AnyNode).name === 'global') {
        return classify(value.right as AnyNode);
      }
    }
    if (isFunction(value)) return helperWrite(value);
    if (value.type === 'Identifier' && localFunctions.has(value.name as string)) return helperWrite(localFunctions.get(value.name as string)!.fn);
    if (isConstant(value)) return { kind: 'constant', code: text.slice(value.start as number, value.end as number), uses: [], requires: [], closesOver: [] };
    if (value.type === 'MemberExpression' && (value.object as AnyNode).type === 'Identifier' && (value.object as AnyNode).name === 'configuration') {
      const key = propertyKey(value);
      if (key !== null && !ruleDeclared.has('configuration')) return { kind: 'configuration', key, uses: [], requires: [], closesOver: [] };
    }
    return { kind: 'other', uses: [], requires: [], closesOver: [] };
  };

  const paramKind = (node: AnyNode): Kind | null => {
    if (node.type !== 'Identifier') return null;
    if (node.name === contextName) return 'context';
    if (node.name === userName) return 'user';
    return null;
  };

  walk(fn.body, (node, ancestors) => {
    const parent = ancestors[ancestors.length - 1];
    if (node.type === 'Identifier' && node.name === 'global' && !ruleDeclared.has('global')) {
      const name = globalName(node, parent);
      if (name === undefined) return;
      if (name === null) {
        facts.globalDynamic = true;
        return;
      }
      const grand = ancestors[ancestors.length - 2];
      if (grand && grand.type === 'AssignmentExpression' && grand.left === parent) {
        const list = facts.globalWrites.get(name) ?? [];
        list.push(grand.operator === '=' || grand.operator === '||=' || grand.operator === '??=' ? classify(grand.right as AnyNode) : { kind: 'other', uses: [], requires: [], closesOver: [] });
        facts.globalWrites.set(name, list);
      } else if (grand && (grand.type === 'UpdateExpression' || (grand.type === 'UnaryExpression' && grand.operator === 'delete'))) {
        const list = facts.globalWrites.get(name) ?? [];
        list.push({ kind: 'other', uses: [], requires: [], closesOver: [] });
        facts.globalWrites.set(name, list);
        facts.globalReads.add(name);
      } else facts.globalReads.add(name);
      return;
    }
    // context.X / user.X
    if (node.type !== 'MemberExpression' || !parent) return;
    const kind = paramKind(node.object as AnyNode);
    if (!kind || ruleDeclaresShadow(ancestors, (node.object as AnyNode).name as string, fn)) return;
    const field = propertyKey(node);
    if (field === null || CONVERTED_ELSEWHERE[kind].has(field)) return;
    // Walk up the member chain: the outermost member written decides; the path is its static keys.
    let top = node;
    const keys = [field];
    let dynamic = false;
    let depth = ancestors.length - 1;
    while (depth >= 0 && ancestors[depth].type === 'MemberExpression' && ancestors[depth].object === top) {
      top = ancestors[depth--];
      const key = propertyKey(top);
      if (key === null) dynamic = true;
      else if (!dynamic) keys.push(key);
    }
    const holder = ancestors[depth];
    const isWrite =
      (holder?.type === 'AssignmentExpression' && holder.left === top) ||
      holder?.type === 'UpdateExpression' ||
      (holder?.type === 'UnaryExpression' && holder.operator === 'delete');
    const isMutatingCall =
      holder?.type === 'CallExpression' && holder.callee === top && top !== node && !dynamic &&
      ['push', 'pop', 'shift', 'unshift', 'splice', 'sort', 'reverse'].includes(propertyKey(top) ?? '');
    if (isMutatingCall) keys.pop();
    const path = keys.join('.');
    if ((isWrite && !dynamic) || isMutatingCall) {
      const json = isMutatingCall || !(holder?.type === 'AssignmentExpression' && holder.operator === '=' && isPrimitiveValue(holder.right as AnyNode));
      const previous = facts.writes[kind].get(path);
      facts.writes[kind].set(path, { json: json || Boolean(previous?.json), nested: isMutatingCall || Boolean(previous?.nested) });
      if (isMutatingCall || (holder?.type === 'AssignmentExpression' && holder.operator !== '=')) facts.reads[kind].add(path);
    } else facts.reads[kind].add(path);
  });
  return facts;
}

/** True when a function between the identifier and the rule declares `name` as a parameter (a helper's own `context`). */
function ruleDeclaresShadow(ancestors: readonly AnyNode[], name: string, fn: AnyNode): boolean {
  for (let i = ancestors.length - 1; i >= 0; i--) {
    const node = ancestors[i];
    if (node === fn) return false;
    if (isFunction(node) && (node.params as AnyNode[]).some((p) => p.type === 'Identifier' && p.name === name)) return true;
  }
  return false;
}

export interface TenantAnalysis {
  /** One view per rule, in input order. */
  views: RuleTenantView[];
}

/**
 * The rules of one tenant in execution order. For each `global.X`: the rule that defines it and the
 * rules that read it; for each `context.X`/`user.X` write, whether a later rule reads it.
 */
export function analyzeTenant(rules: TenantRule[], options: { orderNote?: string } = {}): TenantAnalysis {
  const facts = rules.map((r) => ruleFacts(r.script));
  const running = rules.map((r, i) => r.runs !== false && facts[i].parsed);

  // Globals: where each name is defined: the first running rule that defines it, when every rule that
  // writes it defines the same kind of thing (several library rules may define one helper).
  const definitions = new Map<string, { index: number; write: GlobalWrite }>();
  const writers = new Map<string, number[]>();
  const conflicting = new Set<string>();
  facts.forEach((f, i) => {
    if (!running[i]) return;
    for (const [name, writes] of f.globalWrites) {
      writers.set(name, [...(writers.get(name) ?? []), i]);
      const write = writes.length === 1 ? writes[0] : mergeWrites(writes);
      const first = definitions.get(name);
      if (!first) definitions.set(name, { index: i, write });
      else if (!sameDefinition(first.write, write)) conflicting.add(name);
    }
  });
  for (const name of conflicting) definitions.set(name, { index: definitions.get(name)!.index, write: { kind: 'other', uses: [], requires: [], closesOver: [] } });

  // Every global name each rule uses, directly or through the helpers it is carried.
  const usedBy = facts.map((f, i) => {
    const used = new Set([...f.globalReads, ...f.globalWrites.keys()]);
    const queue = [...used];
    while (queue.length) {
      const name = queue.pop()!;
      const definition = definitions.get(name);
      if (!definition || definition.write.kind !== 'helper' || definition.index === i) continue;
      for (const other of definition.write.uses) {
        if (!used.has(other)) {
          used.add(other);
          queue.push(other);
        }
      }
    }
    return used;
  });
  const views = rules.map((rule, i): RuleTenantView => {
    const f = facts[i];
    const globals: Record<string, GlobalShare> = {};
    const used = usedBy[i];
    for (const name of used) globals[name] = share(name, i, f, facts, definitions, writers, rules, running, usedBy);
    const passes: SharedField[] = [];
    const receives: SharedField[] = [];
    for (const kind of ['context', 'user'] as const) {
      for (const [path, write] of f.writes[kind]) {
        const readers = rules.map((r, j) => j).filter((j) => j > i && running[j] && [...facts[j].reads[kind]].some((read) => reaches(read, path)));
        if (readers.length) passes.push({ kind, field: path, json: tenantJson(kind, path, facts, running), nested: write.nested, others: readers.map((j) => rules[j].source) });
      }
      const received = new Set<string>();
      for (const read of f.reads[kind]) {
        for (let j = 0; j < i; j++) {
          if (!running[j]) continue;
          for (const path of facts[j].writes[kind].keys()) if (reaches(read, path)) received.add(path);
        }
      }
      for (const path of received) {
        const earlier = rules.map((r, j) => j).filter((j) => j < i && running[j] && facts[j].writes[kind].has(path));
        receives.push({ kind, field: path, json: tenantJson(kind, path, facts, running), nested: false, others: earlier.map((j) => rules[j].source) });
      }
    }
    return { position: i, rules: rules.length, globals, passes, receives, ...(options.orderNote ? { orderNote: options.orderNote } : {}) };
  });
  return { views };
}

/**
 * A read of `read` (a dotted path under context/user) sees what a write of `written` stored: the same
 * path, or a path inside it. A read of an object that only holds the written path (reading
 * `context.request` after `context.request.query.x = …`) is not counted: its copy is not rebuilt.
 */
function reaches(read: string, written: string): boolean {
  return read === written || read.startsWith(`${written}.`);
}

/** JSON-encoded when any rule writes something that is not a string, number or boolean. */
function tenantJson(kind: Kind, field: string, facts: RuleFacts[], running: boolean[]): boolean {
  return facts.some((f, i) => running[i] && f.writes[kind].get(field)?.json);
}

/** Two rules defining one global agree when both define a helper, or the same constant or secret. */
function sameDefinition(a: GlobalWrite, b: GlobalWrite): boolean {
  if (a.kind === 'helper' && b.kind === 'helper') return true;
  if (a.kind === 'constant' && b.kind === 'constant') return a.code === b.code;
  if (a.kind === 'configuration' && b.kind === 'configuration') return a.key === b.key;
  return false;
}

function mergeWrites(writes: GlobalWrite[]): GlobalWrite {
  // The same helper written twice (`if (!global.f) global.f = …` in two branches) is still a helper;
  // any other mix is state.
  const kinds = new Set(writes.map((w) => w.kind));
  if (kinds.size === 1 && (writes[0].kind === 'helper' || writes[0].kind === 'constant') && new Set(writes.map((w) => w.code)).size === 1) return writes[0];
  return { kind: 'other', uses: [], requires: [], closesOver: [] };
}

function share(
  name: string,
  i: number,
  f: RuleFacts,
  facts: RuleFacts[],
  definitions: Map<string, { index: number; write: GlobalWrite }>,
  writers: Map<string, number[]>,
  rules: TenantRule[],
  running: boolean[],
  usedBy: Set<string>[],
): GlobalShare {
  const definition = definitions.get(name);
  const ownWrites = f.globalWrites.get(name) ?? [];
  // A rule reading it only through a helper carried into it reads it too (a helper's constant).
  const readers = rules.map((r, j) => j)
    .filter((j) => j !== i && running[j] && (facts[j].globalReads.has(name) || (usedBy[j].has(name) && !facts[j].globalWrites.has(name))))
    .map((j) => rules[j].source);
  const allWriters = (writers.get(name) ?? []).map((j) => rules[j].source);
  const base = { readers, writers: allWriters };
  // A rule that defines a shared helper or constant others read: the definition moves to each reader.
  if (definition && definition.index === i && (definition.write.kind === 'helper' || definition.write.kind === 'constant' || definition.write.kind === 'configuration')) {
    const carried = definition.write.kind !== 'helper' || !definition.write.blocker;
    return { ...base, kind: readers.length && carried ? 'defined-here' : 'local', ...describe(definition.write) };
  }
  // Another rule also defines it the same way: this definition goes too.
  if (definition && definition.index !== i && ownWrites.length > 0 && definition.write.kind !== 'other' &&
      ownWrites.every((w) => sameDefinition(definition.write, w)) && !f.globalReads.has(name)) {
    return { ...base, kind: 'defined-here', ...describe(ownWrites[0]) };
  }
  // Read here, defined by another rule as a helper, constant or configuration value.
  if (definition && definition.index !== i && (ownWrites.length === 0 || ownWrites.every((w) => sameDefinition(definition.write, w)))) {
    const { write } = definition;
    if (write.kind === 'helper' || write.kind === 'constant' || write.kind === 'configuration') {
      return { ...base, kind: write.kind, ...describe(write), definedBy: rules[definition.index].source, earlier: definition.index < i };
    }
  }
  // Written and read here: a cache the rule can rebuild by itself.
  if (ownWrites.length > 0) return { ...base, kind: 'local' };
  return { ...base, kind: 'state', ...(definition ? { definedBy: rules[definition.index].source } : {}) };
}

function describe(write: GlobalWrite): Partial<GlobalShare> {
  return {
    ...(write.code !== undefined ? { code: write.code } : {}),
    ...(write.key !== undefined ? { key: write.key } : {}),
    ...(write.blocker ? { blocker: write.blocker } : {}),
    ...(write.requires.length ? { requires: write.requires } : {}),
    ...(write.closesOver.length ? { closesOver: write.closesOver, definerParams: (write.params ?? []).map((p) => p ?? '') } : {}),
    ...(write.uses.length ? { uses: write.uses } : {}),
  };
}
