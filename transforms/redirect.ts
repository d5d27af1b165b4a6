import type { namedTypes as K } from 'ast-types';
import { b, enclosingStatement, memberExpression, n, propertyName, type NodePath } from '../src/ast.js';
import { ruleScopes, statementDeclaredNames, type RuleScopes } from '../src/ast/scope.js';
import { cloneNode } from '../src/nodes.js';
import type { Expression, Statement, Transform, TransformContext } from '../src/types.js';
import { visit } from '../src/visit.js';
import { containsAny, pathsWhere, someNode, walk } from '../src/walk.js';

type Pass = 'execute' | 'continue';
const CONTINUE_PROTOCOL = 'redirect-callback';

/**
 * `context.redirect = { url }` → `api.redirect.sendUserTo(url)`. Rules ran every rule a second time
 * after the redirect, with `context.protocol === 'redirect-callback'`; Actions resume in the same
 * Action's `onContinuePostLogin`. The rule body is split by that test: under "not redirect-callback"
 * it stays the login handler; a copy under "redirect-callback" becomes `ctx.module.continueBody`
 * (reference: rules-to-actions.md §6.4).
 */
export const redirect: Transform = {
  id: 'redirect',
  description: "context.redirect = { url } → api.redirect.sendUserTo(url); the 'redirect-callback' branch → onContinuePostLogin",
  safety: 'review',
  relevant: /redirect|protocol/,
  messages: {
    'redirect-converted': {
      severity: 'info',
      text: 'context.redirect → api.redirect.sendUserTo: the login resumes in this Action’s onContinuePostLogin (no other Action runs in between).',
    },
    'continue-branch': {
      severity: 'info',
      text: "The 'redirect-callback' branch becomes exports.onContinuePostLogin; the other branch stays in onExecutePostLogin.",
    },
    'whole-rule-reruns': {
      severity: 'warning',
      text: "In Rules the whole rule ran again after the redirect (context.protocol was 'redirect-callback'); the rule does not test for it, so its code is copied into onContinuePostLogin without the redirect. Review what has to run again.",
    },
    'runs-on-both-passes': {
      severity: 'warning',
      text: 'This code ran on both passes of the rule (the login and the return from the redirect): it is copied into onExecutePostLogin and onContinuePostLogin. Review it, or move it into a helper both call.',
    },
    'redirect-ignored-on-continue': {
      severity: 'info',
      text: 'Rules ignored context.redirect on the return from a redirect: it is left out of onContinuePostLogin.',
    },
    'can-redirect': {
      severity: 'info',
      text: 'The rule tests context.protocol here to avoid redirecting flows that cannot be redirected; the test is kept, and api.redirect.canRedirect() answers the same question directly.',
      suggestion: 'api.redirect.canRedirect() is false exactly when a redirect is impossible (resource-owner, refresh-token, prompt=none).',
    },
    'continue-without-redirect': {
      severity: 'error',
      text: "This rule handles 'redirect-callback' but never redirects: in Actions, onContinuePostLogin runs only in the Action that called api.redirect.sendUserTo. Merge this branch into that Action.",
    },
    'redirect-not-converted': {
      severity: 'error',
      text: 'This use of context.redirect could not be converted ({{why}}): call api.redirect.sendUserTo(url) instead.',
    },
  },
  apply(ctx) {
    // Nothing to do without a `.redirect` or `.protocol` member (the words may be in strings only).
    if (!someNode(ctx.rule.body, (node) => n.MemberExpression.check(node) && ['redirect', 'protocol'].includes(propertyName(node) ?? ''))) return;
    // Names resolve in the rule as written (aliases of context included), before any branch is folded.
    const scopes = ruleScopes(ctx.rule);
    const redirects = findRedirects(scopes, ctx.rule.body);
    const tests = findProtocolTests(scopes, ctx.rule.body);
    if (redirects.length === 0 && tests.continueTests.length === 0) return;

    for (const path of redirects) {
      ctx.report({ node: path.node, code: 'redirect-converted' });
    }
    if (redirects.length > 0) {
      for (const test of tests.otherTests) ctx.report({ node: test, code: 'can-redirect' });
    }
    if (tests.continueTests.length > 0) {
      ctx.report({ node: tests.continueTests[0], code: 'continue-branch' });
    } else {
      ctx.report({ node: redirects[0].node, code: 'whole-rule-reruns' });
    }

    const body = ctx.rule.body.body;
    // Statements holding the protocol test differ between the passes; the others run on both as written.
    const continueTests = new Set<unknown>(tests.continueTests);
    const splitting = new Set(body.filter((statement) => containsAny(statement, continueTests)));
    const copies = body.map((statement) => cloneNode(statement));
    const origin = new Map<unknown, Statement>(copies.map((copy, i) => [copy, body[i]]));

    // The redirect inside the continue copy: Rules ignored it on that pass.
    const continueBlock = b.blockStatement(copies);
    const continueScopes = ruleScopes(ctx.rule, continueBlock);
    replaceProtocolTests(continueScopes, continueBlock, 'continue');
    foldList(continueBlock.body);
    visit(continueBlock, {
      visitExpressionStatement(path) {
        if (matchRedirect(continueScopes, path.node)) {
          ctx.report({ node: path.node, code: 'redirect-ignored-on-continue' });
          removeStatement(path);
          return false;
        }
        this.traverse(path);
      },
    });

    dropEmptyIfs(continueScopes, continueBlock.body);

    replaceProtocolTests(scopes, ctx.rule.body, 'execute');
    foldList(body);
    convertRedirects(ctx, scopes);

    const common = continueBlock.body
      .map((copy) => origin.get(copy))
      .filter((s): s is Statement => Boolean(s) && body.includes(s!) && !splitting.has(s!) && !isHarmless(scopes, s!));
    if (common.length > 0 && tests.continueTests.length > 0) ctx.report({ node: common[0], code: 'runs-on-both-passes' });

    if (redirects.length === 0) {
      // The marker goes where the branch now lives: the top of onContinuePostLogin.
      const statement = continueBlock.body[0] ?? ctx.rule.body.body[0];
      ctx.todo({ node: tests.continueTests[0], code: 'continue-without-redirect', statement });
    }
    ctx.module.continueBody = continueBlock;
  },
};

