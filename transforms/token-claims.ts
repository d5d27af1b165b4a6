import type { namedTypes as K } from 'ast-types';
import * as recast from 'recast';
import { b, enclosingStatement, memberExpression, n, quote, removeDeclarator, type NodePath } from '../src/ast.js';
import { ruleScopes, type Binding, type RuleScopes } from '../src/ast/scope.js';
import {
  assignmentAt,
  carryComments,
  chainAbove,
  contextMatcher,
  expressionStatementOf,
  freshStatements,
  isDeleteOrUpdate,
  isMutated,
  keyExpression,
  replaceStatement,
  staticKey,
  valueUnused,
} from '../src/context-writes.js';
import type { Expression, Node, StatementPath, Transform, TransformContext } from '../src/types.js';
import { visit } from '../src/visit.js';
import { fastCheck, pathsWhere, someNode } from '../src/walk.js';

type Token = 'idToken' | 'accessToken';

/**
 * `context.idToken[k] = v` / `context.accessToken[k] = v` → `api.<token>.setCustomClaim(k, v)`;
 * `context.accessToken.scope` changes → addScope/removeScope. Claims can be neither read back nor
 * deleted in an Action: those spots are flagged. Runs before context-to-event, which would
 * otherwise comment the writes out as having no effect.
 */
export const tokenClaims: Transform = {
  id: 'token-claims',
  description: 'context.idToken/accessToken claims → api.idToken/accessToken.setCustomClaim; accessToken.scope → addScope/removeScope',
  safety: 'review',
  relevant: /idToken|accessToken/,
  messages: {
    'claims-alias-followed': {
      severity: 'info',
      text: '`{{alias}}` was an alias of context.{{token}}; its claims are set with api.{{token}}.setCustomClaim.',
    },
    'claims-alias-reassigned': {
      severity: 'error',
      text: '`{{alias}}` holds context.{{token}} but is reassigned later; its claims could not be followed. Set each claim with api.{{token}}.setCustomClaim(key, value).',
    },
    'claim-read-back': {
      severity: 'error',
      text: 'Claims cannot be read back in an Action ({{from}}); it reads as undefined here. Keep the value in a local variable.',
    },
    'claim-deleted': {
      severity: 'error',
      text: 'Claims cannot be deleted in an Action ({{from}}); set it only when it is wanted instead.',
    },
    'claim-not-converted': {
      severity: 'error',
      text: 'This change to {{from}} needs the claim\'s current value, which an Action cannot read; set the final value with api.{{token}}.setCustomClaim(key, value).',
    },
    'claims-object-used': {
      severity: 'error',
      text: 'The claims object {{from}} is used as a whole here; Actions have no such object (claims are set one by one with api.{{token}}.setCustomClaim). It reads as undefined here.',
    },
    'scope-set': {
      severity: 'warning',
      text: 'The access token\'s scope becomes {{scopes}}: requested scopes (event.transaction.requested_scopes) not in that list are removed and each listed one is added. addScope throws on a scope the API does not define; in resource-owner flows the requested scope is in event.request.body.scope.',
    },
    'scope-added': {
      severity: 'info',
      text: 'Scope {{scopes}} is added with api.accessToken.addScope (it throws on a scope the API does not define).',
    },
    'scope-dynamic': {
      severity: 'error',
      text: 'The access token\'s scope is changed in a way that is not statically clear ({{from}}); use api.accessToken.addScope(scope) / removeScope(scope) per scope.',
    },
  },
  apply(ctx) {
    // Every conversion starts at a `.idToken` / `.accessToken` member: without one (the word may be
    // in a string, or gone with code an earlier transform replaced) there is nothing to do.
    if (!someNode(ctx.rule.fn, (node) => isMember(node) && isToken(staticKey(node)))) return;
    // Names resolve once, on the rule as it reaches this transform (context's aliases, claims variables), when needed.
    let scopes: RuleScopes | undefined;
    const names = () => (scopes ??= ruleScopes(ctx.rule));
    const isContext = contextMatcher(ctx.rule, names);
    const aliasInits = new Set<unknown>();
    const writeBacks = new Set<unknown>();
    const claimsAliases = collectClaimsAliases(ctx, names, isContext, aliasInits, writeBacks);
    visit(ctx.rule.fn, {
      visitExpressionStatement(path) {
        // Dropped below; its parts are not uses of their own.
        if (writeBacks.has(path.node)) return false;
        this.traverse(path);
      },
      visitIdentifier(path) {
        if (isContext(path)) {
          const { keys, levels } = chainAbove(path);
          const token = keys[0];
          if ((token === 'idToken' || token === 'accessToken') && !aliasInits.has(levels[1].node)) {
            convertClaimsUse(ctx, levels[1], token, `context.${token}`);
            return false;
          }
        }
        const alias = claimsAliases.find((a) => a.references.includes(path.node));
        if (alias) {
          convertClaimsUse(ctx, path, alias.token, alias.name);
          return false;
        }
        this.traverse(path);
      },
    }, (node) => (node.type === 'ExpressionStatement' ? writeBacks.has(node) : isContext.mayMatch(node) || claimsAliases.some((a) => a.references.includes(node as never))));
    const declarators = new Set(claimsAliases.map((a) => a.declarator));
    if (declarators.size === 0 && writeBacks.size === 0) return;
    visit(ctx.rule.fn, {
      visitVariableDeclarator(path) {
        if (!declarators.has(path.node)) return this.traverse(path);
        removeDeclarator(path);
        return false;
      },
      visitExpressionStatement(path) {
        if (!writeBacks.has(path.node)) return this.traverse(path);
        path.prune();
        return false;
      },
    });
  },
};

