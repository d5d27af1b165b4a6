import type { namedTypes as K } from 'ast-types';
import * as recast from 'recast';
import { b, enclosingStatement, memberExpression, n, type NodePath } from '../src/ast.js';
import {
  assignmentAt,
  carryComments,
  expressionStatementOf,
  isMutated,
  keyExpression,
  replaceStatement,
  templateExpression,
  valueUnused,
  visitContextChains,
} from '../src/context-writes.js';
import { SAML_ALLOWED_ALGORITHMS } from '../src/platform-defaults.js';
import type { Expression, Statement, StatementPath, Transform, TransformContext } from '../src/types.js';

/** SAML settings with an `api.samlResponse.set<Name>` setter (reference §5, §8.1). */
const SETTERS = new Set([
  'audience', 'recipient', 'issuer', 'destination', 'lifetimeInSeconds', 'signResponse', 'nameIdentifierFormat',
  'nameIdentifierProbes', 'authnContextClassRef', 'signingCert', 'includeAttributeNameFormat', 'typedAttributes',
  'encryptionCert', 'encryptionPublicKey', 'cert', 'key', 'createUpnClaim', 'passthroughClaimsWithNoMapping',
  'mapUnknownClaimsAsIs', 'mapIdentities', 'signatureAlgorithm', 'digestAlgorithm', 'relayState', 'encryptionAlgorithm',
]);
const WITHOUT_SETTER = new Set(['logout', 'binding', 'wctx', 'authnContextDeclRef']);
/** Never undefined in Actions: no `?.` needed right after them. */
const METADATA = new Set(['app_metadata', 'user_metadata']);

type Property = K.ObjectProperty | K.Property;
type Conversion = { ok: true; statements: Statement[] } | { ok: false; code: string; node: unknown; data: Record<string, string> };

/**
 * `context.samlConfiguration.<name> = v` → `api.samlResponse.set<Name>(v)`;
 * `context.samlConfiguration.mappings[attr] = 'user.path'` → `api.samlResponse.setAttribute(attr,
 * event.user.path)`: Rules mapped an attribute to a user property name, Actions take its value.
 */
export const samlConfiguration: Transform = {
  id: 'saml-configuration',
  description: 'context.samlConfiguration.* → api.samlResponse.set*(…); mappings → setAttribute(attr, event.user value)',
  safety: 'review',
  relevant: /samlConfiguration/,
  messages: {
    'mapping-resolved': {
      severity: 'warning',
      text: "The attribute {{attribute}} was mapped to the user property '{{property}}'; the Action sets the value of {{value}} instead: check it holds what the application expects.",
    },
    'no-setter': {
      severity: 'error',
      text: 'context.samlConfiguration.{{name}} has no setter in Actions (api.samlResponse); configure it on the SAML2 Web App add-on or drop it.',
    },
    'unknown-setting': {
      severity: 'error',
      text: 'context.samlConfiguration.{{name}} is not a SAML setting Actions know; check the api.samlResponse setters.',
    },
    'dynamic-mapping': {
      severity: 'error',
      text: 'This SAML mapping is not a literal user property name; call api.samlResponse.setAttribute(attribute, value) with the value itself.',
    },
    'fallback-removed': {
      severity: 'info',
      text: '`{{from}} = {{from}} || {}` is not needed: the api.samlResponse setters need no object to write into.',
    },
    'legacy-algorithm': {
      severity: 'warning',
      text: "context.samlConfiguration.{{name}} is '{{value}}'; api.samlResponse.set{{setter}} documents only {{allowed}}: the Action may be refused. Use {{allowed}} if the service provider accepts it, or keep {{value}} on the SAML2 Web App add-on.",
    },
    'saml-not-converted': {
      severity: 'error',
      text: 'This change to {{from}} cannot be converted: Actions set SAML settings with one api.samlResponse setter call each.',
    },
  },
  apply(ctx) {
    visitContextChains(ctx.rule, ({ keys, levels }) => {
      if (keys[0] === 'samlConfiguration') convertUse(ctx, keys, levels);
    });
  },
};

function convertUse(ctx: TransformContext, keys: Array<string | null>, levels: NodePath[]) {
  const written = levels.slice(1).find(isMutated);
  // Reads are left to context-to-event (SAML settings cannot be read back).
  if (!written) return;
  const depth = levels.indexOf(written);
  const from = ['context', ...keys.slice(0, depth).map((k) => k ?? '[…]')].join('.');
  const statement = enclosingStatement(written) as unknown as StatementPath & NodePath;
  const assignment = assignmentAt(written);
  const holder = assignment && assignment.operator === '=' && valueUnused(written.parent) ? expressionStatementOf(written.parent) : null;

  let result: Conversion = { ok: false, code: 'saml-not-converted', node: written.parent.node, data: { from } };
  if (holder && assignment && isFallback(written.node, assignment.right)) {
    // `x = x || {}` only made sure there was an object to write into: a no-op for the setters.
    ctx.report({ node: written.parent.node as never, code: 'fallback-removed', data: { from } });
    replaceStatement(holder, []);
    return;
  }
  if (holder && assignment) {
    if (depth === 1) result = convertSettings(ctx, assignment.right);
    else if (depth === 2) result = convertSetting(ctx, keys[1], assignment.right, written.parent.node);
    else if (depth === 3 && keys[1] === 'mappings') result = convertMapping(ctx, written.node as K.MemberExpression, assignment.right);
  } else if (depth === 2 && keys[1] !== null && !SETTERS.has(keys[1]) && keys[1] !== 'mappings') {
    result = settingFailure(keys[1], written.parent.node);
  }
  if (result.ok) {
    replaceStatement(holder!, result.statements);
    return;
  }
  ctx.disable({ node: result.node as never, code: result.code, data: result.data, statement });
}

