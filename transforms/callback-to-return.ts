import * as recast from 'recast';
import { b, insideNestedFunction, isRuleParam, memberExpression, n, removeDeclarator, type NodePath } from '../src/ast.js';

import { flattenFlows, keptFlow, moveEarlyCallbacks, resolveTailHelpers } from '../src/ast/flow.js';
import { bindingOwner, countReferences, ruleScopes, type RuleScopes } from '../src/ast/scope.js';
import { cloneNode, enclosingFunction, endOf, isWithin, startOf, template } from '../src/nodes.js';
import type { BlockStatement, Expression, Statement, Transform, TransformContext } from '../src/types.js';
import { visit } from '../src/visit.js';
import { fastCheck, pathsWhere, someNode, walk } from '../src/walk.js';

type Call = recast.types.namedTypes.CallExpression;

const isIdentifier = fastCheck(n.Identifier);
const isFunction = fastCheck(n.Function);
const isFunctionDeclaration = fastCheck(n.FunctionDeclaration);

/**
 * The rule's callback becomes the handler's return: success → `return;`, an error →
 * `return api.access.deny(message);`. Runs after the transforms that flatten nested callbacks;
 * when the callback is still called from nested code (or passed on as a value), returning is not
 * possible, so the handler waits for it through a Promise around the rule body instead.
 */
export const callbackToReturn: Transform = {
  id: 'callback-to-return',
  description: 'callback(null, user, context) → return; callback(error) → return api.access.deny(message)',
  safety: 'safe',
  messages: {
    'callback-alias-followed': {
      severity: 'info',
      text: '`{{alias}}` was an alias of the rule\'s callback; its calls are converted like the callback\'s.',
    },
    'code-after-callback': {
      severity: 'warning',
      text: 'The rule went on running after calling back here; the Action returns at this point, so the code after it no longer runs.',
    },
    'returned-other-user': {
      severity: 'warning',
      text: 'The rule passed `{{value}}` back instead of its user; returning a user has no effect in an Action (the login subject only changes through api.authentication.setPrimaryUser).',
    },
    'callback-argument-kept': {
      severity: 'info',
      text: '`{{value}}` was passed to the callback and runs code: it still runs here, before the Action goes on; what it returns is not used.',
    },
    'pass-through-error': {
      severity: 'info',
      text: 'Errors passed to the callback deny the login with their message, as Rules did (access_denied).',
    },
    'maybe-error': {
      severity: 'info',
      text: '`{{value}}` may be empty here: the login is denied only when it is set, as in Rules.',
    },
    'callback-bridge': {
      severity: 'warning',
      text: 'The flow was kept: the rule calls back from asynchronous code that could not be flattened ({{why}}). The handler waits for that callback through a Promise around the rule body, so the Action ends when the rule did. Review it; rewriting the flow with await makes it simpler.',
    },
    'flow-flattened': {
      severity: 'info',
      text: 'What the rule ran when this call finished now follows it after `await` (its callback or .then/.catch handlers, unchanged).',
    },
    'late-callback-dropped': {
      severity: 'warning',
      text: 'The callback of this call calls back again, after the rule already had: in Rules the first call won and these did nothing, so they are left out (what the callback saves is kept).',
    },
    'handler-inlined': {
      severity: 'info',
      text: 'This function was the callback of one call only: its body now follows that call after `await`, so the declaration goes.',
    },
    'tail-call': {
      severity: 'info',
      text: 'This call was the last thing the rule did here: it now returns what the helper returns (the helper answers for the rule).',
    },
    'tail-helper': {
      severity: 'info',
      text: '`{{name}}` calls back for the rule and is only called last: its callback calls are its returns, and its callers return what it returns.',
    },
    'fire-and-forget-awaited': {
      severity: 'warning',
      text: 'The rule called back before this work finished and let it run on; an Action ignores what runs after its handler returns, so the handler now waits for it (the login takes as long as the call; what it saves is kept).',
    },
  },
  apply(ctx) {
    const { rule } = ctx;
    if (!rule.callback) return;
    // Both handlers: the redirect transform may have split the rule into onContinuePostLogin.
    for (const handlerBody of [rule.body, ctx.module.continueBody]) {
      if (!handlerBody) continue;
      followCallbackAliases(ctx, handlerBody);
      visitHandler(ctx, handlerBody);
    }
  },
};

const isDeclarator = fastCheck(n.VariableDeclarator);