interface ClaimsAlias {
  name: string;
  token: Token;
  /** Nodes, not paths: the conversion visits the rule again and paths are per visit. */
  declarator: K.VariableDeclarator;
  references: Node[];
}

/**
 * `const claims = context.idToken;` (or `context.idToken || {}`): followed unless the variable is
 * reassigned. A write-back `context.idToken = claims;` is dropped: the claims were set one by one.
 */
function collectClaimsAliases(
  ctx: TransformContext,
  names: () => RuleScopes,
  isContext: (path: NodePath) => boolean,
  skipped: Set<unknown>,
  writeBacks: Set<unknown>,
): ClaimsAlias[] {
  const { rule } = ctx;
  type Candidate = ClaimsAlias & { statement: Node; member: Node; reassigned: boolean; writeBacks: Node[] };
  const candidates = new Map<Binding, Candidate>();
  // Paths only for the declarators and names that can match (read-only passes).
  for (const path of pathsWhere(rule.fn, (node) => isDeclarator(node) && isIdentifier(node.id) && mayBeClaims(node.init))) {
    const { id } = path.node;
    const member = n.Identifier.check(id) ? claimsMemberOf(path.get('init'), isContext) : null;
    const binding = member ? names().declared(id) : undefined;
    if (member && n.Identifier.check(id) && binding && !candidates.has(binding)) {
      const token = staticKey(member.node as K.MemberExpression) as Token;
      const statement = enclosingStatement(path)!.node;
      const reassigned = binding.writes.length > 0;
      candidates.set(binding, { name: id.name, token, declarator: path.node, references: [], statement, member: member.node, writeBacks: [], reassigned });
    }
  }
  if (candidates.size === 0) return [];
  const scopes = names();
  for (const path of pathsWhere(rule.fn, (node) => isIdentifier(node) && candidates.has(scopes.resolve(node)!))) {
    const alias = candidates.get(scopes.resolve(path.node)!)!;
    const writeBack = writeBackStatement(path, alias.token, isContext);
    if (writeBack) alias.writeBacks.push(writeBack);
    else alias.references.push(path.node);
  }
  const followed: ClaimsAlias[] = [];
  for (const alias of candidates.values()) {
    // Either way its initializer is not a use of its own: context-to-event flags what is left.
    skipped.add(alias.member);
    const data = { alias: alias.name, token: alias.token };
    if (alias.reassigned) {
      ctx.todo({ node: alias.declarator, code: 'claims-alias-reassigned', data, statement: alias.statement });
    } else {
      ctx.report({ node: alias.declarator, code: 'claims-alias-followed', data });
      for (const statement of alias.writeBacks) writeBacks.add(statement);
      followed.push(alias);
    }
  }
  return followed;
}

/** What claimsMemberOf needs of the node alone: a member read of idToken or accessToken, maybe `|| {}`. */
function mayBeClaims(node: unknown): boolean {
  const member = isLogical(node) ? node.left : node;
  return isMember(member) && isToken(staticKey(member));
}