// ---------------------------------------------------------------------------------------------

/** `context.name` (or `ctx.name` with `ctx` an alias of it), `context` being the rule's parameter. */
function isContextMember(scopes: RuleScopes, node: unknown, name: string): boolean {
  if (!n.MemberExpression.check(node)) return false;
  const key = !node.computed && n.Identifier.check(node.property) ? node.property.name : n.StringLiteral.check(node.property) ? node.property.value : null;
  return key === name && scopes.roleOf(node.object) === 'context';
}

/** `context.redirect = …` as a statement: the url expression, or why it cannot be converted. */
function matchRedirect(scopes: RuleScopes, statement: unknown): { url: Expression } | { why: string } | null {
  if (!n.ExpressionStatement.check(statement) || !n.AssignmentExpression.check(statement.expression)) return null;
  const { left, right, operator } = statement.expression;
  if (!isContextMember(scopes, left, 'redirect')) return null;
  if (operator !== '=') return { why: `operator ${operator}` };
  if (n.ObjectExpression.check(right)) {
    const properties = right.properties;
    const url = properties.find((p) => n.ObjectProperty.check(p) && !p.computed && n.Identifier.check(p.key) && p.key.name === 'url') as K.ObjectProperty | undefined;
    if (!url || properties.length !== 1) return { why: 'the object holds more than a url' };
    return { url: url.value as Expression };
  }
  if (n.Identifier.check(right)) return { url: b.memberExpression(right, b.identifier('url')) };
  return { why: 'the value is not an object literal' };
}

function findRedirects(scopes: RuleScopes, body: K.BlockStatement): NodePath[] {
  return pathsWhere(body as never, (node) => matchRedirect(scopes, node) !== null);
}

function convertRedirects(ctx: TransformContext, scopes: RuleScopes) {
  visit(ctx.rule.body, {
    visitExpressionStatement(path) {
      const match = matchRedirect(scopes, path.node);
      if (!match) return this.traverse(path);
      if ('why' in match) {
        ctx.todo({ node: path.node, code: 'redirect-not-converted', data: { why: match.why } });
        return false;
      }
      path.get('expression').replace(b.callExpression(memberExpression('api.redirect.sendUserTo'), [match.url]));
      return false;
    },
    visitMemberExpression(path) {
      // Any other use (`context.redirect.url = …`, reading it) has no Action equivalent.
      if (isContextMember(scopes, path.node, 'redirect')) {
        const statement = enclosingStatement(path);
        ctx.todo({ node: path.node, code: 'redirect-not-converted', data: { why: 'it is not assigned as a whole' }, statement: statement?.node });
        return false;
      }
      this.traverse(path);
    },
  }, (node) => matchRedirect(scopes, node) !== null || isContextMember(scopes, node, 'redirect'));
}

interface ProtocolTests {
  /** Comparisons of context.protocol with 'redirect-callback'. */
  continueTests: K.BinaryExpression[];
  /** Comparisons with any other protocol. */
  otherTests: K.BinaryExpression[];
}