/**
 * `var done = callback;` (never reassigned: src/ast/scope.ts) → its uses read `callback`, so the flow
 * model and the conversion see the callback under one name. An alias used where `callback` means
 * something else (a nested parameter of that name), or as a shorthand key, is left alone.
 */
function followCallbackAliases(ctx: TransformContext, handlerBody: BlockStatement) {
  const { rule } = ctx;
  const name = rule.callback!;
  // Every alias chain starts at a declarator initialised with the name: without one, no analysis.
  if (!someNode(handlerBody, (node) => isDeclarator(node) && isIdentifier(node.init) && node.init.name === name)) return;
  const scopes = ruleScopes(rule, handlerBody);
  // Declaration order: an alias of an alias reads `callback` once the first is followed.
  for (const alias of scopes.aliases.callback) {
    const declarator = alias.declarator;
    if (alias.kind === 'param' || !declarator || declarator.id !== alias.id) continue;
    const references = new Set<unknown>(alias.references);
    const paths = pathsWhere(handlerBody, (node) => references.has(node));
    const safe = paths.every((path) => {
      const parent = path.parent?.node;
      if ((n.ObjectProperty.check(parent) || n.Property.check(parent)) && parent.shorthand) return false;
      return bindingOwner(path, name, handlerBody as never) === null;
    });
    if (!safe) continue;
    const [declaratorPath] = pathsWhere(handlerBody, (node) => node === (declarator as unknown));
    if (!declaratorPath) continue;
    ctx.report({ node: declarator as never, code: 'callback-alias-followed', data: { alias: alias.name } });
    for (const path of paths) path.node.name = name;
    removeDeclarator(declaratorPath);
  }
}

const isDirectCall = (path: NodePath) => n.CallExpression.check(path.parent.node) && path.parent.node.callee === path.node;

function callbackUses(ctx: TransformContext, handlerBody: BlockStatement, helpers: ReadonlySet<unknown> = new Set()) {
  const { rule } = ctx;
  const uses = pathsWhere(handlerBody, (node) => isIdentifier(node) && node.name === rule.callback).filter((path) => isRuleParam(path, rule, rule.callback));
  // A function declared and never called (a copy the redirect split left behind) cannot call back.
  // Counted once per name: the uses of one helper share it.
  const counts = new Map<string, number>();
  const referenced = (name: string) => {
    let count = counts.get(name);
    if (count === undefined) counts.set(name, (count = countReferences(handlerBody, name)));
    return count > 0;
  };
  // Up through parentPath values (lists fail the checks): NodePath's `parent` getter tests every
  // ancestor with ast-types' own check, which showed in profiles.
  const live = (path: NodePath) => {
    for (let p: NodePath | null = path.parentPath; p; p = p.parentPath) {
      const value = p.value as { id?: unknown };
      if (isFunctionDeclaration(value) && n.Identifier.check(value.id) && !referenced(value.id.name)) return false;
    }
    return true;
  };
  // A call directly in a tail helper (src/ast/flow.ts) is that helper's return.
  const nested = (path: NodePath) => {
    const fn = enclosingFunction(path);
    return fn !== null && fn !== rule.fn && !helpers.has(fn);
  };
  return { uses, bridged: uses.find((path) => (!isDirectCall(path) || nested(path)) && live(path)) };
}

/** The body a callback call returns from: its tail helper's, else the handler's. */
function returningBody(path: NodePath, handlerBody: BlockStatement, helpers: ReadonlySet<unknown>): BlockStatement {
  const fn = enclosingFunction(path);
  return fn && helpers.has(fn) ? ((fn as unknown as { body: BlockStatement }).body) : handlerBody;
}

/** Nested functions that use `api` (what they do must happen before the handler returns). */
const usesApiLater = (root: unknown) => {
  let found = false;
  walk(root, (node, ancestors) => {
    if (found) return false;
    if (isIdentifier(node) && node.name === 'api' && ancestors.some(isFunction)) found = true;
  });
  return found;
};

