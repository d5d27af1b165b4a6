// The tenant-level pass on one rule, before the transforms run: what the tenant view says about
// `global.X` becomes code of this rule (a carried helper, a constant, a secret, a module-level cache),
// and local helpers that always receive the rule's user/context/callback use them directly, so the
// transforms convert their bodies like the rule's own code.
import { b, n, type NodePath } from '../ast.js';
import type { namedTypes as K } from 'ast-types';
import { isGlobalReference, isReference, ruleScopes, type RuleScopes, type Scope } from '../ast/scope.js';
import { walk } from '../walk.js';
import { freshStatements } from '../context-writes.js';
import { visit } from '../visit.js';
import type { ModuleParts, Node, ReportInput, RuleShape, Statement } from '../types.js';
import type { GlobalShare, RuleTenantView, SharedField } from './types.js';
import { contextFields } from '../mapping.js';

export interface PrepareContext {
  rule: RuleShape;
  module: ModuleParts;
  tenant?: RuleTenantView;
  report(input: ReportInput): void;
}

export interface Prepared {
  /** Statements defining shared globals that were removed (the rule may be a library with nothing left). */
  movedDefinitions: number;
  /** Helpers carried into the rule: hoisted to module level after the transforms when they can be. */
  carried: Set<Node>;
  /** Carried helpers and constants: local name → the global's name. */
  helpers: Map<string, string>;
  constants: Map<string, string>;
  /** Source of the code brought in: transforms skip a rule by its text (Transform.relevant), this counts too. */
  addedText: string;
}

const RESERVED = new Set(['event', 'api', 'exports', 'module', 'require', 'global', 'undefined', 'arguments', 'configuration', 'auth0', 'UnauthorizedError']);
const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

export function prepareTenant(ctx: PrepareContext, ast: Node): Prepared {
  const prepared: Prepared = { movedDefinitions: 0, carried: new Set(), helpers: new Map(), constants: new Map(), addedText: '' };
  const { tenant } = ctx;
  if (tenant) {
    if (tenant.orderNote && (tenant.passes.length || tenant.receives.length || Object.keys(tenant.globals).length)) {
      ctx.report({ node: ctx.rule.fn, code: 'plain-order', data: { position: tenant.position + 1, rules: tenant.rules } });
    }
    convertGlobals(ctx, ast, tenant, prepared);
  }
  aliasHelperParameters(ctx);
  if (tenant?.passes.length) localizePassedFields(ctx, ast);
  return prepared;
}

// ---------------------------------------------------------------------------------------------
// global.X

interface Use {
  path: NodePath;
  name: string;
}

function globalUses(rule: RuleShape): Use[] {
  const uses: Use[] = [];
  visit(rule.fn, {
    visitIdentifier(path) {
      if (path.node.name === 'global' && isGlobalReference(path, 'global', rule)) {
        const parent = path.parent?.node;
        if (n.MemberExpression.check(parent) && parent.object === path.node) {
          const name = !parent.computed && n.Identifier.check(parent.property) ? parent.property.name
            : n.StringLiteral.check(parent.property) ? parent.property.value : null;
          if (name !== null) uses.push({ path: path.parent, name });
        }
      }
      return false;
    },
  });
  return uses;
}

/** Every identifier name in the tree (declared or read): a carried name must not clash with one. */
function namesIn(root: Node): Set<string> {
  const names = new Set<string>();
  visit(root, {
    visitIdentifier(path) {
      if (isReference(path)) names.add(path.node.name);
      return false;
    },
  });
  return names;
}

function freshName(name: string, taken: Set<string>): string {
  let candidate = name;
  for (let i = 2; taken.has(candidate) || RESERVED.has(candidate); i++) candidate = `${name}${i}`;
  taken.add(candidate);
  return candidate;
}

