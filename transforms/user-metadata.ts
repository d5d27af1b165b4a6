import type { namedTypes as K } from 'ast-types';
import * as recast from 'recast';
import { b, enclosingStatement, memberChain, n, statements, type NodePath } from '../src/ast.js';
import { analyzeScopes, bindingOwner, namesDeclaredIn } from '../src/ast/scope.js';
import { flattenInfallible, matchContinuation, passedToThen, startedCall } from '../src/ast/flow.js';
import { freshStatements } from '../src/context-writes.js';
import { cloneNode, endOf, enclosingFunction, isWithin, startOf } from '../src/nodes.js';
import type { Expression, Node, Statement, Transform, TransformContext } from '../src/types.js';
import { visit } from '../src/visit.js';
import { fastCheck, someNode, walk } from '../src/walk.js';

type Call = K.CallExpression;
type Kind = 'app_metadata' | 'user_metadata';

// Reference: rules-to-actions.md §5 (metadata writes), rule-patterns.md §12 (merge quirks).
const KINDS: Record<Kind, { update: string; set: string }> = {
  app_metadata: { update: 'updateAppMetadata', set: 'setAppMetadata' },
  user_metadata: { update: 'updateUserMetadata', set: 'setUserMetadata' },
};
const UPDATE_METHODS = new Map(Object.entries(KINDS).map(([kind, v]) => [v.update, kind as Kind]));
const MUTATING_METHODS = new Set(['push', 'pop', 'shift', 'unshift', 'splice', 'sort', 'reverse', 'fill', 'set', 'add', 'delete']);
const MERGE_FUNCTIONS = new Set(['Object.assign', '_.merge', '_.assign', '_.extend', '_.defaults', '_.set', '_.mergeWith']);

/**
 * Changes to the current user's metadata, saved with `auth0.users.update*Metadata(user.user_id, …)`,
 * become `api.user.set*Metadata(key, value)` per top-level key. The promise chain or callback around
 * the update is flattened first: its success path is inlined, its error path removed (the set calls
 * are batched and cannot fail there), so callback-to-return later converts the callbacks it held.
 */
export const userMetadata: Transform = {
  id: 'user-metadata',
  description: 'user.app_metadata.k = v + auth0.users.updateAppMetadata(user.user_id, …) → api.user.setAppMetadata(k, v) (same for user_metadata)',
  safety: 'review',
  relevant: /metadata/i,
  messages: {
    'update-converted': {
      severity: 'info',
      text: 'auth0.users.{{update}} → api.user.{{set}} per key: the changes are batched and saved once, at the end of the login flow.',
    },
    'fallback-removed': {
      severity: 'info',
      text: '`user.{{kind}} = user.{{kind}} || {}` is not needed: event.user.{{kind}} is always an object in Actions.',
    },
    'error-path-removed': {
      severity: 'info',
      text: 'This error handler is removed: api.user.{{set}} is batched and does not fail at this point, so it could never run.',
    },
    'promise-passed-to-then': {
      severity: 'info',
      text: 'A promise, not a function, was passed to .then(): in Rules both updates started at once. The Action sets both.',
    },
    'opaque-metadata': {
      severity: 'warning',
      text: 'The metadata passed to auth0.users.{{update}} is not an object literal: every top-level key of it is set in a loop. Check that it holds only the keys meant to change.',
    },
    'other-user': {
      severity: 'error',
      text: 'This updates the metadata of another user ({{id}}), not of the user logging in: api.user cannot do that. Use the Management API (ManagementClient users.update) with a machine-to-machine application whose credentials are Action secrets.',
    },
    'not-persisted': {
      severity: 'warning',
      text: 'user.{{kind}} is changed here but never saved with auth0.users.{{update}}: in Rules this change was not persisted either (later rules only saw it on the user object). The Action keeps it only as a comment; pass the value with api.transaction.setMetadata if a later Action needs it.',
    },
    'saved-earlier': {
      severity: 'warning',
      text: 'Saved where it is assigned: the rule saved it later (line {{line}}) and could stop before that (deny or error), which does not cancel this change in an Action.',
    },
    'untracked-change': {
      severity: 'error',
      text: 'This change to user.{{kind}} is not converted ({{why}}): set the new value of its top-level key with api.user.{{set}}(key, value).',
    },
    'stale-read': {
      severity: 'warning',
      text: '{{target}} was changed earlier in the rule, but event.user does not see changes made with api.user.{{set}}: this reads the value from before the login. Keep the new value in a local variable.',
    },
    'read-after-set': {
      severity: 'info',
      text: '{{target}} was set above; event.user does not see that change in an Action, so the assigned value is used here.',
    },
    'local-copy': {
      severity: 'info',
      text: 'user.{{kind}} is changed and read back in this rule: `{{name}}`, a copy of event.user.{{kind}}, carries the rule\'s values (event.user does not see api.user.{{set}} changes).',
    },
    'kept-locally': {
      severity: 'warning',
      text: 'user.{{kind}} is changed here but never saved with auth0.users.{{update}}: in Rules this change was not persisted either, but later rules saw it on the user object. The Action keeps it in `{{name}}` for this rule\'s own reads; pass it with api.transaction.setMetadata if a later Action needs it.',
    },
    'chain-not-converted': {
      severity: 'error',
      text: 'This auth0.users.{{update}} call could not be converted ({{why}}): rewrite it with api.user.{{set}}(key, value).',
    },
    'set-in-callback': {
      severity: 'warning',
      text: 'api.user.{{set}} is called inside a nested function: it must run before the Action returns (the API says not to use it in callbacks). Rewrite this flow with await.',
    },
    'late-callback-dropped': {
      severity: 'info',
      text: 'This callback of the update is dropped: the code after the update called back first, and in Rules the first call won. The update itself is kept.',
    },
    'then-after-code': {
      severity: 'warning',
      text: 'The code after this update ran before its .then() callback in Rules: the callback body now runs after that code.',
    },
  },
  apply(ctx) {
    const linking = looksLikeLinking(ctx);
    const failed = new Set<unknown>();
    flattenChains(ctx, failed);
    convertUpdates(ctx, linking, failed);
  },
};

