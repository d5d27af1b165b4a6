import * as recast from 'recast';
import { b, enclosingStatement, expression, isRuleParam, memberExpression, n, removeDeclarator, type NodePath } from '../src/ast.js';
import { assignmentAt, chainAbove, freshStatements, isDeleteOrUpdate } from '../src/context-writes.js';
import { contextFields, eventUserFields, lookupField, userFields, type FieldMapping } from '../src/mapping.js';
import { ruleScopes, type Binding, type RuleScopes } from '../src/ast/scope.js';
import { moduleDeclares } from '../src/module-requires.js';
import type { BlockStatement, Expression, RuleShape, StatementPath, Transform, TransformContext } from '../src/types.js';
import type { SharedField } from '../src/tenant/types.js';

import { keyNeverUsed, onlyTested } from '../src/value-use.js';
import { template } from '../src/nodes.js';
import { visit } from '../src/visit.js';
import { fastCheck, someNode } from '../src/walk.js';

const isMember = fastCheck(n.MemberExpression);
const isIdentifier = fastCheck(n.Identifier);
const isDeclarator = fastCheck(n.VariableDeclarator);

type Kind = 'user' | 'context';

const UPSTREAM_TOKENS = new Set(['access_token', 'refresh_token', 'access_token_secret']);

/**
 * Reads of `user.*` and `context.*` (and their aliases) become `event.*` reads. Fields with no
 * Action equivalent become `undefined` under a TODO; writes, which have no effect in Actions,
 * are commented out under a TODO. Runs after the transforms that convert writes with meaning
 * (claims, metadata, redirect, MFA, primary user).
 */
export const contextToEvent: Transform = {
  id: 'context-to-event',
  description: 'user.* → event.user.*, context.* → event.* (renamed fields included); aliases followed',
  safety: 'safe',
  messages: {
    'renamed-field': { severity: 'info', text: '{{from}} is {{to}} in Actions.' },
    'review-field': { severity: 'warning', text: '{{from}} → {{to}}: {{note}}.' },
    'no-equivalent': {
      severity: 'error',
      text: '{{from}} has no Action equivalent ({{why}}); it reads as undefined here.',
    },
    'unknown-field': {
      severity: 'error',
      text: '{{from}} is not a documented Rules context field; it reads as undefined here.',
    },
    'write-has-no-effect': {
      severity: 'error',
      text: 'Changing {{from}} has no effect in an Action; to pass data to later Actions use api.transaction.setMetadata.',
    },
    'unknown-user-field': {
      severity: 'warning',
      text: '{{from}} is not a field of event.user in Actions (it reads as undefined there); check where this value comes from now.',
    },
    'upstream-token': {
      severity: 'error',
      text: 'Upstream identity-provider tokens ({{from}}) are not available in Actions; it reads as undefined here.',
    },
    'alias-followed': { severity: 'info', text: '`{{alias}}` was an alias of `{{of}}`; its uses now read from event.' },
    'transaction-metadata-write': {
      severity: 'info',
      text: '{{from}} is read by a later rule ({{readers}}): it is passed on with api.transaction.setMetadata(\'{{field}}\', …), read there as event.transaction.metadata.{{field}}.',
    },
    'transaction-metadata-json': {
      severity: 'warning',
      text: '{{from}} is read by a later rule ({{readers}}) and is not a string, number or boolean: it is passed on JSON-encoded with api.transaction.setMetadata (values ≤8 KB, ≤16 KB per login) and decoded where it is read.',
    },
    'transaction-metadata-read': {
      severity: 'info',
      text: '{{from}} was set by an earlier rule ({{writers}}): it is read from event.transaction.metadata.{{field}}.',
    },
    'transaction-metadata-read-back': {
      severity: 'warning',
      text: '{{from}} is set by this rule and read again here: event.* does not see the change (the value goes to later Actions through api.transaction.setMetadata); keep it in a local variable if this read needs it.',
    },
    'whole-object-copy': {
      severity: 'warning',
      text: 'The whole `{{name}}` is passed on here: it is now rulesContext(event), a read-only copy of the Rules context built from the event (the same field names). Anything written into it (claims, redirect, MFA, metadata) has no effect; check that what receives it only reads it.',
    },
    'whole-object': {
      severity: 'error',
      text: 'The whole `{{name}}` object is used here; Actions have no single equivalent. Pass the event fields it needs.',
    },
  },
  apply(ctx) {
    // Both handlers: the redirect transform may have split the rule into onContinuePostLogin.
    for (const body of [ctx.rule.body, ctx.module.continueBody]) {
      if (!body) continue;
      // One plain scan tells whether aliases or identity variables may exist: only then are the body's
      // names resolved (src/ast/scope.ts), before collectAliases changes its declarators.
      const scan = scanDeclarators(ctx, body);
      const scopes = scan.aliasCandidates || scan.identities ? ruleScopes(ctx.rule, body) : null;
      const identityVariables = scopes && scan.identities ? identityBindings(scopes) : new Set<Binding>();
      if (scopes && scan.aliasCandidates) collectAliases(ctx, body, scopes);
      if (scopes) flagUpstreamTokens(ctx, body, scopes, identityVariables);
      const aliases = scopes && scan.aliasCandidates ? scopes : null;
      // referenceKind holds only for the parameters' names and the aliases' identifiers.
      const { user, context } = ctx.rule;
      visit(body, {
        visitIdentifier(path) {
          const kind = referenceKind(path, ctx.rule, aliases);
          if (kind) rewriteReference(ctx, path, kind);
          this.traverse(path);
        },
      }, (node) => node.name === user || node.name === context || (aliases !== null && kindOf(aliases, node) !== null));
    }
  },
};