function visitHandler(ctx: TransformContext, handlerBody: BlockStatement) {
  const { rule } = ctx;
  let { uses, bridged } = callbackUses(ctx, handlerBody);
  let kept: Array<{ node: unknown; why: string }> = [];
  let helpers: ReadonlySet<unknown> = new Set();
  if (bridged || usesApiLater(handlerBody.body)) {
    // Flatten what can be flattened (src/ast/flow.ts), on a copy: the result is taken only when no
    // callback is left in nested code, else the rule keeps its own flow whole (bridged below).
    const names = { callback: rule.callback, user: rule.user, context: rule.context };
    const trial = b.blockStatement(cloneNode(handlerBody.body));
    moveEarlyCallbacks(trial, names, usesApiLater);
    const flow = flattenFlows(trial, names);
    const tail = resolveTailHelpers(trial, names);
    const trialHelpers = new Set<unknown>(tail.helpers.map((h) => h.fn));
    flow.flattened.push(...tail.flow.flattened);
    flow.awaited.push(...tail.flow.awaited);
    flow.lateCallbacks.push(...tail.flow.lateCallbacks);
    flow.inlined.push(...tail.flow.inlined);
    flow.tailCalls.push(...tail.flow.tailCalls);
    flow.kept.push(...tail.flow.kept);
    const after = callbackUses(ctx, trial, trialHelpers);
    if ((flow.flattened.length > 0 || trialHelpers.size > 0) && !after.bridged) {
      handlerBody.body = trial.body;
      helpers = trialHelpers;
      for (const node of flow.flattened) ctx.report({ node: node as never, code: 'flow-flattened' });
      for (const node of flow.awaited) ctx.report({ node: node as never, code: 'fire-and-forget-awaited' });
      for (const node of flow.lateCallbacks) ctx.report({ node: node as never, code: 'late-callback-dropped' });
      for (const helper of tail.helpers) ctx.report({ node: helper.fn as never, code: 'tail-helper', data: { name: helper.name } });
      for (const node of flow.inlined) ctx.report({ node: node as never, code: 'handler-inlined' });
      for (const node of flow.tailCalls) ctx.report({ node: node as never, code: 'tail-call' });
      // The trial's uses are the handler's now (its very list), found with the same helpers: not walked again.
      ({ uses, bridged } = after);
    }
    kept = flow.kept;
  }
  // A transform that left the flow as the rule wrote it on purpose (an unsafe linking flow) gives the reason.
  const keptBy = keptFlow(rule);
  if (keptBy) kept = [{ node: null, why: keptBy }, ...kept];
  // The user passed back may be an alias of it (`var u = user`): resolved once, on the body as now settled.
  let scopes: RuleScopes | undefined;
  const names = () => (scopes ??= ruleScopes(rule, handlerBody));
  if (!bridged) {
    for (const path of uses) convertCall(ctx, path.parent, returningBody(path, handlerBody, helpers), names);
    return;
  }
  ctx.report({ node: bridged.node, code: 'callback-bridge', data: { why: bridgeReason(bridged, kept, isDirectCall(bridged)) } });
  for (const path of uses) {
    if (!isDirectCall(path)) continue;
    const call = path.parent.node as Call;
    const returnedUser = call.arguments[1] as Expression | undefined;
    if (returnedUser && !isUserArgument(ctx, path.parent, returnedUser, names)) {
      ctx.report({ node: returnedUser, code: 'returned-other-user', data: { value: recast.print(returnedUser).code } });
    }
    bridgeCall(call, reportKeptArguments(ctx, call));
  }
  wrapInBridge(handlerBody, rule.callback!);
}

/** The reason the flow gave for the continuation around `use`, else what the use is. */
function bridgeReason(use: NodePath, kept: Array<{ node: unknown; why: string }>, direct: boolean): string {
  // The flow ran on a copy: its nodes are found again by their place in the rule.
  for (let p: NodePath | null = use; p; p = p.parent) {
    const found = kept.find((k) => startOf(k.node) === startOf(p!.node) && endOf(k.node) === endOf(p!.node));
    if (found) return found.why;
  }
  const holder = kept[0];
  if (holder) return holder.why;
  return direct ? 'it is called from a function that is not the continuation of one awaited call (a helper, a timer, an event)' : 'the callback is passed on as a value';
}

/** In a bridged rule the callback stays a function: only its first argument (the error) matters. */
function bridgeCall(call: Call, effects: Expression[]) {
  const [error] = call.arguments as Expression[];
  // UnauthorizedError does not exist in Actions; its message is what the login is denied with.
  if (n.NewExpression.check(error) && n.Identifier.check(error.callee) && error.callee.name === 'UnauthorizedError') {
    error.callee = b.identifier('Error');
  }
  // Only the error is read; an argument that runs code (a helper that redirects) still runs.
  call.arguments = effects.length ? [error, ...effects] : error && !isNullish(error) ? [error] : [];
}

