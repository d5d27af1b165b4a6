import type { namedTypes as K } from 'ast-types';
import * as recast from 'recast';
import { enclosingStatement, n, type NodePath } from '../src/ast.js';
import {
  assignmentAt,
  carryComments,
  expressionStatementOf,
  isMutated,
  objectCode,
  templateExpression,
  valueUnused,
  visitContextChains,
} from '../src/context-writes.js';
import { MFA_REMEMBER_BROWSER } from '../src/platform-defaults.js';
import type { Expression, Node, StatementPath, Transform, TransformContext } from '../src/types.js';

const PROVIDERS = ['none', 'guardian', 'google-authenticator', 'duo', 'any'];
/** Duo settings: they go into providerOptions in Actions. */
const PROVIDER_OPTIONS = new Set(['ikey', 'skey', 'host', 'username']);

type Property = K.ObjectProperty | K.Property;

/**
 * `context.multifactor = { provider, allowRememberBrowser, ikey, skey, host }` →
 * `api.multifactor.enable(provider, { allowRememberBrowser, providerOptions: { ikey, skey, host } })`
 * (reference §5, §8.1).
 */
export const multifactor: Transform = {
  id: 'multifactor',
  description: 'context.multifactor = {…} → api.multifactor.enable(provider, { allowRememberBrowser, providerOptions })',
  safety: 'safe',
  relevant: /multifactor/,
  messages: {
    'unknown-provider': {
      severity: 'error',
      text: "'{{provider}}' is not a provider of api.multifactor.enable (none, guardian, google-authenticator, duo, any); choose one.",
    },
    'dynamic-provider': {
      severity: 'warning',
      text: 'The MFA provider is computed here; api.multifactor.enable accepts none, guardian, google-authenticator, duo or any.',
    },
    'ignore-cookie': {
      severity: 'info',
      text: 'ignoreCookie is allowRememberBrowser negated in Actions.',
    },
    'remember-browser-default': {
      severity: 'info',
      text: 'allowRememberBrowser is written out as true: Rules remembered the browser when it was left out, api.multifactor.enable defaults to false (users would get MFA on every login).',
    },
    'unknown-option': {
      severity: 'warning',
      text: '`{{option}}` is not an option of api.multifactor.enable; it is passed along unchanged: check whether it is still needed.',
    },
    'spread-options': {
      severity: 'warning',
      text: 'Spread MFA settings go into providerOptions; check that they hold only Duo settings (ikey, skey, host, username).',
    },
    'mfa-object-dynamic': {
      severity: 'error',
      text: 'The MFA settings are not an object literal; the call reads provider and allowRememberBrowser from them and passes them as providerOptions: check it always holds a provider.',
    },
    'mfa-not-converted': {
      severity: 'error',
      text: 'This change to {{from}} cannot be converted: an Action enables MFA with one api.multifactor.enable(provider, options) call.',
    },
  },
  apply(ctx) {
    visitContextChains(ctx.rule, ({ keys, levels }) => {
      if (keys[0] !== 'multifactor') return;
      const target = levels[1];
      const assignment = assignmentAt(target);
      const statement = () => enclosingStatement(target) as unknown as StatementPath & NodePath;
      if (assignment && assignment.operator === '=' && valueUnused(target.parent) && expressionStatementOf(target.parent)) {
        const holder = expressionStatementOf(target.parent)!.node;
        // Errors leave a TODO above the converted statement; the rest are plain findings.
        const flag: Flag = (code, node, data) =>
          ctx.todo({ node, code, data, statement: holder });
        const dropped: Node[] = [];
        const call = enableCall(ctx, assignment.right as Expression, flag, dropped);
        if (call) {
          carryComments(dropped, holder);
          target.parent.replace(call);
          return;
        }
      }
      const written = levels.slice(1).find(isMutated);
      if (written) {
        const from = ['context', ...keys.slice(0, levels.indexOf(written))].join('.');
        ctx.disable({ node: written.parent.node, code: 'mfa-not-converted', data: { from }, statement: statement() });
      }
      // Reads are left to context-to-event (MFA settings cannot be read back).
    });
  },
};

/** The api.multifactor.enable call for the assigned settings; null when they cannot be read statically. */
type Flag = (code: string, node: Node, data?: Record<string, string>) => void;

function enableCall(ctx: TransformContext, settings: Expression, flag: Flag, dropped: Node[]): Expression | null {
  if (n.Identifier.check(settings) || n.MemberExpression.check(settings)) {
    flag('mfa-object-dynamic', settings);
    const value = code(settings);
    // Left out (undefined), the Rules default applies, not the Actions one.
    const remember = `allowRememberBrowser: ${value}.allowRememberBrowser ?? ${String(MFA_REMEMBER_BROWSER.rulesDefault)}`;
    return enable(`${value}.provider`, [remember, `providerOptions: ${value}`]);
  }
  if (!n.ObjectExpression.check(settings)) return null;

  let provider: Expression | null = null;
  let remember = false;
  const options: string[] = [];
  const providerOptions: string[] = [];
  for (const property of settings.properties) {
    if (n.SpreadElement.check(property)) {
      ctx.report({ node: property, code: 'spread-options' });
      providerOptions.push(code(property));
      continue;
    }
    if (!n.ObjectProperty.check(property) && !n.Property.check(property)) {
      ctx.report({ node: property, code: 'unknown-option', data: { option: code(property) } });
      return null;
    }
    const key = propertyKey(property);
    const value = property.value as Expression;
    if (key === 'provider') {
      provider = value;
      dropped.push(property);
    } else if (key === 'allowRememberBrowser') {
      remember = true;
      options.push(code(property));
    } else if (key === 'ignoreCookie') {
      ctx.report({ node: property, code: 'ignore-cookie' });
      remember = true;
      dropped.push(property);
      const negated = n.BooleanLiteral.check(value) ? String(!value.value) : `!(${code(value)})`;
      options.push(`allowRememberBrowser: ${negated}`);
    } else if (key !== null && PROVIDER_OPTIONS.has(key)) {
      providerOptions.push(code(property));
    } else {
      ctx.report({ node: property, code: 'unknown-option', data: { option: key ?? code(property.key) } });
      options.push(code(property));
    }
  }
  if (!provider) return null;
  const name = n.StringLiteral.check(provider) ? provider.value : null;
  if (name === null) ctx.report({ node: provider, code: 'dynamic-provider' });
  else if (!PROVIDERS.includes(name)) flag('unknown-provider', provider, { provider: name });
  // The Rules default, written out: api.multifactor.enable's own default is the opposite (reference section of the README).
  if (!remember && name !== 'none') {
    ctx.report({ node: settings, code: 'remember-browser-default' });
    options.unshift(`allowRememberBrowser: ${String(MFA_REMEMBER_BROWSER.rulesDefault)}`);
  }
  if (providerOptions.length) options.push(`providerOptions: ${objectCode(providerOptions)}`);
  return enable(code(provider), options);
}

function enable(provider: string, options: string[]): Expression {
  const head = `api.multifactor.enable(${provider}`;
  return templateExpression(options.length ? `${head}, ${objectCode(options, 100 - head.length)})` : `${head})`);
}

/** Source text of a node (its comments included), as it prints after the earlier transforms. */
function code(node: Node): string {
  return recast.print(node, { quote: 'single' }).code;
}

function propertyKey(property: Property): string | null {
  if (!property.computed && n.Identifier.check(property.key)) return property.key.name;
  if (n.StringLiteral.check(property.key)) return property.key.value;
  return null;
}