/** The rule parameter (user or context) an identifier stands for, directly or through an alias. */
function kindOf(scopes: RuleScopes, node: unknown): Kind | null {
  const role = scopes.roleOf(node);
  return role === 'user' || role === 'context' ? role : null;
}

/**
 * `var ctx = context;` (or `var c = ctx;`, never reassigned) → uses of ctx are followed (src/ast/scope.ts
 * says which are aliases); `const { clientID } = context;` → one declarator per field.
 */
function collectAliases(ctx: TransformContext, body: BlockStatement, scopes: RuleScopes): void {
  visit(body, {
    visitVariableDeclarator(path) {
      const { id, init } = path.node;
      const kind = kindOf(scopes, init);
      if (kind && n.Identifier.check(id) && kindOf(scopes, id) === kind) {
        ctx.report({ node: path.node, code: 'alias-followed', data: { alias: id.name, of: kind } });
        removeDeclarator(path);
        return false;
      }
      if (kind && n.ObjectPattern.check(id)) {
        const declarators = destructure(ctx, id, kind, path.node);
        if (declarators) path.replace(...declarators);
        return false;
      }
      this.traverse(path);
    },
  });
}

function destructure(ctx: TransformContext, pattern: recast.types.namedTypes.ObjectPattern, kind: Kind, at: unknown) {
  const declarators = [];
  for (const property of pattern.properties) {
    if (!(n.ObjectProperty.check(property) || n.Property.check(property)) || property.computed) return null;
    const key = n.Identifier.check(property.key) ? property.key.name : null;
    if (!key || !n.Identifier.check(property.value)) return null;
    const target = kind === 'user' ? userTarget([key]) : contextTarget([key]);
    if (!target) return null;
    reportMapping(ctx, at, `${kind}.${key}`, target);
    declarators.push(b.variableDeclarator(b.identifier(property.value.name), (target.replacement ?? b.identifier("undefined")) as Expression));
  }
  return declarators;
}

/** `aliases`: the body's scopes when it may hold aliases (a member or key name resolves to nothing there). */
function referenceKind(path: NodePath, rule: RuleShape, aliases: RuleScopes | null): Kind | null {
  if (isRuleParam(path, rule, rule.user)) return 'user';
  if (isRuleParam(path, rule, rule.context)) return 'context';
  return aliases ? kindOf(aliases, path.node) : null;
}

interface Target {
  /** Replaces the member expression `length` levels above the identifier; null: no equivalent. */
  replacement: recast.types.namedTypes.Node | null;
  length: number;
  mapping: FieldMapping;
  to: string;
}

function contextTarget(props: string[]): Target | null {
  const found = lookupField(contextFields, props);
  if (!found) return null;
  const { mapping, length } = found;
  if (mapping.expression) return { replacement: expression(mapping.expression), length, mapping, to: mapping.expression };
  return targetFrom(mapping, length);
}

function userTarget(props: string[]): Target {
  const found = lookupField(userFields, props.slice(0, 1));
  if (found) return targetFrom(found.mapping, 1);
  // Same name under event.user: only the identifier changes, the rest keeps its formatting.
  return { replacement: memberExpression('event.user'), length: 0, mapping: { to: 'event.user' }, to: 'event.user' };
}

function targetFrom(mapping: FieldMapping, length: number): Target {
  return {
    replacement: mapping.to ? memberExpression(mapping.to, mapping.optional) : null,
    length,
    mapping,
    to: mapping.to ?? '',
  };
}

