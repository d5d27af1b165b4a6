import type { Transform } from '../types.js';

/** Findings of the tenant-level pass (src/tenant/prepare.ts), which runs before the transforms. */
export const tenantTransform: Pick<Transform, 'id' | 'messages'> = {
  id: 'tenant',
  messages: {
    'shared-helper': {
      severity: 'info',
      text: 'global.{{name}} is a helper defined by {{definedBy}}; it is carried into this Action as a function and converted with it.',
    },
    'shared-helper-late': {
      severity: 'warning',
      text: 'global.{{name}} is a helper defined by {{definedBy}}, which runs after this rule (Rules only had it on a warm container); it is carried into this Action as a function. Check the order.',
    },
    'shared-helper-closure': {
      severity: 'warning',
      text: 'global.{{name}} (defined by {{definedBy}}) read that rule’s `{{names}}`, which on a warm container was an earlier login’s; in this Action it reads the current login’s.',
    },
    'shared-constant': {
      severity: 'info',
      text: 'global.{{name}} is a constant set by {{definedBy}}; it is a module-level constant of this Action.',
    },
    'shared-secret': {
      severity: 'info',
      text: 'global.{{name}} held configuration.{{key}} (set by {{definedBy}}); it is read as the secret {{key}}.',
    },
    'global-cache-per-instance': {
      severity: 'warning',
      text: 'global.{{name}} is a cache this rule fills and reads; it is now a module-level variable, kept per Action instance while it stays warm (never shared with other Actions or instances).',
    },
    'shared-definition-moved': {
      severity: 'info',
      text: 'global.{{name}} is defined here for {{readers}}; the definition moves into each Action that uses it.',
    },
    'library-rule': {
      severity: 'info',
      text: 'This rule only defined shared helpers and values for later rules; they are carried into the Actions that use them, so it becomes no Action.',
    },
    'helper-parameter-aliased': {
      severity: 'info',
      text: '`{{helper}}` always receives the rule’s `{{of}}` as `{{param}}`: it now uses `{{of}}` directly and is converted with the rule.',
    },
    'shared-field-local': {
      severity: 'info',
      text: '{{from}} is changed in place or read back here and read by {{readers}}: this rule works on `{{name}}`, a copy of it, and passes it on with api.transaction.setMetadata after each change.',
    },
    'module-helpers': {
      severity: 'info',
      text: 'With --module, {{names}} are in the Actions Module rules2actions-tenant-helpers, which this Action requires, instead of carried in it.',
    },
    'module-helper-kept': {
      severity: 'info',
      text: 'global.{{name}} stays carried in this Action, not in the shared-helpers module: {{why}}.',
    },
    'plain-order': {
      severity: 'info',
      text: 'Plain .js rules have no order: shared state between them is migrated assuming they run in file order ({{position}} of {{rules}}).',
    },
  },
};