// ---------------------------------------------------------------------------------------------
// Matching

interface UpdateCall {
  kind: Kind;
  call: Call;
  current: boolean;
}

function matchUpdateCall(ctx: TransformContext, node: unknown, path: NodePath | null): UpdateCall | null {
  const kind = updateKind(node);
  if (!kind || declaresAuth0(ctx)) return null;
  const call = node as Call;
  return { kind, call, current: isCurrentUserId(ctx, call.arguments[0], path) };
}

/** The shape of `auth0.users.update*Metadata(…)`, from the node alone. */
function updateKind(node: unknown): Kind | null {
  if (!n.CallExpression.check(node) || !n.MemberExpression.check(node.callee) || node.callee.computed) return null;
  const method = node.callee.property;
  const kind = n.Identifier.check(method) ? UPDATE_METHODS.get(method.name) : undefined;
  const users = node.callee.object;
  if (!kind || !n.MemberExpression.check(users) || !n.Identifier.check(users.object) || users.object.name !== 'auth0') return null;
  if (!n.Identifier.check(users.property) || users.property.name !== 'users' || users.computed) return null;
  return kind;
}

// Per-rule cache (keyed by the rule being migrated, so nothing is shared between runs).
const auth0Declared = new WeakMap<object, boolean>();

/** A rule that declares its own `auth0` is not calling the Rules Management API object. */
function declaresAuth0(ctx: TransformContext): boolean {
  let declared = auth0Declared.get(ctx.rule);
  if (declared === undefined) {
    declared = analyzeScopes(ctx.ast as unknown as Node).bindings.some((binding) => binding.name === 'auth0');
    auth0Declared.set(ctx.rule, declared);
  }
  return declared;
}

function isCurrentUserId(ctx: TransformContext, node: unknown, path: NodePath | null): boolean {
  if (!n.MemberExpression.check(node) || node.computed || !n.Identifier.check(node.property)) return false;
  return node.property.name === 'user_id' && isUserParam(ctx, node.object, path);
}

function isUserParam(ctx: TransformContext, node: unknown, path: NodePath | null): boolean {
  if (!n.Identifier.check(node) || node.name !== ctx.rule.user) return false;
  // The rule's own parameter, not a name declared again in a nested function or block (src/ast/scope.ts).
  const owner = path ? bindingOwner(path, node.name, ctx.rule.fn as Node) : null;
  return owner === null || owner === ctx.rule.fn;
}

/** `user.app_metadata[.key]` → its kind and key (an expression; `keyName` when static). */
function metadataTarget(ctx: TransformContext, node: unknown, path: NodePath | null) {
  const parts: K.MemberExpression[] = [];
  let current = node;
  while (n.MemberExpression.check(current)) {
    parts.unshift(current);
    current = current.object;
  }
  if (!isUserParam(ctx, current, path) || parts.length < 1) return null;
  const kind = staticName(parts[0]);
  if (kind !== 'app_metadata' && kind !== 'user_metadata') return null;
  const keyMember = parts[1];
  return {
    kind: kind as Kind,
    depth: parts.length,
    key: keyMember ? (keyMember.computed ? (keyMember.property as Expression) : b.stringLiteral(staticName(keyMember)!)) : null,
    keyName: keyMember ? staticName(keyMember) : null,
  };
}

function staticName(member: K.MemberExpression): string | null {
  if (!member.computed && n.Identifier.check(member.property)) return member.property.name;
  if (n.StringLiteral.check(member.property)) return member.property.value;
  return null;
}

/** rule-patterns.md §15 strong signals: the account-linking transform owns those rules' Management API calls. */
function looksLikeLinking(ctx: TransformContext): boolean {
  // Node-only tests: a plain scan, no NodePaths.
  return someNode(ctx.rule.body, (node) => {
    if (is.CallExpression(node)) {
      const callee = node.callee;
      return is.MemberExpression(callee) && is.Identifier(callee.property) && /^(linkUsers|link)$/.test(callee.property.name);
    }
    if (is.StringLiteral(node)) return node.value.includes('/identities');
    if (is.TemplateElement(node)) return node.value.raw.includes('/identities');
    return is.Identifier(node) && (node.name === 'link_with' || node.name === 'primaryUser');
  });
}

const is = {
  CallExpression: fastCheck(n.CallExpression),
  MemberExpression: fastCheck(n.MemberExpression),
  Identifier: fastCheck(n.Identifier),
  StringLiteral: fastCheck(n.StringLiteral),
  TemplateElement: fastCheck(n.TemplateElement),
};