function reportMapping(ctx: TransformContext, node: unknown, from: string, target: Target, at?: NodePath) {
  const { mapping, to } = target;
  if (mapping.review && !(at && differenceCannotShow(ctx, mapping, at))) {
    ctx.report({ node: node as never, code: 'review-field', data: { from, to, note: mapping.review } });
  } else if (from.startsWith('context.') || !to.startsWith(`event.${from}`)) {
    ctx.report({ node: node as never, code: 'renamed-field', data: { from, to } });
  }
}

/** Static property names above the identifier, '*' for a dynamic key; and the paths of each level. */
function propsAbove(path: NodePath): { props: string[]; levels: NodePath[] } {
  const { keys, levels } = chainAbove(path);
  return { props: keys.map((key) => key ?? '*'), levels };
}

function isWriteTarget(path: NodePath): boolean {
  return Boolean(assignmentAt(path)) || isDeleteOrUpdate(path);
}

function rewriteReference(ctx: TransformContext, path: NodePath, kind: Kind) {
  const name = path.node.name as string;
  // Arguments of a callback call that could not be converted were flagged with it.
  const parent = path.parent?.node;
  if (n.CallExpression.check(parent) && n.Identifier.check(parent.callee) && parent.callee.name === ctx.rule.callback) return;
  const { props, levels } = propsAbove(path);
  const top = levels[levels.length - 1];
  // Found only for a finding's marker: the walk up (NodePath parents) cost more than the rewrite itself.
  const statement = () => enclosingStatement(path) as unknown as StatementPath;
  const from = [kind, ...props].join('.');

  const tenant = ctx.options.tenant;
  const written = levels.findIndex(isWriteTarget);
  if (props.length > 0 && written >= 0) {
    const path = props.slice(0, written).join('.');
    const passes = tenant?.passes.find((f) => f.kind === kind && f.field === path);
    if (passes && toSetMetadata(ctx, levels[written], passes, `${kind}.${path}`)) return;
    ctx.disable({ node: top.node, code: 'write-has-no-effect', data: { from }, statement: statement() });
    return;
  }
  const readPath = props.join('.');
  const receives = tenant?.receives.find((f) => f.kind === kind && (readPath === f.field || readPath.startsWith(`${f.field}.`)));
  if (receives) {
    toMetadataRead(ctx, kind, levels[receives.field.split('.').length], receives, `${kind}.${receives.field}`);
    return;
  }
  const readBack = tenant?.passes.find((f) => f.kind === kind && (readPath === f.field || readPath.startsWith(`${f.field}.`)));
  if (readBack && !ctx.module.copies?.includes(top.node as never)) ctx.report({ node: top.node, code: 'transaction-metadata-read-back', data: { from: `${kind}.${readBack.field}` } });

  if (kind === 'user') {
    const identities = props.indexOf('identities');
    if (identities >= 0 && props.slice(identities).some((p) => UPSTREAM_TOKENS.has(p))) {
      ctx.todo({ node: top.node, code: 'upstream-token', data: { from }, statement: statement().node });
      top.replace(b.identifier('undefined'));
      return;
    }
    const target = userTarget(props);
    if (!target.replacement) {
      ctx.todo({ node: top.node, code: 'no-equivalent', data: { from, why: target.mapping.why ?? '' }, statement: statement().node });
      top.replace(b.identifier('undefined'));
      return;
    }
    if (target.length === 1) reportMapping(ctx, top.node, `user.${props[0]}`, target);
    else if (props[0] && props[0] !== '*' && !eventUserFields.has(props[0])) {
      ctx.report({ node: levels[1].node, code: 'unknown-user-field', data: { from: `user.${props[0]}` } });
    }
    replaceKeepingShorthand(levels[target.length], target.replacement);
    return;
  }

  if (props.length === 0 && !isWriteTarget(path) && !isReassignedTarget(path)) {
    addRulesContext(ctx);
    ctx.report({ node: path.node, code: 'whole-object-copy', data: { name } });
    replaceKeepingShorthand(path, b.callExpression(b.identifier(RULES_CONTEXT), [b.identifier('event')]));
    return;
  }
  if (props.length === 0 || props[0] === '*') {
    ctx.disable({ node: path.node, code: 'whole-object', data: { name }, statement: statement() });
    return;
  }
  const target = contextTarget(props);
  if (!target) {
    ctx.todo({ node: top.node, code: 'unknown-field', data: { from }, statement: statement().node });
    top.replace(b.identifier('undefined'));
    return;
  }
  if (!target.replacement) {
    // The whole chain goes: reading further into undefined would throw.
    ctx.todo({ node: top.node, code: 'no-equivalent', data: { from, why: target.mapping.why ?? '' }, statement: statement().node });
    top.replace(b.identifier('undefined'));
    return;
  }
  reportMapping(ctx, top.node, [kind, ...props.slice(0, target.length)].join('.'), target, levels[target.length]);
  replaceKeepingShorthand(levels[target.length], target.replacement);
}