const isToken = (key: string | null) => key === 'idToken' || key === 'accessToken';

const isDeclarator = fastCheck(n.VariableDeclarator);
const isIdentifier = fastCheck(n.Identifier);
const isLogical = fastCheck(n.LogicalExpression);
const isMember = fastCheck(n.MemberExpression);

/** `context.idToken` or `context.idToken || {}` (`?? {}`) at `path`: the `context.idToken` member. */
function claimsMemberOf(path: NodePath, isContext: (path: NodePath) => boolean): NodePath | null {
  let member = path;
  const node = path.node;
  if (n.LogicalExpression.check(node) && (node.operator === '||' || node.operator === '??')) {
    if (!n.ObjectExpression.check(node.right) || node.right.properties.length > 0) return null;
    member = path.get('left');
  }
  if (!n.MemberExpression.check(member.node) || !isContext(member.get('object'))) return null;
  const token = staticKey(member.node);
  return token === 'idToken' || token === 'accessToken' ? member : null;
}

/** `context.idToken = claims;` as a statement, with `path` the `claims` identifier. */
function writeBackStatement(path: NodePath, token: Token, isContext: (path: NodePath) => boolean): Node | null {
  const assignment = path.parent?.node;
  if (!n.AssignmentExpression.check(assignment) || assignment.operator !== '=' || path.name !== 'right') return null;
  const left = path.parent.get('left');
  if (!n.MemberExpression.check(left.node) || !isContext(left.get('object')) || staticKey(left.node) !== token) return null;
  return expressionStatementOf(path.parent)?.node ?? null;
}

/** `claims` is the path of an expression standing for the claims object (`context.idToken` or an alias). */
function convertClaimsUse(ctx: TransformContext, claims: NodePath, token: Token, from: string) {
  const data = { token, from };
  const { keys, levels } = chainAbove(claims);
  const statement = () => enclosingStatement(claims) as unknown as StatementPath & NodePath;

  if (keys.length === 0) {
    if (convertObjectAssign(claims, token)) return;
    const whole = assignmentAt(claims);
    if (whole) {
      ctx.disable({ node: whole, code: 'claims-object-used', data, statement: statement() });
      return;
    }
    ctx.todo({ node: claims.node, code: 'claims-object-used', data, statement: statement().node });
    claims.replace(b.identifier('undefined'));
    return;
  }

  const claim = levels[1];
  const member = claim.node as K.MemberExpression;
  const key = keys[0];
  const claimName = `${from}${key === null ? '[…]' : `.${key}`}`;
  const claimData = { token, from: claimName };

  if (token === 'accessToken' && key === 'scope') {
    convertScope(ctx, claim, claimData);
    return;
  }

  const assignment = assignmentAt(claim);
  if (assignment) {
    if (assignment.operator === '=' && valueUnused(claim.parent)) {
      const call = b.callExpression(memberExpression(`api.${token}.setCustomClaim`), [keyExpression(member), assignment.right]);
      claim.parent.replace(call);
    } else {
      ctx.disable({ node: assignment, code: 'claim-not-converted', data: claimData, statement: statement() });
    }
    return;
  }
  if (isDeleteOrUpdate(claim)) {
    const code = n.UnaryExpression.check(claim.parent.node) ? 'claim-deleted' : 'claim-not-converted';
    ctx.disable({ node: claim.parent.node, code, data: claimData, statement: statement() });
    return;
  }
  if (levels.slice(1).some(isMutated)) {
    ctx.disable({ node: claim.node, code: 'claim-not-converted', data: claimData, statement: statement() });
    return;
  }
  // A read of a claim set earlier: the whole chain goes, reading further into undefined would throw.
  const top = levels[levels.length - 1];
  ctx.todo({ node: claim.node, code: 'claim-read-back', data: { from: claimName }, statement: statement().node });
  top.replace(b.identifier('undefined'));
}