// ---------------------------------------------------------------------------------------------
// Step 1: flatten `.then/.catch` chains and error-first callbacks around current-user updates, through
// the flow model (src/ast/flow.ts) under its 'cannot-fail' policy: api.user.set* is batched and cannot
// fail where the update stood, so the rule's error paths go and its success path follows the update.

/** The updates a promise starts, where the rule started them, or null when it is not only current-user updates. */
interface Started {
  /** Every update, the first one named in findings. */
  calls: Call[];
  /** The updates that start here (not in a declaration that stays). */
  here: Call[];
  /** `.then(update(…))`: a promise, not a function, passed to `.then`. */
  passed: Call[];
  /** `const p = update(…);` statements of a `Promise.all([p, …])`: they stay, as statements. */
  declarations: NodePath[];
}

function startedUpdates(ctx: TransformContext, promise: unknown, path: NodePath): Started | null {
  const update = matchUpdateCall(ctx, promise, path);
  if (update) return update.current && update.call.arguments.length === 2 ? { calls: [update.call], here: [update.call], passed: [], declarations: [] } : null;
  const all = matchPromiseAll(ctx, promise, path);
  if (all) {
    const here = all.calls.filter((call) => !all.declarations.some((d) => d.node.declarations[0].init === call));
    return { calls: all.calls, here, passed: [], declarations: all.declarations };
  }
  // `update(a).then(update(b))`: both started at once, when the chain was built.
  const link = passedToThen(promise);
  if (link) {
    const inner = startedUpdates(ctx, link.promise, path);
    const passed = matchUpdateCall(ctx, link.passed, path);
    if (!inner || !passed?.current) return null;
    return { calls: [...inner.calls, passed.call], here: [...inner.here, passed.call], passed: [...inner.passed, passed.call], declarations: inner.declarations };
  }
  return null;
}

/** `Promise.all([auth0.users.updateAppMetadata(…), p2])` where p2 is `const p2 = auth0.users.update…(…)` used only here. */
function matchPromiseAll(ctx: TransformContext, node: unknown, path: NodePath) {
  if (!n.CallExpression.check(node) || memberChain(node.callee)?.join('.') !== 'Promise.all') return null;
  const [list] = node.arguments;
  if (!n.ArrayExpression.check(list) || list.elements.length === 0) return null;
  const calls: Call[] = [];
  const declarations: NodePath[] = [];
  for (const element of list.elements) {
    if (n.Identifier.check(element)) {
      const declaration = findUpdateDeclaration(ctx, element.name);
      if (!declaration) return null;
      declarations.push(declaration.path);
      calls.push(declaration.call);
      continue;
    }
    const update = matchUpdateCall(ctx, element, path);
    if (!update?.current) return null;
    calls.push(update.call);
  }
  return { calls, declarations };
}

function findUpdateDeclaration(ctx: TransformContext, name: string): { path: NodePath; call: Call } | null {
  let found: { path: NodePath; call: Call } | null = null;
  let uses = 0;
  visit(ctx.rule.body, {
    visitVariableDeclaration(path) {
      const [declarator] = path.node.declarations;
      if (path.node.declarations.length === 1 && n.VariableDeclarator.check(declarator) && isName(declarator.id, name)) {
        const update = matchUpdateCall(ctx, declarator.init, path);
        if (update?.current && update.call.arguments.length === 2 && Array.isArray(path.parentPath?.value)) found = { path, call: update.call };
        return false;
      }
      this.traverse(path);
    },
    visitIdentifier(path) {
      if (path.node.name === name) uses++;
      return false;
    },
  });
  // Used only in the Promise.all: the promise is not awaited or chained anywhere else.
  return uses === 1 ? found : null;
}

/** `update(…).then(…)` (or the update itself) continues a chain: returned from a `.then`, it is flattened next. */
function isChainOfUpdate(ctx: TransformContext, expr: unknown): boolean {
  let current = expr;
  while (n.CallExpression.check(current) && n.MemberExpression.check(current.callee)) {
    if (matchUpdateCall(ctx, current, null)) return true;
    current = current.callee.object;
  }
  return false;
}