/** The mapped value at `at` is used only where the documented difference cannot change anything. */
function differenceCannotShow(ctx: TransformContext, mapping: FieldMapping, at: NodePath): boolean {
  const when = mapping.reviewIf;
  if (!when) return false;
  return 'value' in when ? onlyTested(at) : keyNeverUsed(at, when.property, ctx.rule.fn);
}

function replaceKeepingShorthand(path: NodePath, replacement: recast.types.namedTypes.Node) {
  const parent = path.parent?.node;
  if ((n.ObjectProperty.check(parent) || n.Property.check(parent)) && parent.shorthand && parent.value === path.node) {
    parent.shorthand = false;
  }
  path.replace(replacement);
}

/**
 * By name only, as a cheap filter: whether the body may hold aliases of user/context (collectAliases
 * has work), and whether it reads `x.identities` and an upstream token (`y.access_token`): only then
 * can a variable holding one of the user's identities have its token read (flagUpstreamTokens).
 */
function scanDeclarators(ctx: TransformContext, body: BlockStatement) {
  const { user, context } = ctx.rule;
  let aliasCandidates = false;
  let identitiesRead = false;
  let tokenRead = false;
  someNode(body, (node) => {
    if (isMember(node) && !node.computed && isIdentifier(node.property)) {
      if (node.property.name === 'identities') identitiesRead = true;
      else if (UPSTREAM_TOKENS.has(node.property.name)) tokenRead = true;
    }
    if (isDeclarator(node) && isIdentifier(node.init) && (node.init.name === user || node.init.name === context)) aliasCandidates = true;
    return false;
  });
  return { aliasCandidates, identities: identitiesRead && tokenRead };
}

/** Variables initialised from the rule's `user.identities` (`const fb = user.identities.find(…)`). */
function identityBindings(scopes: RuleScopes): Set<Binding> {
  return new Set(scopes.bindings.filter((binding) => binding.init && someNode(binding.init, (node) => isUserIdentities(scopes, node))));
}

/**
 * `const fb = user.identities.find(…); fb.access_token` reads an upstream token through a variable:
 * the direct `user.identities[0].access_token` form is caught where `user` is rewritten.
 */
function flagUpstreamTokens(ctx: TransformContext, body: BlockStatement, scopes: RuleScopes, identityVariables: Set<Binding>) {
  if (identityVariables.size === 0) return;
  visit(body, {
    visitMemberExpression(path) {
      const { object, property, computed } = path.node;
      if (!computed && n.Identifier.check(property) && UPSTREAM_TOKENS.has(property.name) &&
          n.Identifier.check(object) && identityVariables.has(scopes.resolve(object)!) && !isWriteTarget(path)) {
        const from = `${object.name}.${property.name}`;
        ctx.todo({ node: path.node, code: 'upstream-token', data: { from }, statement: enclosingStatement(path)!.node });
        path.replace(b.identifier('undefined'));
        return false;
      }
      this.traverse(path);
    },
  });
}

/** `user.identities`, `user` being the rule's parameter or an alias of it. */
function isUserIdentities(scopes: RuleScopes, node: unknown): boolean {
  return isMember(node) && !node.computed && isIdentifier(node.property) && node.property.name === 'identities' && scopes.roleOf(node.object) === 'user';
}

// ---------------------------------------------------------------------------------------------
// context.X / user.X shared with other rules of the tenant (src/tenant): transaction metadata.

/**
 * `context.X = v;` / `user.X = v;` that a later rule reads → `api.transaction.setMetadata('X', v);`
 * (`JSON.stringify(v)` when some rule writes a value that is not a string, number or boolean). Only a
 * plain assignment statement of the field itself; false when it is anything else.
 */
function toSetMetadata(ctx: TransformContext, member: NodePath, shared: SharedField, from: string): boolean {
  const assignment = assignmentAt(member);
  if (!assignment || assignment.operator !== '=' || !n.ExpressionStatement.check(member.parent?.parent?.node)) return false;
  const value = assignment.right as Expression;
  const encoded = shared.json ? b.callExpression(memberExpression('JSON.stringify'), [value]) : value;
  const key = b.stringLiteral(shared.field);
  member.parent.replace(b.callExpression(memberExpression('api.transaction.setMetadata'), [key, encoded]));
  const readers = shared.others.join(', ');
  ctx.report({ node: member.node, code: shared.json ? 'transaction-metadata-json' : 'transaction-metadata-write', data: { from, readers, field: shared.field } });
  return true;
}

