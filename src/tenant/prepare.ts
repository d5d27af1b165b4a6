// The tenant-level pass on one rule, before the transforms run: what the tenant view says about
// `global.X` becomes code of this rule (a carried helper, a constant, a secret, a module-level cache),
// and local helpers that always receive the rule's user/context/callback use them directly, so the
// transforms convert their bodies like the rule's own code.
import { b, n, type NodePath } from '../ast.js';
import { isGlobalReference, isReference, isRuleParameter } from '../bindings.js';
import { freshStatements } from '../context-writes.js';
import { visit } from '../visit.js';
import type { ModuleParts, Node, ReportInput, RuleShape, Statement } from '../types.js';
import type { GlobalShare, RuleTenantView } from './types.js';

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
  /** Source of the code brought in: transforms skip a rule by its text (Transform.relevant), this counts too. */
  addedText: string;
}

const RESERVED = new Set(['event', 'api', 'exports', 'module', 'require', 'global', 'undefined', 'arguments', 'configuration', 'auth0', 'UnauthorizedError']);
const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

export function prepareTenant(ctx: PrepareContext, ast: Node): Prepared {
  const prepared: Prepared = { movedDefinitions: 0, carried: new Set(), addedText: '' };
  const { tenant } = ctx;
  if (tenant) {
    if (tenant.orderNote && (tenant.passes.length || tenant.receives.length || Object.keys(tenant.globals).length)) {
      ctx.report({ node: ctx.rule.fn, code: 'plain-order', data: { position: tenant.position + 1, rules: tenant.rules } });
    }
    convertGlobals(ctx, ast, tenant, prepared);
  }
  aliasHelperParameters(ctx);
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
    ctx.rule.body.body.unshift(...injected);
  }
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
 * the rule) and the calls stop passing it. Repeated until nothing changes: a helper that passes its
 * parameter on to another helper makes that one's parameter the rule's too, at any depth.
 */
function aliasHelperParameters(ctx: PrepareContext) {
  const { rule } = ctx;
  const kinds = [rule.user, rule.context, rule.callback].filter((name): name is string => Boolean(name));
  if (kinds.length === 0) return;
  for (let round = 0; round < 8; round++) {
    const helpers = findHelpers(rule);
    let changed = false;
    for (const helper of helpers) {
      const calls = callsOf(rule, helper.name);
      if (!calls) continue;
      for (let k = helper.fn.params.length - 1; k >= 0; k--) {
        const param = helper.fn.params[k];
        if (!n.Identifier.check(param)) continue;
        const of = commonRuleArgument(calls, k, rule, kinds);
        if (!of || !canAlias(helper, param.name, of)) continue;
        renameParameter(helper, param.name, of);
        helper.fn.params.splice(k, 1);
        for (const call of calls) (call.node as { arguments: Node[] }).arguments.splice(k, 1);
        ctx.report({ node: helper.fn, code: 'helper-parameter-aliased', data: { helper: helper.name, param: param.name, of } });
        changed = true;
      }
    }
    if (!changed) return;
  }
}

function findHelpers(rule: RuleShape): Helper[] {
  const declared = new Map<string, number>();
  const helpers: Helper[] = [];
  visit(rule.body, {
    visitFunctionDeclaration(path) {
      const name = n.Identifier.check(path.node.id) ? path.node.id.name : undefined;
      if (name) {
        declared.set(name, (declared.get(name) ?? 0) + 1);
        helpers.push({ name, fn: path.node as never });
      }
      this.traverse(path);
    },
    visitVariableDeclarator(path) {
      const { id, init } = path.node;
      if (n.Identifier.check(id)) {
        declared.set(id.name, (declared.get(id.name) ?? 0) + 1);
        if ((n.FunctionExpression.check(init) || n.ArrowFunctionExpression.check(init)) && n.BlockStatement.check(init.body)) {
          helpers.push({ name: id.name, fn: init as never });
        }
      }
      this.traverse(path);
    },
    visitFunction(path) {
      for (const p of path.node.params) if (n.Identifier.check(p)) declared.set(p.name, (declared.get(p.name) ?? 0) + 1);
      this.traverse(path);
    },
  });
  // One declaration of the name in the whole rule: every reference is to this helper.
  return helpers.filter((h) => declared.get(h.name) === 1);
}

/** Paths of the calls `name(…)`; null when the helper is used any other way (passed, reassigned, spread into). */
function callsOf(rule: RuleShape, name: string): NodePath[] | null {
  const calls: NodePath[] = [];
  let other = false;
  visit(rule.fn, {
    visitIdentifier(path) {
      if (path.node.name !== name || !isReference(path)) return false;
      const parent = path.parent?.node;
      if (n.FunctionDeclaration.check(parent) && parent.id === path.node) return false;
      if (n.VariableDeclarator.check(parent) && parent.id === path.node) return false;
      if (n.CallExpression.check(parent) && parent.callee === path.node && !parent.arguments.some((a) => n.SpreadElement.check(a))) calls.push(path.parent);
      else other = true;
      return false;
    },
  });
  return other || calls.length === 0 ? null : calls;
}

/** The rule parameter every call passes at position k, or null. */
function commonRuleArgument(calls: NodePath[], k: number, rule: RuleShape, kinds: string[]): string | null {
  let found: string | null = null;
  for (const call of calls) {
    const argument = (call.node as { arguments: Node[] }).arguments[k];
    if (!n.Identifier.check(argument) || !kinds.includes(argument.name)) return null;
    if (!isRuleParameter(call.get('arguments', k), argument.name, rule)) return null;
    if (found !== null && found !== argument.name) return null;
    found = argument.name;
  }
  return found;
}

/** The parameter is never assigned, the helper reads no `arguments`, and nothing inside declares `of` again. */
function canAlias(helper: Helper, param: string, of: string): boolean {
  let ok = true;
  visit(helper.fn.body, {
    visitIdentifier(path) {
      const { name } = path.node;
      const parent = path.parent?.node;
      if (name === 'arguments' && isReference(path)) ok = false;
      if (name === param && (n.AssignmentExpression.check(parent) && parent.left === path.node || n.UpdateExpression.check(parent))) ok = false;
      return false;
    },
    visitFunction(path) {
      if (path.node.params.some((p) => n.Identifier.check(p) && (p.name === of || p.name === param))) ok = false;
      this.traverse(path);
    },
    visitVariableDeclarator(path) {
      if (n.Identifier.check(path.node.id) && (path.node.id.name === of || path.node.id.name === param)) ok = false;
      this.traverse(path);
    },
  });
  // Another parameter of the helper named like the rule's would hide it.
  if (helper.fn.params.some((p) => n.Identifier.check(p) && p.name === of && p.name !== param)) ok = false;
  return ok;
}

function renameParameter(helper: Helper, param: string, of: string) {
  if (param === of) return;
  visit(helper.fn.body, {
    visitIdentifier(path) {
      if (path.node.name === param && isReference(path)) {
        const parent = path.parent?.node;
        // `{ ctx }` shorthand keeps its key.
        if ((n.ObjectProperty.check(parent) || n.Property.check(parent)) && parent.shorthand && parent.value === path.node) {
          parent.shorthand = false;
          parent.key = b.identifier(param);
        }
        path.replace(b.identifier(of));
      }
      return false;
    },
  });
}