function flattenChains(ctx: TransformContext, failed: Set<unknown>) {
  // Every chain holds an auth0.users update.
  if (!someNode(ctx.rule.body, (node) => updateKind(node) !== null)) return;
  const names = { callback: ctx.rule.callback, user: ctx.rule.user, context: ctx.rule.context };
  const root = ctx.rule.body as unknown as Node;
  // Inlined bodies may hold further updates (`return auth0.users.updateUserMetadata(…)`): repeat.
  for (let changed = true; changed; ) {
    changed = false;
    visit(ctx.rule.body, {
      visitStatement(path) {
        if (changed || failed.has(path.node)) return false;
        const statement = path.node;
        // `await update(…)`: the set calls are not awaited, nor is a chain whose handlers are inlined; the
        // await goes with the statement once the update is flattened (another user's update stays awaited).
        const c = n.ExpressionStatement.check(statement) || n.ReturnStatement.check(statement) ? matchContinuation(path, names, root, { bare: true }) : null;
        const started = c?.kind === 'promise' ? startedUpdates(ctx, c.promise, path) : null;
        const update = c?.kind === 'error-first' ? matchUpdateCall(ctx, c.call, path) : started ? matchUpdateCall(ctx, started.calls[0], path) : null;
        if (!c || !update?.current || (c.kind === 'error-first' && c.index !== 2)) return this.traverse(path);
        const set = KINDS[update.kind].set;
        const start = c.kind === 'error-first' ? [startedCall(c)] : started!.here.map((call) => b.expressionStatement(call));
        const result = flattenInfallible(c, names, { start, continues: (expr) => isChainOfUpdate(ctx, expr) });
        if ('why' in result) {
          failed.add(statement);
          ctx.todo({ node: update.call, code: 'chain-not-converted', data: { ...KINDS[update.kind], why: result.why }, statement: statement as Node });
          return false;
        }
        for (const call of started?.passed ?? []) ctx.report({ node: call, code: 'promise-passed-to-then' });
        // `const p = update;` started the update where it stands: it stays there, as a statement.
        for (const declaration of started?.declarations ?? []) declaration.replace(b.expressionStatement(declaration.node.declarations[0].init));
        for (const node of result.removed) ctx.report({ node, code: 'error-path-removed', data: { set } });
        // The rest of the list ran synchronously, before the .then callback.
        if (result.deferred) ctx.report({ node: update.call, code: 'then-after-code' });
        for (const node of result.lateCallbacks ?? []) ctx.report({ node, code: 'late-callback-dropped' });
        changed = true;
        return false;
      },
      // The method only traverses other statements: no NodePath for them.
    }, (node) => changed || failed.has(node) || node.type === 'ExpressionStatement' || node.type === 'ReturnStatement');
  }
}

function isName(node: unknown, name: string): boolean {
  return n.Identifier.check(node) && node.name === name;
}

function usesName(root: unknown, name: string): boolean {
  let used = false;
  visit(root as Node, {
    visitIdentifier(path) {
      const parent = path.parent?.node;
      const isProperty = n.MemberExpression.check(parent) && parent.property === path.node && !parent.computed;
      if (path.node.name === name && !isProperty) used = true;
      return false;
    },
  }, (node) => node.name === name);
  return used;
}

/** Ends in a return or a callback call (callback-to-return makes that a return). */
function endsInExit(ctx: TransformContext, list: Statement[]): boolean {
  const last = list[list.length - 1];
  if (n.ReturnStatement.check(last)) return true;
  return n.ExpressionStatement.check(last) && n.CallExpression.check(last.expression) && isName(last.expression.callee, ctx.rule.callback ?? '');
}

// ---------------------------------------------------------------------------------------------
// Step 2: the changes and the update statements → set calls.

interface Update {
  kind: Kind;
  call: Call;
  statement: NodePath;
  fn: Node | null;
  metadata: Expression;
}

interface Assignment {
  kind: Kind;
  node: Node;
  statement: NodePath;
  key: Expression;
  keyName: string | null;
  value: Expression;
  fn: Node | null;
  target?: Update;
}

interface Collected {
  updates: Update[];
  assignments: Assignment[];
  fallbacks: NodePath[];
  mutations: Array<{ kind: Kind; node: Node; statement: NodePath | null; why: string }>;
}