/** A read of a field an earlier rule set → the transaction metadata (decoded), else what the event has. */
function toMetadataRead(ctx: TransformContext, kind: Kind, member: NodePath, shared: SharedField, from: string) {
  const field = shared.field;
  const key = /^[A-Za-z_$][\w$]*$/.test(field) ? `.${field}` : `[${JSON.stringify(field)}]`;
  let code = `event.transaction?.metadata?.${key.startsWith('.') ? key.slice(1) : key}`;
  // Metadata values are typed string | number | boolean: String() keeps the type check and JSON.parse happy.
  if (shared.json) code = `JSON.parse(String(${code} ?? null))`;
  const parts = field.split('.');
  const mapped = kind === 'user' ? (parts.length === 1 && eventUserFields.has(field) ? `event.user${key}` : null) : contextTarget(parts);
  // What the event has at the same place: the mapped field and the keys below it.
  const below = (rest: string[]) => rest.map((k) => (/^[A-Za-z_$][\w$]*$/.test(k) ? `.${k}` : `[${JSON.stringify(k)}]`)).join('');
  const fallback = typeof mapped === 'string' ? mapped : mapped?.to ? eventPath(mapped.to) + below(parts.slice(mapped.length)) : null;
  if (fallback) code = `(${code} ?? ${fallback})`;
  ctx.report({ node: member.node, code: 'transaction-metadata-read', data: { from, writers: shared.others.join(', '), field } });
  const [statement] = freshStatements(`${code};`);
  replaceKeepingShorthand(member, (statement as recast.types.namedTypes.ExpressionStatement).expression);
}

// ---------------------------------------------------------------------------------------------
// The whole context passed on (to a library, a logger, lodash): a read-only copy in the Rules shape.

const RULES_CONTEXT = 'rulesContext';

/** Optional objects of the post-login event: reached with `?.` in the copy. */
const OPTIONAL_EVENT = ['event.transaction', 'event.authentication', 'event.authorization', 'event.session', 'event.organization', 'event.request.geoip'];

function eventPath(to: string): string {
  let code = to;
  for (const optional of OPTIONAL_EVENT) {
    if (code.startsWith(`${optional}.`)) code = `${optional}?.${code.slice(optional.length + 1)}`;
  }
  return code;
}

/**
 * Source of `function rulesContext(event) {…}`, from the same table the field reads use: each Rules
 * field at its Rules path (nested ones nested), valued from its event field.
 */
function rulesContextCode(): string {
  interface Tree { [key: string]: Tree | string }
  const tree: Tree = {};
  const paths = Object.keys(contextFields);
  for (const path of paths) {
    const mapping = contextFields[path];
    const value = mapping.expression ?? (mapping.to ? eventPath(mapping.to) : null);
    // An umbrella entry (`request`) whose fields are listed one by one is built from them.
    if (!value || paths.some((other) => other.startsWith(`${path}.`))) continue;
    const keys = path.split('.');
    let node = tree;
    for (const key of keys.slice(0, -1)) node = (node[key] ??= {}) as Tree;
    node[keys[keys.length - 1]] = value;
  }
  const print = (node: Tree, indent: string): string =>
    `{\n${Object.entries(node).map(([key, value]) => `${indent}  ${key}: ${typeof value === 'string' ? value : print(value, `${indent}  `)},`).join('\n')}\n${indent}}`;
  return `// rules2actions: a read-only copy of the Rules \`context\`, for code that takes it whole. Writing into it has no effect.
function ${RULES_CONTEXT}(event) {
  return ${print(tree, '  ')};
}`;
}

let rulesContextSource: string | undefined;

function addRulesContext(ctx: TransformContext) {
  if (moduleDeclares(ctx.module, RULES_CONTEXT)) return;
  // Parsed once with its positions (a copy per rule): it prints as written here.
  ctx.module.prelude.push(...template((rulesContextSource ??= rulesContextCode())));
}

/** `context = …` or `({ context } = …)`: the name itself is reassigned. */
function isReassignedTarget(path: NodePath): boolean {
  const parent = path.parent?.node;
  return (n.AssignmentExpression.check(parent) && parent.left === path.node) || n.UpdateExpression.check(parent);
}