function convertGlobals(ctx: PrepareContext, ast: Node, tenant: RuleTenantView, prepared: Prepared) {
  const uses = globalUses(ctx.rule);
  if (uses.length === 0) return;
  const taken = namesIn(ast);
  const renamed = new Map<string, string>();
  const injected: Statement[] = [];
  const requires = new Set<string>();
  const reported = new Set<string>();
  const once = (key: string, report: () => void) => {
    if (!reported.has(key)) {
      reported.add(key);
      report();
    }
  };

  // Carried helpers bring the globals they use; those are converted in the same way.
  const carry = (name: string, share: GlobalShare, at: Node) => {
    if (renamed.has(name)) return;
    const local = freshName(name, taken);
    renamed.set(name, local);
    if (share.kind === 'helper') {
      prepared.helpers.set(local, name);
      for (const text of share.requires ?? []) requires.add(text);
      prepared.addedText += `${share.code}\n${(share.requires ?? []).join('\n')}\n`;
      const statements = freshStatements(`const ${local} = ${share.code};`);
      for (const s of statements) prepared.carried.add(s as Node);
      injected.push(...statements);
      once(`helper:${name}`, () => {
        ctx.report({ node: at, code: share.earlier === false ? 'shared-helper-late' : 'shared-helper', data: { name, definedBy: share.definedBy ?? '' } });
        if (share.closesOver?.length) {
          ctx.report({ node: at, code: 'shared-helper-closure', data: { name, definedBy: share.definedBy ?? '', names: share.closesOver.join('`, `') } });
        }
      });
      for (const other of share.uses ?? []) {
        const next = tenant.globals[other];
        if (next && isCarried(next)) carry(other, next, at);
      }
    } else if (share.kind === 'constant') {
      prepared.constants.set(local, name);
      ctx.module.prelude.push(...freshStatements(`const ${local} = ${share.code};`));
      once(`constant:${name}`, () => ctx.report({ node: at, code: 'shared-constant', data: { name, definedBy: share.definedBy ?? '' } }));
    }
  };

  for (const use of uses) {
    const share = tenant.globals[use.name];
    if (!share || !IDENTIFIER.test(use.name) || RESERVED.has(use.name)) continue;
    const at = use.path.node as Node;
    if (share.kind === 'configuration' && share.key && IDENTIFIER.test(share.key)) {
      use.path.replace(b.memberExpression(b.identifier('configuration'), b.identifier(share.key)));
      prepared.addedText += `configuration.${share.key}\n`;
      once(`secret:${use.name}`, () => ctx.report({ node: at, code: 'shared-secret', data: { name: use.name, key: share.key!, definedBy: share.definedBy ?? '' } }));
    } else if (isCarried(share)) {
      carry(use.name, share, at);
      use.path.replace(b.identifier(renamed.get(use.name)!));
    } else if (share.kind === 'local' && !isDefinitionMovedHere(share)) {
      if (!renamed.has(use.name)) {
        const local = freshName(use.name, taken);
        renamed.set(use.name, local);
        ctx.module.prelude.push(b.variableDeclaration('let', [b.variableDeclarator(b.identifier(local))]));
        ctx.report({ node: enclosing(use.path), code: 'global-cache-per-instance', data: { name: use.name } });
      }
      use.path.replace(b.identifier(renamed.get(use.name)!));
    }
  }

  // Definitions others read: the statement that sets global.X goes (each reader carries its own copy).
  for (const use of uses) {
    const share = tenant.globals[use.name];
    if (share?.kind !== 'defined-here' || !IDENTIFIER.test(use.name)) continue;
    const statement = definitionStatement(use.path, use.name);
    if (!statement) continue;
    ctx.report({ node: statement.node, code: 'shared-definition-moved', data: { name: use.name, readers: listOf(share.readers) } });
    statement.prune();
    prepared.movedDefinitions++;
  }

  if (injected.length) {
    for (const text of [...requires].reverse()) {
      const statements = freshStatements(text);
      for (const s of statements) prepared.carried.add(s as Node);
      injected.unshift(...statements);
    }
    // The rule's own parameter names: a helper that read its defining rule's user/context reads this one's.
    renameClosures(injected, tenant, ctx.rule);
    // A carried helper's own `global.X` is the carried X too.
    for (const statement of injected) replaceGlobals(statement, renamed);
    ctx.rule.body.body.unshift(...injected);
  }
}

function replaceGlobals(root: Node, renamed: Map<string, string>) {
  visit(root, {
    visitMemberExpression(path) {
      const { object, property, computed } = path.node;
      const name = !computed && n.Identifier.check(property) ? property.name : n.StringLiteral.check(property) ? property.value : null;
      if (n.Identifier.check(object) && object.name === 'global' && name !== null && renamed.has(name)) {
        path.replace(b.identifier(renamed.get(name)!));
        return false;
      }
      this.traverse(path);
    },
  });
}

function isCarried(share: GlobalShare): boolean {
  return (share.kind === 'helper' && !share.blocker && Boolean(share.code)) || (share.kind === 'constant' && Boolean(share.code));
}

function isDefinitionMovedHere(share: GlobalShare): boolean {
  return share.kind === 'defined-here';
}

function listOf(names: string[]): string {
  const shown = names.slice(0, 3).join(', ');
  return names.length > 3 ? `${shown} and ${names.length - 3} more` : shown;
}