function collect(ctx: TransformContext, linking: boolean, failed: Set<unknown>): Collected {
  const found: Collected = { updates: [], assignments: [], fallbacks: [], mutations: [] };
  const statementOf = (path: NodePath) => (n.ExpressionStatement.check(path.parent?.node) ? path.parent : null);
  visit(ctx.rule.body, {
    visitCallExpression(path) {
      const update = matchUpdateCall(ctx, path.node, path);
      if (update) {
        const statement = enclosingStatement(path);
        const names = KINDS[update.kind];
        if (insideFailed(path, failed)) return false;
        if (!update.current) {
          if (!linking) {
            const id = recast.print(update.call.arguments[0] ?? b.identifier('undefined')).code;
            ctx.todo({ node: update.call, code: 'other-user', data: { id }, statement: statement?.node });
          }
          return false;
        }
        const own = statementOf(path);
        if (!own || update.call.arguments.length !== 2) {
          if (statement) failed.add(statement.node);
          ctx.todo({ node: update.call, code: 'chain-not-converted', data: { ...names, why: 'its result is used as a value' }, statement: statement?.node });
          return false;
        }
        found.updates.push({ kind: update.kind, call: update.call, statement: own, fn: enclosingFunction(path), metadata: update.call.arguments[1] as Expression });
        return false;
      }
      const callee = path.node.callee;
      const calleeName = n.MemberExpression.check(callee) && !callee.computed && n.Identifier.check(callee.property) ? callee.property.name : null;
      const target = n.MemberExpression.check(callee) ? metadataTarget(ctx, callee.object, path) : null;
      if (target && calleeName && MUTATING_METHODS.has(calleeName)) {
        found.mutations.push({ kind: target.kind, node: path.node, statement: statementOf(path), why: `.${calleeName}() changes it in place` });
      }
      // Only `Object.assign`-like members can print as one of MERGE_FUNCTIONS: print just those.
      const printedCallee = mayBeMergeFunction(callee) ? recast.print(callee).code : '';
      const merged = MERGE_FUNCTIONS.has(printedCallee) ? metadataTarget(ctx, path.node.arguments[0], path) : null;
      if (merged) found.mutations.push({ kind: merged.kind, node: path.node, statement: statementOf(path), why: `${printedCallee}() changes it in place` });
      this.traverse(path);
    },
    visitAssignmentExpression(path) {
      const { left, right, operator } = path.node;
      const target = metadataTarget(ctx, left, path);
      if (!target) return this.traverse(path);
      const statement = statementOf(path);
      if (target.depth === 1) {
        const fallback =
          operator === '=' &&
          n.LogicalExpression.check(right) &&
          right.operator === '||' &&
          metadataTarget(ctx, right.left, path)?.depth === 1 &&
          metadataTarget(ctx, right.left, path)?.kind === target.kind &&
          n.ObjectExpression.check(right.right) &&
          right.right.properties.length === 0;
        if (fallback && statement) found.fallbacks.push(statement);
        else found.mutations.push({ kind: target.kind, node: path.node, statement, why: 'the whole object is replaced' });
        return false;
      }
      if (target.depth > 2 || !statement) {
        const why = target.depth > 2 ? 'a nested property is changed' : 'it is assigned inside an expression';
        found.mutations.push({ kind: target.kind, node: path.node, statement, why });
        return false;
      }
      const op = operator.slice(0, -1);
      const value: Expression =
        operator === '='
          ? right
          : op === '||' || op === '&&' || op === '??'
            ? b.logicalExpression(op, cloneNode(left) as Expression, right)
            : b.binaryExpression(op as '+', cloneNode(left) as Expression, right);
      found.assignments.push({ kind: target.kind, node: path.node, statement, key: target.key!, keyName: target.keyName, value, fn: enclosingFunction(path) });
      return false;
    },
    visitUpdateExpression(path) {
      const target = metadataTarget(ctx, path.node.argument, path);
      if (!target) return this.traverse(path);
      const statement = statementOf(path);
      if (target.depth !== 2 || !statement) {
        found.mutations.push({ kind: target.kind, node: path.node, statement, why: 'it is changed inside an expression' });
        return false;
      }
      const value = b.binaryExpression(path.node.operator === '++' ? '+' : '-', cloneNode(path.node.argument) as Expression, b.numericLiteral(1));
      found.assignments.push({ kind: target.kind, node: path.node, statement, key: target.key!, keyName: target.keyName, value, fn: enclosingFunction(path) });
      return false;
    },
    visitUnaryExpression(path) {
      const target = path.node.operator === 'delete' ? metadataTarget(ctx, path.node.argument, path) : null;
      if (!target) return this.traverse(path);
      const statement = statementOf(path);
      if (target.depth !== 2 || !statement) {
        found.mutations.push({ kind: target.kind, node: path.node, statement, why: 'a property is deleted inside an expression or below the top level' });
        return false;
      }
      // A null value deletes the key, like `delete` followed by the update did.
      found.assignments.push({ kind: target.kind, node: path.node, statement, key: target.key!, keyName: target.keyName, value: b.nullLiteral(), fn: enclosingFunction(path) });
      return false;
    },
  });
  return found;
}

function mayBeMergeFunction(callee: unknown): boolean {
  return n.MemberExpression.check(callee) && !callee.computed && n.Identifier.check(callee.object) && n.Identifier.check(callee.property) &&
    MERGE_FUNCTIONS.has(`${callee.object.name}.${callee.property.name}`);
}

function insideFailed(path: NodePath, failed: Set<unknown>): boolean {
  for (let current: NodePath | null = path; current; current = current.parent) if (failed.has(current.node)) return true;
  return false;
}

function isOwnMetadata(ctx: TransformContext, node: unknown, kind: Kind): boolean {
  const target = metadataTarget(ctx, node, null);
  return target?.depth === 1 && target.kind === kind;
}