function protocolComparison(scopes: RuleScopes, node: unknown): { value: string; equal: boolean } | null {
  if (!n.BinaryExpression.check(node) || !['===', '==', '!==', '!='].includes(node.operator)) return null;
  const [protocol, literal] = isContextMember(scopes, node.left, 'protocol') ? [node.left, node.right] : [node.right, node.left];
  if (!isContextMember(scopes, protocol, 'protocol') || !n.StringLiteral.check(literal)) return null;
  return { value: literal.value, equal: node.operator.startsWith('=') };
}

function findProtocolTests(scopes: RuleScopes, body: K.BlockStatement): ProtocolTests {
  const tests: ProtocolTests = { continueTests: [], otherTests: [] };
  walk(body, (node) => {
    const comparison = protocolComparison(scopes, node);
    if (comparison) (comparison.value === CONTINUE_PROTOCOL ? tests.continueTests : tests.otherTests).push(node as unknown as K.BinaryExpression);
  });
  return tests;
}

/** Each comparison of context.protocol whose result is known in this pass becomes `true` or `false`. */
function replaceProtocolTests(scopes: RuleScopes, root: K.BlockStatement, pass: Pass) {
  visit(root, {
    visitBinaryExpression(path) {
      const comparison = protocolComparison(scopes, path.node);
      if (!comparison) return this.traverse(path);
      // On the continue pass the protocol is 'redirect-callback'; on the login pass it is anything else.
      const known = comparison.value === CONTINUE_PROTOCOL || pass === 'continue';
      if (!known) return false;
      const isContinue = comparison.value === CONTINUE_PROTOCOL ? pass === 'continue' : false;
      path.replace(b.booleanLiteral(comparison.equal ? isContinue : !isContinue));
      return false;
    },
  }, (node) => protocolComparison(scopes, node) !== null);
  // `test ? a : b` whose test became constant keeps only the branch that runs in this pass.
  visit(root, {
    visitConditionalExpression(path) {
      this.traverse(path);
      const value = constantValue(path.node.test);
      if (value !== null) path.replace(value ? path.node.consequent : path.node.alternate);
    },
  });
}

/** true / false when the test is constant after the replacement above; null when it depends on the login. */
function constantValue(node: unknown): boolean | null {
  if (n.BooleanLiteral.check(node)) return node.value;
  if (n.UnaryExpression.check(node) && node.operator === '!') {
    const inner = constantValue(node.argument);
    return inner === null ? null : !inner;
  }
  if (n.LogicalExpression.check(node) && (node.operator === '&&' || node.operator === '||')) {
    const left = constantValue(node.left);
    const right = constantValue(node.right);
    if (node.operator === '&&') return left === false || right === false ? false : left === true && right === true ? true : null;
    return left === true || right === true ? true : left === false && right === false ? false : null;
  }
  return null;
}

/** `true && x` → x, `false || x` → x: keeps the part of a test that still depends on the login. */
function simplifyTest(node: Expression): Expression {
  if (n.LogicalExpression.check(node)) {
    const left = simplifyTest(node.left as Expression);
    const right = simplifyTest(node.right as Expression);
    const l = constantValue(left);
    if (node.operator === '&&' && l === true) return right;
    if (node.operator === '||' && l === false) return right;
    const r = constantValue(right);
    if (node.operator === '&&' && r === true) return left;
    if (node.operator === '||' && r === false) return left;
    node.left = left;
    node.right = right;
  }
  return node;
}

/** Folds `if` statements with constant tests, recursively; drops what follows a branch that always exits. */
function foldList(list: Statement[]) {
  for (let i = 0; i < list.length; i++) {
    const statement = list[i];
    if (n.IfStatement.check(statement)) {
      const value = constantValue(statement.test);
      if (value === null) {
        statement.test = simplifyTest(statement.test as Expression);
        foldBranch(statement, 'consequent');
        foldBranch(statement, 'alternate');
        continue;
      }
      const branch = value ? statement.consequent : statement.alternate;
      const inlined = branch ? unwrap(branch, list, statement) : [];
      list.splice(i, 1, ...inlined);
      i--;
      continue;
    }
    foldNested(statement);
    if (alwaysExits(statement)) {
      // The rest of the list cannot run in this pass; hoisted helpers stay.
      const rest = list.splice(i + 1);
      list.push(...rest.filter((s) => n.FunctionDeclaration.check(s)));
      return;
    }
  }
}

function foldBranch(statement: K.IfStatement, key: 'consequent' | 'alternate') {
  const branch = statement[key];
  if (!branch) return;
  if (n.BlockStatement.check(branch)) foldList(branch.body);
  else {
    const list = [branch as Statement];
    foldList(list);
    statement[key] = (list.length === 1 ? list[0] : b.blockStatement(list)) as never;
  }
}

