// auth0-deploy-cli YAML layout: tenant.yaml with `actions:` and `triggers:`, code beside it in
// actions/<name>/code.js. An existing tenant.yaml in the output folder is edited, not replaced.
import type { Document as YamlDocument } from 'yaml';
import { parseYaml, unmaskText } from '../inputs/data.js';
import { lazyModule } from '../lazy-module.js';
import { isRecord, triggerMap } from '../inputs/records.js';
import { deployedField } from './directory.js';
import { actionCode, MODULE_FOLDER } from './module.js';
import { ACTION_RUNTIME, currentPostLogin, dependenciesOf, moduleRefs, POST_LOGIN, secretsOf, triggersToWrite, type TenantPlan } from './plan.js';

export const YAML_FILE = 'tenant.yaml';
const yamlLibrary = lazyModule<typeof import('yaml')>('yaml');

/** Files by path relative to the tenant's output folder; `existing` is the tenant.yaml already there. */
export function emitYaml(plan: TenantPlan, existing: { text: string; file: string } | null): Map<string, string> {
  const files = new Map<string, string>();
  const actions = plan.actions.map((action) => {
    files.set(`actions/${action.file}/code.js`, actionCode(action));
    return {
      name: action.name,
      code: `./actions/${action.file}/code.js`,
      runtime: ACTION_RUNTIME,
      dependencies: dependenciesOf(action),
      secrets: secretsOf(action).map((name) => ({ name, value: '' })),
      supported_triggers: [{ id: POST_LOGIN, version: 'v3' }],
      ...deployedField(plan, action),
      ...moduleRefs(action),
    };
  });

  const { Document, isMap } = yamlLibrary();
  let document: YamlDocument;
  let tokens: string[] = [];
  if (existing) {
    // Masked, so keyword tokens elsewhere in the file come back byte for byte.
    const parsed = parseYaml(existing.text, existing.file);
    document = parsed.document;
    tokens = parsed.tokens;
    if (!isMap(document.contents)) document = new Document({});
  } else {
    document = new Document({});
  }
  const current = document.toJS() as Record<string, unknown> | null;
  const ours = new Set(plan.actions.map((a) => a.name));
  const others = (Array.isArray(current?.actions) ? current.actions : []).filter((a) => !(isRecord(a) && ours.has(String(a.name))));
  document.set('actions', [...others, ...actions]);
  if (plan.modules.length) {
    const names = new Set(plan.modules.map((m) => m.name));
    const otherModules = (Array.isArray(current?.actionModules) ? current.actionModules : []).filter((m) => !(isRecord(m) && names.has(String(m.name))));
    const ours = plan.modules.map(({ name, code, dependencies, broken }) => {
      files.set(`${MODULE_FOLDER}/${name}/code.js`, code);
      return { name, code: `./${MODULE_FOLDER}/${name}/code.js`, dependencies, secrets: [], all_changes_published: !broken };
    });
    document.set('actionModules', [...otherModules, ...ours]);
  }
  // The output file's `triggers:` (when it has the key) is the tenant's current list; else the input's.
  const outputTriggers = current && Object.hasOwn(current, 'triggers') ? (triggerMap(current.triggers) ?? {}) : undefined;
  const triggers = triggersToWrite(plan, outputTriggers, currentPostLogin(outputTriggers, plan.tenant));
  if (triggers) document.set('triggers', triggers);
  files.set(YAML_FILE, unmaskText(document.toString({ lineWidth: 0 }), tokens));
  return files;
}