function convertUpdates(ctx: TransformContext, linking: boolean, failed: Set<unknown>) {
  const found = collect(ctx, linking, failed);
  const { updates, assignments, fallbacks, mutations } = found;
  const byPosition = (a: { node?: Node; call?: Call }, c: { node?: Node; call?: Call }) => startOf(a.node ?? a.call) - startOf(c.node ?? c.call);
  updates.sort(byPosition);
  assignments.sort(byPosition);

  for (const assignment of assignments) {
    assignment.target = updates.find(
      (u) => u.kind === assignment.kind && u.fn === assignment.fn && startOf(u.call) > endOf(assignment.node) && isOwnMetadata(ctx, u.metadata, u.kind),
    );
  }

  // Statements that may sit between a change and its update without making the move unsafe.
  const movable = new Set<unknown>([
    ...assignments.filter((a) => a.target).map((a) => a.statement.node),
    ...fallbacks.map((f) => f.node),
    ...updates.map((u) => u.statement.node),
  ]);
  // Reads of a key after it was set: classified while the paths are valid. A kind with a read that no
  // constant can answer gets a local copy that carries the rule's values (issue 17, item 2).
  const reads = classifyReads(ctx, assignments, updates.map((u) => u.metadata));
  const mirrors = planMirrors(ctx, assignments, mutations, reads);

  // Read only for a change that has its update (below), so collected only then.
  const exits = assignments.some((a) => a.target) ? collectExits(ctx) : [];
  const removals: NodePath[] = [...fallbacks];
  const consumed = new Set<Kind>();

  for (const fallback of fallbacks) {
    const kind = metadataTarget(ctx, (fallback.node as K.ExpressionStatement & { expression: K.AssignmentExpression }).expression.left, fallback)!.kind;
    ctx.report({ node: fallback.node, code: 'fallback-removed', data: { kind } });
  }

  for (const mutation of mutations) {
    const names = KINDS[mutation.kind];
    const input = { node: mutation.node, code: 'untracked-change', data: { kind: mutation.kind, set: names.set, why: mutation.why } };
    // A write to user.* cannot run in an Action: it is commented out. A method call still runs on event.user.
    if (mutation.statement && !n.CallExpression.check(mutation.node)) ctx.disable({ ...input, statement: mutation.statement as never });
    else ctx.todo({ ...input, statement: mutation.statement?.node });
  }

  const replacements = new Map<Update, Statement[]>();
  const insertAfter: Array<{ statement: NodePath; set: Statement }> = [];
  for (const update of updates) {
    const names = KINDS[update.kind];
    ctx.report({ node: update.call, code: 'update-converted', data: names });
    if (update.fn) ctx.report({ node: update.call, code: 'set-in-callback', data: names });
    const sets: Statement[] = [];
    if (isOwnMetadata(ctx, update.metadata, update.kind)) {
      const own = assignments.filter((a) => a.target === update);
      for (const assignment of own) {
        const mirror = mirrors.get(assignment.kind);
        const set = setCall(names.set, assignment.key, mirror ? mirroredValue(mirror, assignment) : assignment.value);
        if (isContiguous(assignment.statement, update.statement, movable)) {
          sets.push(set);
          // With a copy the change itself stays, written to the copy.
          if (!mirror) removals.push(assignment.statement);
        } else {
          if (exits.some((at) => at > endOf(assignment.node) && at < startOf(update.call))) {
            ctx.report({ node: assignment.node, code: 'saved-earlier', data: { line: update.call.loc?.start.line ?? 0 } });
          }
          if (mirror) insertAfter.push({ statement: assignment.statement, set });
          else assignment.statement.replace(set);
        }
      }
      const mutated = mutations.some((m) => m.kind === update.kind);
      if (own.length === 0 && !consumed.has(update.kind) && !mutated) {
        ctx.report({ node: update.metadata, code: 'opaque-metadata', data: names });
        sets.push(...setLoop(ctx, names.set, update.metadata));
      }
      consumed.add(update.kind);
    } else if (n.ObjectExpression.check(update.metadata) && update.metadata.properties.every(isPlainProperty)) {
      for (const property of update.metadata.properties as Array<K.ObjectProperty>) {
        const key = property.computed ? (property.key as Expression) : n.Identifier.check(property.key) ? b.stringLiteral(property.key.name) : (property.key as Expression);
        sets.push(setCall(names.set, key, property.value as Expression));
      }
    } else {
      ctx.report({ node: update.metadata, code: 'opaque-metadata', data: names });
      sets.push(...setLoop(ctx, names.set, update.metadata));
    }
    replacements.set(update, sets);
  }

  // Stale reads are resolved before the statements move: paths are still valid here.
  resolveReads(ctx, reads.filter((read) => !mirrors.has(read.kind)));

  // Kept as a comment rather than deleted: the reviewer sees what went, and keyword tokens survive.
  for (const assignment of assignments) {
    if (assignment.target) continue;
    const names = KINDS[assignment.kind];
    const mirror = mirrors.get(assignment.kind);
    if (mirror) {
      ctx.report({ node: assignment.node, code: 'kept-locally', data: { kind: assignment.kind, update: names.update, name: mirror } });
      continue;
    }
    ctx.disable({ node: assignment.node, code: 'not-persisted', data: { kind: assignment.kind, update: names.update }, statement: assignment.statement });
  }

  for (const { statement, set } of insertAfter) insertStatementAfter(statement, set);
  for (const [update, sets] of replacements) replaceStatement(update.statement, sets);
  for (const removal of removals) replaceStatement(removal, []);
  applyMirrors(ctx, assignments, mirrors);
}

function isPlainProperty(property: unknown): boolean {
  if (!n.ObjectProperty.check(property) && !(n.Property.check(property) && property.kind === 'init' && !property.method)) return false;
  return property.computed || n.Identifier.check(property.key) || n.StringLiteral.check(property.key) || n.NumericLiteral.check(property.key);
}

function setCall(method: string, key: Expression, value: Expression): Statement {
  const callee = b.memberExpression(b.memberExpression(b.identifier('api'), b.identifier('user')), b.identifier(method));
  return b.expressionStatement(b.callExpression(callee, [key, value]));
}

function setLoop(ctx: TransformContext, method: string, metadata: Expression): Statement[] {
  const taken = usesName(ctx.rule.body, 'key') || usesName(ctx.rule.body, 'value');
  const [key, value] = taken ? ['metadataKey', 'metadataValue'] : ['key', 'value'];
  const [loop] = statements(`for (const [${key}, ${value}] of Object.entries(__metadata)) {\n  api.user.${method}(${key}, ${value});\n}`);
  visit(loop, {
    visitIdentifier(path) {
      if (path.node.name === '__metadata') path.replace(metadata);
      return false;
    },
  });
  return [loop];
}