/** `callback(null, user, markRedirect(context))`: arguments past the error that run code when evaluated. */
function effectfulArguments(call: Call): Expression[] {
  return (call.arguments.slice(1) as Expression[]).filter((arg) =>
    someNode(arg, (node) => /^(Call|New|Assignment|Update|Await|Yield|TaggedTemplate)Expression$|^OptionalCallExpression$/.test((node as { type: string }).type) || (n.UnaryExpression.check(node) && node.operator === 'delete')),
  );
}

function reportKeptArguments(ctx: TransformContext, call: Call): Expression[] {
  const effects = effectfulArguments(call);
  for (const arg of effects) ctx.report({ node: arg, code: 'callback-argument-kept', data: { value: recast.print(arg).code } });
  return effects;
}

/**
 * `await new Promise(…)` around the rule body, with the rule's callback defined as the function
 * that settles it: the first call wins, as in Rules; an error denies the login with its message.
 */
function wrapInBridge(handlerBody: BlockStatement, callbackName: string) {
  // An async rule body runs as an async function whose failure rejects the bridge (the Action fails, as
  // the rule did): an `async` Promise executor would lose the error, and the Action would never finish.
  const hasTopLevelAwait = containsAwaitOutsideFunctions(handlerBody);
  const wrapper = template(
    `await new Promise(${hasTopLevelAwait ? '(resolve, reject)' : '(resolve)'} => {\n` +
      `  let settled = false;\n` +
      `  const ${callbackName} = (error) => {\n` +
      `    if (settled) return;\n` +
      `    settled = true;\n` +
      `    if (error) api.access.deny(error instanceof Error ? error.message : String(error));\n` +
      `    resolve();\n` +
      `  };\n` +
      (hasTopLevelAwait ? `  (async () => {\n  })().catch(reject);\n` : '') +
      `});`,
  )[0] as recast.types.namedTypes.ExpressionStatement;
  const executor = ((wrapper.expression as recast.types.namedTypes.AwaitExpression).argument as recast.types.namedTypes.NewExpression)
    .arguments[0] as recast.types.namedTypes.ArrowFunctionExpression;
  const executorBody = (executor.body as BlockStatement).body;
  if (hasTopLevelAwait) {
    const run = executorBody[executorBody.length - 1] as recast.types.namedTypes.ExpressionStatement;
    const call = run.expression as Call;
    const inner = ((call.callee as recast.types.namedTypes.MemberExpression).object as Call).callee as recast.types.namedTypes.ArrowFunctionExpression;
    (inner.body as BlockStatement).body.push(...handlerBody.body);
  } else {
    executorBody.push(...handlerBody.body);
  }
  handlerBody.body = [wrapper];
}

function containsAwaitOutsideFunctions(root: BlockStatement): boolean {
  let found = false;
  visit(root, {
    visitFunction() {
      return false;
    },
    visitAwaitExpression() {
      found = true;
      return false;
    },
    visitForOfStatement(path) {
      if (path.node.await) found = true;
      this.traverse(path);
    },
  });
  return found;
}

function convertCall(ctx: TransformContext, callPath: NodePath, handlerBody: BlockStatement, names: () => RuleScopes) {
  const call = callPath.node as Call;
  const [error, returnedUser] = call.arguments as Expression[];
  const result = outcome(ctx, callPath, error);

  if (returnedUser && !isUserArgument(ctx, callPath, returnedUser, names)) {
    ctx.report({ node: returnedUser, code: 'returned-other-user', data: { value: recast.print(returnedUser).code } });
  }

  const effects = reportKeptArguments(ctx, call);
  const parentPath: NodePath = callPath.parent;
  const parent = parentPath.node;
  const siblings: unknown = parentPath.parentPath?.value;
  const inList = Array.isArray(siblings);
  const replacement = () => {
    const statements = [...effects.map((e) => b.expressionStatement(e)), ...result.statements()];
    return inList || statements.length === 1 ? statements : [b.blockStatement(statements)];
  };

  if (n.ReturnStatement.check(parent)) {
    if (result.guard || effects.length) parentPath.replace(...withComments(parent, replacement()));
    else parent.argument = result.value;
    return;
  }
  if (n.ExpressionStatement.check(parent)) {
    const body = handlerBody.body;
    // Falling off the end of the handler is the success case: the last `callback(null, …)` just goes.
    if (result.value === null && !result.guard && !effects.length && body[body.length - 1] === parent) {
      // Unless it has comments: they stay, above a `return;`.
      if (hasComments(parent)) parentPath.replace(...withComments(parent, [b.returnStatement(null)]));
      else parentPath.prune();
      return;
    }
    if (inList && !isLastReachable(siblings, parent)) ctx.report({ node: call, code: 'code-after-callback' });
    parentPath.replace(...withComments(parent, replacement()));
    return;
  }
  // Inside an expression (`x && callback(...)`): keep the shape and return the value.
  const value = result.value ?? b.identifier('undefined');
  callPath.replace(effects.length ? b.sequenceExpression([...effects, value]) : value);
}