/** `Object.assign(context.idToken, { a: 1, [k]: v })` as a statement → one setCustomClaim per property. */
function convertObjectAssign(claims: NodePath, token: Token): boolean {
  const call = claims.parent?.node;
  if (!n.CallExpression.check(call) || claims.name !== 0 || call.arguments.length < 2) return false;
  const callee = call.callee;
  if (!n.MemberExpression.check(callee) || staticKey(callee) !== 'assign' || !n.Identifier.check(callee.object) || callee.object.name !== 'Object') {
    return false;
  }
  const statement = expressionStatementOf(claims.parent);
  if (!statement) return false;
  const calls = [];
  for (const source of call.arguments.slice(1)) {
    if (!n.ObjectExpression.check(source)) return false;
    for (const property of source.properties) {
      if (!n.ObjectProperty.check(property) && !n.Property.check(property)) return false;
      const key = property.computed
        ? property.key
        : n.Identifier.check(property.key)
          ? b.stringLiteral(property.key.name)
          : property.key;
      const call = b.expressionStatement(b.callExpression(memberExpression(`api.${token}.setCustomClaim`), [key as Expression, property.value as Expression]));
      carryComments([property], call);
      calls.push(call);
    }
  }
  replaceStatement(statement, calls);
  return true;
}

/** The scopes of a static value: 'a b' or ['a', 'b']; null when not statically clear. */
function staticScopes(node: Node): string[] | null {
  const text = (value: unknown) => (typeof value === 'string' ? value : null);
  if (n.StringLiteral.check(node) || n.Literal.check(node)) {
    const value = text((node as K.StringLiteral).value);
    return value === null ? null : value.split(/\s+/).filter(Boolean);
  }
  if (n.TemplateLiteral.check(node) && node.expressions.length === 0) return node.quasis[0].value.cooked?.split(/\s+/).filter(Boolean) ?? null;
  if (n.ArrayExpression.check(node)) {
    const scopes: string[] = [];
    for (const element of node.elements) {
      const value = element && (n.StringLiteral.check(element) || n.Literal.check(element)) ? text((element as K.StringLiteral).value) : null;
      if (value === null) return null;
      scopes.push(value);
    }
    return scopes;
  }
  return null;
}

function convertScope(ctx: TransformContext, scopePath: NodePath, data: { token: Token; from: string }) {
  const statement = () => enclosingStatement(scopePath) as unknown as StatementPath & NodePath;
  const assignment = assignmentAt(scopePath);
  const holder = assignment ? expressionStatementOf(scopePath.parent) : null;
  if (assignment && holder && assignment.operator === '=') {
    const scopes = staticScopes(assignment.right);
    if (scopes) {
      ctx.report({ node: assignment, code: 'scope-set', data: { scopes: scopes.length ? scopes.map(quote).join(', ') : 'empty' } });
      const keep = `[${scopes.map(quote).join(', ')}]`;
      replaceStatement(holder, [
        ...freshStatements(
          `for (const scope of event.transaction?.requested_scopes ?? []) {\n  if (!${keep}.includes(scope)) {\n    api.accessToken.removeScope(scope);\n  }\n}`,
        ),
        ...scopes.map((s) => freshStatements(`api.accessToken.addScope(${quote(s)});`)[0]),
      ]);
      return;
    }
  }
  // context.accessToken.scope.push('a', …)
  const member = scopePath.parent?.node;
  const call = scopePath.parent?.parent?.node;
  if (
    !assignment &&
    n.MemberExpression.check(member) &&
    scopePath.name === 'object' &&
    staticKey(member) === 'push' &&
    n.CallExpression.check(call) &&
    call.callee === member &&
    call.arguments.every((a) => !n.SpreadElement.check(a)) &&
    expressionStatementOf(scopePath.parent.parent)
  ) {
    const printed = call.arguments.map((a) => recast.print(a).code).join(', ');
    ctx.report({ node: call, code: 'scope-added', data: { scopes: printed } });
    const calls = call.arguments.map((a) =>
      b.expressionStatement(b.callExpression(memberExpression('api.accessToken.addScope'), [a as Expression])),
    );
    replaceStatement(expressionStatementOf(scopePath.parent.parent)!, calls);
    return;
  }
  if (!isMutated(scopePath)) {
    const top = chainAbove(scopePath).levels.at(-1)!;
    ctx.todo({ node: scopePath.node, code: 'claim-read-back', data: { from: data.from }, statement: statement().node });
    top.replace(b.identifier('undefined'));
    return;
  }
  ctx.disable({ node: assignment ?? scopePath.node, code: 'scope-dynamic', data, statement: statement() });
}