/** True when only other converted changes and updates stand between the change and its update. */
function isContiguous(statement: NodePath, update: NodePath, movable: Set<unknown>): boolean {
  const list: unknown = statement.parentPath?.value;
  if (!Array.isArray(list) || list !== update.parentPath?.value) return false;
  const from = list.indexOf(statement.node);
  const to = list.indexOf(update.node);
  return from >= 0 && from < to && list.slice(from + 1, to).every((s) => movable.has(s));
}

/** Offsets of returns, throws and callback calls: where a rule could stop. */
function collectExits(ctx: TransformContext): number[] {
  const exits: number[] = [];
  // Nodes alone: a plain walk, no NodePaths.
  walk(ctx.rule.body, (node) => {
    if (isReturn(node) || isThrow(node)) exits.push(startOf(node));
    else if (isCall(node) && n.Identifier.check(node.callee) && node.callee.name === ctx.rule.callback) exits.push(startOf(node));
  });
  return exits;
}

const isReturn = fastCheck(n.ReturnStatement);
const isThrow = fastCheck(n.ThrowStatement);
const isCall = fastCheck(n.CallExpression);

function replaceStatement(path: NodePath, replacement: Statement[]) {
  const list: unknown = path.parentPath?.value;
  if (Array.isArray(list)) {
    const index = list.indexOf(path.node);
    if (index >= 0) list.splice(index, 1, ...replacement);
    return;
  }
  path.replace(replacement.length === 1 ? replacement[0] : b.blockStatement(replacement));
}

// ---------------------------------------------------------------------------------------------
// Step 3: reads of a key after it was set. event.user keeps the values from before the login.

interface Read {
  path: NodePath;
  kind: Kind;
  /** `user.app_metadata.key` as the finding names it. */
  name: string;
  /** The assigned value, when reading it again gives the same result; null: the read is stale. */
  value: Expression | null;
}

/** Reads of user.<kind>[.key] after a change to it in the rule. */
function classifyReads(ctx: TransformContext, assignments: Assignment[], saved: Expression[]): Read[] {
  const reads: Read[] = [];
  if (assignments.length === 0) return reads;
  const reassigned = assignedNames(ctx);
  // The right-hand side of a change reads the value before it; what an update saves is not a read.
  const ownNodes = new Set<unknown>([...assignments.map((a) => a.node), ...saved]);
  // Reads are rare (the changes and what the updates save are not reads): visit only for one.
  if (!someNode(ctx.rule.body, (node) => mayBeMetadataRead(ctx, node), (node) => ownNodes.has(node))) return reads;
  visit(ctx.rule.body, {
    visitNode(path) {
      if (ownNodes.has(path.node)) return false;
      this.traverse(path);
    },
    visitMemberExpression(path) {
      if (ownNodes.has(path.node)) return false;
      const target = metadataTarget(ctx, path.node, path);
      if (!target || target.depth > 2) return this.traverse(path);
      const at = startOf(path.node);
      // A change inside a block that always ends the rule (return, callback) cannot reach reads after the block.
      const earlier = assignments.filter(
        (a) => a.kind === target.kind && endOf(a.node) < at && (isWithin(path, a.statement.parentPath?.parentPath?.node ?? null) || !listExits(ctx, a.statement.parentPath?.value)),
      );
      if (target.depth === 1) {
        if (earlier.length > 0) reads.push({ path, kind: target.kind, name: `user.${target.kind}`, value: null });
        return false;
      }
      const relevant = earlier.filter((a) => a.keyName === null || a.keyName === target.keyName);
      const last = relevant[relevant.length - 1];
      if (!last) return false;
      const name = `user.${target.kind}.${target.keyName ?? '[…]'}`;
      const value = last.keyName !== null && last.fn === enclosingFunction(path) && isWithin(path, last.statement.parentPath?.parentPath?.node ?? null)
        ? stableValue(last.value, reassigned)
        : null;
      reads.push({ path, kind: target.kind, name, value });
      return false;
    },
  }, (node) => ownNodes.has(node) || mayBeMetadataRead(ctx, node));
  return reads;
}

/** Reads with a constant answer get it; the others are flagged (kinds without a local copy). */
function resolveReads(ctx: TransformContext, reads: Read[]) {
  for (const read of reads) {
    if (!read.value) {
      flagStale(ctx, read.path, read.kind, read.name);
      continue;
    }
    ctx.report({ node: read.path.node, code: 'read-after-set', data: { target: read.name } });
    read.path.replace(read.value);
  }
}

/**
 * The kinds that get a local copy: a read no constant answers, and no change the copy cannot follow
 * (the whole object replaced). Kind → the copy's name.
 */
function planMirrors(ctx: TransformContext, assignments: Assignment[], mutations: Collected['mutations'], reads: Read[]): Map<Kind, string> {
  const mirrors = new Map<Kind, string>();
  const taken = new Set([...namesDeclaredIn(ctx.ast), ...identifierNames(ctx.ast)]);
  for (const kind of Object.keys(KINDS) as Kind[]) {
    if (!reads.some((read) => read.kind === kind && !read.value)) continue;
    if (mutations.some((m) => m.kind === kind && m.why === 'the whole object is replaced')) continue;
    if (!assignments.some((a) => a.kind === kind)) continue;
    const base = kind === 'app_metadata' ? 'appMetadata' : 'userMetadata';
    let name = base;
    for (let i = 2; taken.has(name); i++) name = `${base}${i}`;
    taken.add(name);
    mirrors.set(kind, name);
  }
  return mirrors;
}