/** `left = left || {}` (or `??`), with the same member chain on both sides. */
function isFallback(left: unknown, right: unknown): boolean {
  if (!n.LogicalExpression.check(right) || (right.operator !== '||' && right.operator !== '??')) return false;
  if (!n.ObjectExpression.check(right.right) || right.right.properties.length > 0) return false;
  return code(left) === code(right.left);
}

function settingFailure(name: string, node: unknown): Conversion {
  return WITHOUT_SETTER.has(name)
    ? { ok: false, code: 'no-setter', node, data: { name } }
    : { ok: false, code: 'unknown-setting', node, data: { name } };
}

/** `<name> = value` → `api.samlResponse.set<Name>(value)`. */
function convertSetting(ctx: TransformContext, name: string | null, value: unknown, node: unknown): Conversion {
  if (name === null) return { ok: false, code: 'saml-not-converted', node, data: { from: 'context.samlConfiguration[…]' } };
  if (name === 'mappings') {
    if (!n.ObjectExpression.check(value)) return { ok: false, code: 'dynamic-mapping', node, data: {} };
    return convertMappings(ctx, value);
  }
  if (!SETTERS.has(name)) return settingFailure(name, node);
  const setter = `api.samlResponse.set${name[0].toUpperCase()}${name.slice(1)}`;
  const allowed = SAML_ALLOWED_ALGORITHMS[name];
  const literal = n.StringLiteral.check(value) ? value.value : null;
  if (allowed && literal !== null && !allowed.includes(literal)) {
    const data = { name, value: literal, setter: setter.slice('api.samlResponse.set'.length), allowed: allowed.map((a) => `'${a}'`).join(', ') };
    ctx.report({ node: node as never, code: 'legacy-algorithm', data });
  }
  return { ok: true, statements: [call(`${setter}(${code(value)})`)] };
}

/** `context.samlConfiguration = { audience, mappings: {…} }`: each property as its own setting. */
function convertSettings(ctx: TransformContext, value: unknown): Conversion {
  if (!n.ObjectExpression.check(value)) return { ok: false, code: 'saml-not-converted', node: value, data: { from: 'context.samlConfiguration' } };
  const statements: Statement[] = [];
  for (const property of value.properties) {
    const key = isProperty(property) ? staticPropertyKey(property) : null;
    if (key === null) return { ok: false, code: 'saml-not-converted', node: property, data: { from: 'context.samlConfiguration' } };
    const result = convertSetting(ctx, key, (property as Property).value, property);
    if (!result.ok) return result;
    if (result.statements[0]) carryComments([property], result.statements[0]);
    statements.push(...result.statements);
  }
  return { ok: true, statements };
}

/** `mappings = { attr: 'user.path', … }` → one setAttribute per attribute. */
function convertMappings(ctx: TransformContext, mappings: K.ObjectExpression): Conversion {
  const statements: Statement[] = [];
  for (const property of mappings.properties) {
    if (!isProperty(property)) return { ok: false, code: 'dynamic-mapping', node: property, data: {} };
    const attribute = property.computed
      ? (property.key as Expression)
      : n.Identifier.check(property.key)
        ? b.stringLiteral(property.key.name)
        : (property.key as Expression);
    const result = setAttribute(ctx, attribute, property.value, property);
    if (!result.ok) return result;
    carryComments([property], result.statements[0]);
    statements.push(...result.statements);
  }
  return { ok: true, statements };
}

/** `mappings[attr] = 'user.path'`. */
function convertMapping(ctx: TransformContext, member: K.MemberExpression, value: unknown): Conversion {
  return setAttribute(ctx, keyExpression(member) as Expression, value, member);
}

function setAttribute(ctx: TransformContext, attribute: Expression, value: unknown, node: unknown): Conversion {
  const property = n.StringLiteral.check(value) ? value.value : null;
  const resolved = property === null ? null : userValue(property);
  if (!resolved) return { ok: false, code: 'dynamic-mapping', node: value ?? node, data: {} };
  const attributeText = code(attribute);
  const valueText = code(resolved);
  ctx.report({ node: node as never, code: 'mapping-resolved', data: { attribute: attributeText, property: property!, value: valueText } });
  return { ok: true, statements: [call(`api.samlResponse.setAttribute(${attributeText}, ${valueText})`)] };
}

/** A statement calling a setter; the template keeps the arguments as written. */
function call(text: string): Statement {
  return b.expressionStatement(templateExpression(text));
}

function code(node: unknown): string {
  return recast.print(node as Expression, { quote: 'single' }).code;
}

/** 'user_metadata.address.city' → event.user.user_metadata.address?.city; null for anything but a dotted path. */
function userValue(property: string): Expression | null {
  if (!/^[\w$-]+(\.[\w$-]+)*$/.test(property)) return null;
  const parts = ['event', 'user', ...property.split('.')];
  const optional: string[] = [];
  for (let i = 3; i < parts.length; i++) {
    if (i === 3 && METADATA.has(parts[2])) continue;
    optional.push(parts.slice(0, i).join('.'));
  }
  return memberExpression(parts, optional);
}

function isProperty(node: unknown): node is Property {
  return n.ObjectProperty.check(node) || n.Property.check(node);
}

function staticPropertyKey(property: Property): string | null {
  if (!property.computed && n.Identifier.check(property.key)) return property.key.name;
  if (n.StringLiteral.check(property.key)) return property.key.value;
  return null;
}