function enclosing(path: NodePath): Node {
  let current: NodePath | null = path;
  while (current && !(n.Statement.check(current.node) && Array.isArray(current.parentPath?.value))) current = current.parent;
  return (current?.node ?? path.node) as Node;
}

/**
 * The statement that defines global.X: `global.X = …;`, or `if (!global.X) { global.X = …; }` (its
 * whole `if`). Null when the assignment sits anywhere else (it stays, and the rule keeps an Action).
 */
function definitionStatement(member: NodePath, name: string): NodePath | null {
  const assignment = member.parent;
  if (!n.AssignmentExpression.check(assignment?.node) || assignment.node.left !== member.node) return null;
  const statement = assignment.parent;
  if (!n.ExpressionStatement.check(statement?.node)) return null;
  let guard: NodePath | null = statement.parent;
  if (n.BlockStatement.check(guard?.node) && guard.node.body.length === 1) guard = guard.parent;
  if (n.IfStatement.check(guard?.node) && !guard.node.alternate && isNotGlobal(guard.node.test, name) && Array.isArray(guard.parentPath?.value)) return guard;
  return Array.isArray(statement.parentPath?.value) ? statement : null;
}

function isNotGlobal(test: unknown, name: string): boolean {
  if (!n.UnaryExpression.check(test) || test.operator !== '!') return false;
  const argument = test.argument;
  return n.MemberExpression.check(argument) && n.Identifier.check(argument.object) && argument.object.name === 'global' &&
    ((n.Identifier.check(argument.property) && !argument.computed && argument.property.name === name) ||
      (n.StringLiteral.check(argument.property) && argument.property.value === name));
}