/** What a set call saves from the copy: the key's value after the change (null for a delete). */
function mirroredValue(mirror: string, assignment: Assignment): Expression {
  if (n.UnaryExpression.check(assignment.node) && assignment.node.operator === 'delete') return b.nullLiteral();
  const plain = assignment.keyName !== null && /^[A-Za-z_$][\w$]*$/.test(assignment.keyName);
  const key = plain ? b.identifier(assignment.keyName!) : (cloneNode(assignment.key) as Expression);
  return b.memberExpression(b.identifier(mirror), key, !plain);
}

/**
 * The copies: declared first in the rule (`const appMetadata = Object.assign({}, user.app_metadata);`, which
 * context-to-event reads from event.user), and every `user.<kind>` from the first change on (the
 * changes themselves and the reads after them) goes through the copy.
 */
function applyMirrors(ctx: TransformContext, assignments: Assignment[], mirrors: Map<Kind, string>) {
  if (mirrors.size === 0) return;
  const firstChange = new Map<Kind, Assignment>();
  for (const assignment of assignments) if (!firstChange.has(assignment.kind)) firstChange.set(assignment.kind, assignment);
  const declarations: Statement[] = [];
  for (const [kind, name] of mirrors) {
    const first = firstChange.get(kind)!;
    ctx.report({ node: first.node, code: 'local-copy', data: { kind, name, set: KINDS[kind].set } });
    declarations.push(...freshStatements(`const ${name} = Object.assign({}, ${ctx.rule.user}.${kind});`));
  }
  visit(ctx.rule.body, {
    visitMemberExpression(path) {
      const target = metadataTarget(ctx, path.node, path);
      const name = target?.depth === 1 ? mirrors.get(target.kind) : undefined;
      if (!target || !name) return this.traverse(path);
      if (startOf(path.node) >= startOf(firstChange.get(target.kind)!.node)) path.replace(b.identifier(name));
      return false;
    },
  }, (node) => mayBeMetadataRead(ctx, node));
  ctx.rule.body.body.unshift(...declarations);
}

function identifierNames(root: unknown): Set<string> {
  const names = new Set<string>();
  someNode(root, (node) => {
    if (is.Identifier(node)) names.add(node.name);
    return false;
  });
  return names;
}

/** Puts `added` right after the statement (in a block when the statement is not in a list). */
function insertStatementAfter(path: NodePath, added: Statement) {
  const list: unknown = path.parentPath?.value;
  if (Array.isArray(list)) {
    const index = list.indexOf(path.node);
    if (index >= 0) list.splice(index + 1, 0, added);
    return;
  }
  path.replace(b.blockStatement([path.node as Statement, added]));
}

/** What metadataTarget needs of the node alone: `user.app_metadata…` or `user.user_metadata…`, any key after. */
function mayBeMetadataRead(ctx: TransformContext, node: unknown): boolean {
  if (!n.MemberExpression.check(node)) return false;
  let first = node;
  while (n.MemberExpression.check(first.object)) first = first.object;
  const kind = staticName(first);
  return n.Identifier.check(first.object) && first.object.name === ctx.rule.user && (kind === 'app_metadata' || kind === 'user_metadata');
}

function listExits(ctx: TransformContext, list: unknown): boolean {
  return Array.isArray(list) && endsInExit(ctx, list as Statement[]);
}

function flagStale(ctx: TransformContext, path: NodePath, kind: Kind, target: string) {
  const statement = enclosingStatement(path);
  ctx.todo({ node: path.node, code: 'stale-read', data: { target, set: KINDS[kind].set }, statement: statement?.node });
}

/** A copy of the assigned value when reading it again gives the same result: literals, names never reassigned. */
function stableValue(value: Expression, reassigned: Set<string>): Expression | null {
  const stable = (node: unknown): boolean => {
    if (n.Identifier.check(node)) return !reassigned.has(node.name) && node.name !== 'undefined';
    if (n.StringLiteral.check(node) || n.NumericLiteral.check(node) || n.BooleanLiteral.check(node) || n.NullLiteral.check(node)) return true;
    if (n.TemplateLiteral.check(node)) return node.expressions.length === 0;
    if (n.ArrayExpression.check(node)) return node.elements.every(stable);
    if (n.ObjectExpression.check(node)) return node.properties.every((p) => n.ObjectProperty.check(p) && !p.computed && stable(p.value));
    if (n.UnaryExpression.check(node)) return node.operator === '-' && stable(node.argument);
    return false;
  };
  return stable(value) ? cloneNode(value) : null;
}

function assignedNames(ctx: TransformContext): Set<string> {
  const names = new Set<string>();
  visit(ctx.rule.body, {
    visitAssignmentExpression(path) {
      if (n.Identifier.check(path.node.left)) names.add(path.node.left.name);
      this.traverse(path);
    },
    visitUpdateExpression(path) {
      if (n.Identifier.check(path.node.argument)) names.add(path.node.argument.name);
      this.traverse(path);
    },
  });
  return names;
}