function foldNested(statement: Statement) {
  if (n.BlockStatement.check(statement)) foldList(statement.body);
  else if (n.TryStatement.check(statement)) {
    foldList(statement.block.body);
    if (statement.handler) foldList(statement.handler.body.body);
    if (statement.finalizer) foldList(statement.finalizer.body);
  }
}

/** A branch's statements, unwrapped from their block unless that would clash with names declared beside it. */
function unwrap(branch: K.Node, list: Statement[], at: Statement): Statement[] {
  if (!n.BlockStatement.check(branch)) {
    const single = [branch as Statement];
    foldList(single);
    return single;
  }
  foldList(branch.body);
  const inner = blockNames(branch.body);
  const outer = blockNames(list.filter((s) => s !== at));
  return [...inner].some((name) => outer.has(name)) ? [branch] : branch.body;
}

/** Names a list declares in its own block (`var` goes to the function: unwrapping cannot make it clash). */
function blockNames(list: Statement[]): Set<string> {
  return new Set(list.filter((s) => !(n.VariableDeclaration.check(s) && s.kind === 'var')).flatMap(statementDeclaredNames));
}

function alwaysExits(statement: Statement): boolean {
  if (n.ReturnStatement.check(statement) || n.ThrowStatement.check(statement)) return true;
  if (n.BlockStatement.check(statement)) return statement.body.some(alwaysExits);
  if (n.IfStatement.check(statement)) return Boolean(statement.alternate) && alwaysExits(statement.consequent) && alwaysExits(statement.alternate!);
  return false;
}

/** Code that can run twice without a visible effect: declarations and guards with no calls or writes. */
/** The assigned expression is a variable declared in the rule (or a member of one), not a rule parameter, an alias of one, or a global. */
function writesLocal(scopes: RuleScopes, target: unknown): boolean {
  let root = target;
  while (n.MemberExpression.check(root)) root = root.object;
  return Boolean(scopes.resolve(root)) && scopes.roleOf(root) === null;
}

function isFreshCopy(call: K.CallExpression): boolean {
  const { callee, arguments: args } = call;
  return n.MemberExpression.check(callee) && n.Identifier.check(callee.object) && callee.object.name === 'Object' &&
    n.Identifier.check(callee.property) && callee.property.name === 'assign' &&
    n.ObjectExpression.check(args[0]) && args[0].properties.length === 0 && args.slice(1).every((a) => n.Identifier.check(a) || n.MemberExpression.check(a));
}

function isHarmless(scopes: RuleScopes, statement: Statement): boolean {
  if (n.FunctionDeclaration.check(statement) || n.ReturnStatement.check(statement) && !statement.argument) return true;
  let harmless = true;
  visit(statement, {
    visitCallExpression(path) {
      const callee = path.node.callee;
      // `Object.assign({}, x)`: a fresh copy (the metadata copy user-metadata declares), nothing outside changes.
      if (isFreshCopy(path.node)) return false;
      const isSuccess = scopes.roleOf(callee) === 'callback' && (path.node.arguments.length === 0 || n.NullLiteral.check(path.node.arguments[0]));
      if (!isSuccess) harmless = false;
      return false;
    },
    visitNewExpression() {
      harmless = false;
      return false;
    },
    // Writing to the rule's own variables changes nothing outside the pass (the Action's handlers each
    // get their own copy); anything else (user, context, globals) may.
    visitAssignmentExpression(path) {
      if (!writesLocal(scopes, path.node.left)) harmless = false;
      else this.traverse(path.get('right'));
      return false;
    },
    visitUpdateExpression(path) {
      if (!writesLocal(scopes, path.node.argument)) harmless = false;
      return false;
    },
    visitAwaitExpression() {
      harmless = false;
      return false;
    },
    visitFunction() {
      return false;
    },
  });
  return harmless;
}

/** `if (test) {}` left after the redirect was taken out of the continue copy. */
function dropEmptyIfs(scopes: RuleScopes, list: Statement[]) {
  for (let i = list.length - 1; i >= 0; i--) {
    const statement = list[i];
    if (!n.IfStatement.check(statement)) continue;
    if (n.BlockStatement.check(statement.consequent)) dropEmptyIfs(scopes, statement.consequent.body);
    const empty = n.BlockStatement.check(statement.consequent) && statement.consequent.body.length === 0;
    if (empty && !statement.alternate && isHarmless(scopes, b.expressionStatement(statement.test as Expression))) list.splice(i, 1);
  }
}

function removeStatement(path: NodePath) {
  if (Array.isArray(path.parentPath?.value)) path.prune();
  else path.replace(b.blockStatement([]));
}