type Commented = { comments?: Array<{ type: string; value: string; leading?: boolean }> | null };

const hasComments = (node: unknown) => Boolean((node as Commented).comments?.length);

/** A replaced statement's comments move above `to[0]` (a trailing one printed after new code would glue to it). */
function withComments<T>(from: unknown, to: T[]): T[] {
  const comments = (from as Commented).comments;
  if (!comments?.length || to.length === 0) return to;
  const target = to[0] as Commented;
  const moved = comments.map((c) =>
    c.type === 'CommentBlock' || c.type === 'Block' ? b.commentBlock(c.value, true, false) : b.commentLine(c.value, true, false),
  );
  target.comments = [...(target.comments ?? []), ...moved] as Commented['comments'];
  return to;
}

/** Statements after a call that only declare functions do not count as code that runs later. */
function isLastReachable(siblings: unknown[], node: unknown): boolean {
  return siblings.slice(siblings.indexOf(node) + 1).every((s) => n.FunctionDeclaration.check(s) || n.EmptyStatement.check(s));
}

interface Outcome {
  /** The returned expression; null for a bare `return;`. */
  value: Expression | null;
  /** For `callback(err, user, context)`: deny only when err is set. */
  guard?: Expression;
  statements(): Statement[];
}

function outcome(ctx: TransformContext, callPath: NodePath, error: Expression | undefined): Outcome {
  const plain = (value: Expression | null): Outcome => ({ value, statements: () => [b.returnStatement(value)] });
  if (!error || isNullish(error)) return plain(null);

  const message = denyMessage(error);
  if (message) return plain(deny(message));

  ctx.report({ node: error, code: 'pass-through-error' });
  const messageOf =
    n.Identifier.check(error) || n.MemberExpression.check(error)
      ? b.memberExpression(error, b.identifier('message'))
      : b.callExpression(b.identifier('String'), [error]);
  const call = callPath.node as Call;
  if (call.arguments.length > 1 && !(n.Identifier.check(error) && guardedBy(callPath, error.name))) {
    // Node-style pass-through: `callback(err, user, context)` succeeds when err is empty.
    ctx.report({ node: error, code: 'maybe-error', data: { value: recast.print(error).code } });
    return {
      value: null,
      guard: error,
      statements: () => [b.ifStatement(error, b.returnStatement(deny(messageOf))), b.returnStatement(null)],
    };
  }
  return plain(deny(messageOf));
}

/** `new Error(m)`, `new UnauthorizedError(m)`, a string: the message to deny with. */
function denyMessage(error: Expression): Expression | null {
  if (n.NewExpression.check(error) && n.Identifier.check(error.callee) && /Error$/.test(error.callee.name)) {
    return (error.arguments[0] as Expression | undefined) ?? b.stringLiteral('');
  }
  if (n.StringLiteral.check(error) || n.TemplateLiteral.check(error)) return error;
  if (n.BinaryExpression.check(error) && error.operator === '+' && (n.StringLiteral.check(error.left) || n.StringLiteral.check(error.right))) {
    return error;
  }
  return null;
}

function deny(message: Expression): Expression {
  return b.callExpression(memberExpression('api.access.deny'), [message]);
}

function isNullish(node: Expression): boolean {
  return n.NullLiteral.check(node) || (n.Identifier.check(node) && node.name === 'undefined') || (n.Literal.check(node) && node.value === null);
}

function isUserArgument(ctx: TransformContext, callPath: NodePath, node: Expression, names: () => RuleScopes): boolean {
  const argPath = callPath.get('arguments', 1);
  return n.Identifier.check(node) && (isRuleParam(argPath, ctx.rule, ctx.rule.user) || names().roleOf(node) === 'user');
}

/** True when the call sits in the consequent of `if (name)`. */
function guardedBy(path: NodePath, name: string): boolean {
  for (let current = path.parent; current; current = current.parent) {
    const node = current.node;
    if (n.Function.check(node)) return false;
    if (n.IfStatement.check(node) && n.Identifier.check(node.test) && node.test.name === name) {
      return isWithin(path, node.consequent);
    }
    if (n.CatchClause.check(node) && n.Identifier.check(node.param) && node.param.name === name) return true;
  }
  return false;
}