/** In carried code, the defining rule's parameter names become this rule's (by position). */
function renameClosures(statements: Statement[], tenant: RuleTenantView, rule: RuleShape) {
  const names = new Map<string, string>();
  for (const share of Object.values(tenant.globals)) {
    for (const name of share.closesOver ?? []) {
      const position = share.definerParams?.indexOf(name) ?? -1;
      const target = [rule.user, rule.context, rule.callback][position];
      if (target && target !== name) names.set(name, target);
    }
  }
  if (names.size === 0) return;
  for (const statement of statements) {
    visit(statement, {
      visitIdentifier(path) {
        const target = names.get(path.node.name);
        if (target && isReference(path)) path.node.name = target;
        return false;
      },
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Local helpers that receive the whole user/context/callback

interface Helper {
  name: string;
  fn: Node & { params: Node[]; body: Node };
}

/**
 * `function buildClaims(u, ctx) {…}` called only as `buildClaims(user, context)`: its parameter always
 * holds the rule's own object, so the helper uses the rule's parameter instead (it is declared inside
 * the rule) and the calls stop passing it. Names are resolved by src/ast/scope.ts (aliases such as
 * `var ctx = context` count as the rule's). Repeated until nothing changes: a helper that passes its
 * parameter on to another helper makes that one's parameter the rule's too, at any depth.
 */
function aliasHelperParameters(ctx: PrepareContext) {
  const { rule } = ctx;
  if (!rule.user && !rule.context && !rule.callback) return;
  for (let round = 0; round < 8; round++) {
    if (!aliasOnce(ctx)) return;
  }
}

type Fn = K.FunctionDeclaration | K.FunctionExpression | K.ArrowFunctionExpression;

/** One pass: returns true when a parameter was aliased (the scopes are then stale: analyse again). */
function aliasOnce(ctx: PrepareContext): boolean {
  const { rule } = ctx;
  const calls = new Map<unknown, K.CallExpression>();
  const functionOf = new Map<unknown, Fn>();
  // The names that may stand for a rule parameter: the parameters', and any variable initialised with a name (a possible alias).
  const roleNames = new Set<unknown>([rule.user, rule.context, rule.callback]);
  walk(rule.fn, (node, ancestors) => {
    const parent = ancestors[ancestors.length - 1];
    if (node.type === 'Identifier' && parent?.type === 'CallExpression' && parent.callee === node) calls.set(node, parent as unknown as K.CallExpression);
    if (node.type === 'VariableDeclarator' && (n.FunctionExpression.check(node.init) || n.ArrowFunctionExpression.check(node.init))) functionOf.set(node.id, node.init as Fn);
    if (node.type === 'VariableDeclarator' && n.Identifier.check(node.init) && n.Identifier.check(node.id)) roleNames.add(node.id.name);
    if (node.type === 'FunctionDeclaration' && node !== (rule.fn as unknown)) functionOf.set(node.id, node as unknown as Fn);
  });
  // Only a local function called by its name with a rule parameter (or a possible alias) can be a
  // helper: most rules have none, and need no scope analysis.
  const functionNames = new Set([...functionOf.keys()].map((id) => (id as { name?: unknown } | null)?.name));
  const passesParameter = (call: K.CallExpression) => call.arguments.some((argument) => n.Identifier.check(argument) && roleNames.has(argument.name));
  if (![...calls].some(([id, call]) => functionNames.has((id as K.Identifier).name) && passesParameter(call))) return false;
  const scopes = ruleScopes(rule);
  for (const binding of scopes.bindings) {
    const fn = functionOf.get(binding.id);
    if (!fn || !n.BlockStatement.check(fn.body) || binding.writes.length > 0 || binding.references.length === 0) continue;
    const sites = binding.references.map((id) => calls.get(id));
    if (sites.some((call) => !call || call.arguments.some((a) => n.SpreadElement.check(a)))) continue;
    if ((scopes.free.get('arguments') ?? []).some((id) => within(fn, id))) continue;
    for (let k = fn.params.length - 1; k >= 0; k--) {
      const param = fn.params[k];
      if (!n.Identifier.check(param)) continue;
      const roles = new Set(sites.map((call) => (n.Identifier.check(call!.arguments[k]) ? scopes.roleOf(call!.arguments[k]) : null)));
      const [role] = [...roles];
      if (roles.size !== 1 || !role) continue;
      const target = scopes.params[role];
      const own = scopes.declared(param);
      if (!target || !own || own.writes.length > 0) continue;
      const name = target.name;
      // The rule's parameter must mean the rule's at every use once renamed (nothing in between declares the name).
      const outer = scopes.scopeOf(fn);
      if (!outer?.parent || scopes.lookup(outer.parent, name) !== target) continue;
      const around = scopesAround(scopes, fn, own.references);
      if (own.references.some((id) => {
        const found = scopes.lookup(around.get(id)!, name);
        return found !== target && found !== own;
      })) continue;
      if (fn.params.some((p, i) => i !== k && n.Identifier.check(p) && p.name === name)) continue;
      for (const id of own.references) id.name = name;
      walk(fn.body, (node) => {
        // `{ ctx }` shorthand keeps its key.
        if ((node.type === 'ObjectProperty' || node.type === 'Property') && node.shorthand && own.references.includes(node.value as never)) {
          node.shorthand = false;
          node.key = b.identifier(param.name);
        }
      });
      fn.params.splice(k, 1);
      for (const call of sites) call!.arguments.splice(k, 1);
      ctx.report({ node: fn as Node, code: 'helper-parameter-aliased', data: { helper: binding.name, param: param.name, of: name } });
      return true;
    }
  }
  return false;
}

/** The innermost scope around each of `ids` (scopeOf knows only the nodes that open one). */
function scopesAround(scopes: RuleScopes, fn: Fn, ids: readonly unknown[]): Map<unknown, Scope> {
  const wanted = new Set(ids);
  const found = new Map<unknown, Scope>();
  walk(fn, (node, ancestors) => {
    if (!wanted.has(node)) return;
    for (let i = ancestors.length - 1; i >= 0; i--) {
      const scope = scopes.scopeOf(ancestors[i]);
      if (scope) {
        found.set(node, scope);
        break;
      }
    }
  });
  return found;
}

function within(fn: Fn, id: unknown): boolean {
  let found = false;
  walk(fn.body, (node) => {
    if (node === id) found = true;
    return !found;
  });
  return found;
}

// ---------------------------------------------------------------------------------------------
// context.X / user.X changed in place (`user.roles.push(r)`, `context.x.y = v`) or read back, and read
// by a later rule

const MUTATORS = new Set(['push', 'pop', 'shift', 'unshift', 'splice', 'sort', 'reverse', 'fill', 'copyWithin']);

interface FieldRef {
  /** The member expression of the field itself (`user.roles`). */
  member: NodePath;
  write: boolean;
}

/**
 * A field a later rule reads that this rule changes in place or reads: the rule works on a local copy
 * (`var userRoles = user.roles;`, the event's value, or what an earlier rule passed), and after each
 * statement that changes it, `user.roles = userRoles;` is added, which context-to-event turns into
 * api.transaction.setMetadata. A plain assignment never read back keeps the direct conversion.
 */
function localizePassedFields(ctx: PrepareContext, ast: Node) {
  const { rule, tenant } = ctx;
  const scopes = ruleScopes(rule);
  const params = { user: scopes.params.user, context: scopes.params.context };
  const refs = new Map<SharedField, FieldRef[]>();
  visit(rule.fn, {
    visitIdentifier(path) {
      const binding = scopes.resolve(path.node);
      const kind = binding && binding === params.user ? 'user' : binding && binding === params.context ? 'context' : null;
      if (!kind) return false;
      // The static keys above it, and the member paths of each level.
      const keys: string[] = [];
      const levels: NodePath[] = [];
      let current: NodePath = path;
      let dynamic = false;
      // Up the whole member chain (`user.roles[i] = r` changes user.roles); keys until the first computed one.
      while (n.MemberExpression.check(current.parent?.node) && current.parent.node.object === current.node) {
        const member = current.parent.node;
        const key = !member.computed && n.Identifier.check(member.property) ? member.property.name : n.StringLiteral.check(member.property) ? member.property.value : null;
        if (key === null) dynamic = true;
        if (!dynamic) keys.push(key!);
        levels.push(current.parent);
        current = current.parent;
      }
      const field = tenant!.passes.find((f) => f.kind === kind && keys.slice(0, f.field.split('.').length).join('.') === f.field);
      if (!field) return false;
      const depth = field.field.split('.').length;
      const top = levels[levels.length - 1];
      const holder = top.parent?.node;
      if (levels.length < depth) return false;
      const write = (n.AssignmentExpression.check(holder) && holder.left === top.node) || n.UpdateExpression.check(holder) ||
        (n.UnaryExpression.check(holder) && holder.operator === 'delete') ||
        (n.CallExpression.check(holder) && holder.callee === top.node && !dynamic && levels.length > depth && MUTATORS.has(keys[keys.length - 1]));
      refs.set(field, [...(refs.get(field) ?? []), { member: levels[depth - 1], write }]);
      return false;
    },
  });
  const taken = namesIn(ast);
  for (const [field, list] of refs) {
    // Only assigned as a whole and never read here: context-to-event passes it on directly.
    const inPlace = list.some((r) => r.write && !isWholeAssignment(r.member));
    if (!inPlace && !list.some((r) => !r.write)) continue;
    const param = field.kind === 'user' ? rule.user! : rule.context!;
    const name = freshName(`${field.kind}${field.field.split('.').map((k) => k.replace(/^./, (c) => c.toUpperCase())).join('').replace(/[^\w$]/g, '')}`, taken);
    const target = `${param}${field.field.split('.').map((k) => (IDENTIFIER.test(k) ? `.${k}` : `[${JSON.stringify(k)}]`)).join('')}`;
    // Its value when the rule starts: what an earlier rule passed, else the event's (a context field
    // the Rules context did not have started undefined).
    const received = tenant!.receives.some((f) => f.kind === field.kind && f.field === field.field);
    const known = field.kind === 'user' || Object.hasOwn(contextFields, field.field.split('.')[0]);
    const after = new Map<NodePath, FieldRef>();
    for (const ref of list) {
      if (ref.write && !after.has(statementOf(ref.member))) after.set(statementOf(ref.member), ref);
    }
    const loc = (list[0].member.node as { loc?: unknown }).loc;
    for (const [statement, ref] of after) {
      const pass = freshStatements(`${target} = ${name};`);
      // Findings about the pass (context-to-event's) point at the change.
      ((pass[0] as K.ExpressionStatement).expression as K.AssignmentExpression).left.loc = (ref.member.node as { loc?: never }).loc;
      const statements = statement.parentPath.value as Statement[];
      statements.splice(statements.indexOf(statement.node as Statement) + 1, 0, ...pass);
    }
    const first = list[0].member.node as Node;
    for (const ref of list) ref.member.replace(b.identifier(name));
    const [copy] = freshStatements(received || known ? `var ${name} = ${target};` : `var ${name};`);
    const init = (copy as K.VariableDeclaration).declarations[0] as K.VariableDeclarator;
    if (init.init) {
      (init.init as { loc?: unknown }).loc = loc;
      // Read before any change: not a read-back (context-to-event).
      ctx.module.copies = [...(ctx.module.copies ?? []), init.init as Node];
    }
    rule.body.body.unshift(copy);
    ctx.report({ node: first, code: 'shared-field-local', data: { from: `${field.kind}.${field.field}`, name, readers: listOf(field.others) } });
  }
}

function isWholeAssignment(member: NodePath): boolean {
  const parent = member.parent?.node;
  return n.AssignmentExpression.check(parent) && parent.left === member.node && parent.operator === '=';
}

/** The statement in a statement list that holds `path`. */
function statementOf(path: NodePath): NodePath {
  let current: NodePath = path;
  while (!(n.Statement.check(current.node) && Array.isArray(current.parentPath?.value))) current = current.parent;
  return current;
}
