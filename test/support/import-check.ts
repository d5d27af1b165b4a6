// Schema-level checks of what `migrate --out` writes, against what the importers accept:
// auth0-deploy-cli (directory and YAML: the actions and triggers handlers' schemas and the
// directory loader's rules) and the auth0/auth0 Terraform provider (the auth0_action,
// auth0_trigger_actions and data auth0_action schemas, required_providers), plus the layout
// `terraform fmt` prints. Each check returns the problems found ([] when the import would pass).
// Our own reading of those sources, written for these tests; no code copied.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';

/** auth0-deploy-cli's known trigger ids (constants.ACTIONS_TRIGGERS). */
const TRIGGERS = [
  'post-login', 'credentials-exchange', 'pre-user-registration', 'post-user-registration', 'post-change-password',
  'send-phone-message', 'password-reset-post-challenge', 'custom-token-exchange', 'login-post-identifier', 'signup-post-identifier',
];

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** One Action record (actions/<name>.json or a `actions:` entry); `codeRoot`: where `code` resolves. */
function checkAction(action: unknown, where: string, codeRoot: string, problems: string[]): string | null {
  if (!isObject(action)) {
    problems.push(`${where}: an Action must be an object`);
    return null;
  }
  for (const key of ['name', 'supported_triggers', 'code']) if (!(key in action)) problems.push(`${where}: required ${key} missing`);
  if (typeof action.name !== 'string' || !action.name) problems.push(`${where}: name must be a non-empty string`);
  if (typeof action.code !== 'string') problems.push(`${where}: code must be a string`);
  else {
    const resolved = path.resolve(codeRoot, action.code.replace(/\\/g, '/'));
    if (!resolved.startsWith(path.resolve(codeRoot) + path.sep)) problems.push(`${where}: code ${action.code} is outside the config folder`);
    else if (!existsSync(resolved)) problems.push(`${where}: code ${action.code} does not exist`);
  }
  if ('runtime' in action && typeof action.runtime !== 'string') problems.push(`${where}: runtime must be a string`);
  if ('deployed' in action && typeof action.deployed !== 'boolean') problems.push(`${where}: deployed must be a boolean`);
  const triggers = action.supported_triggers;
  if (!Array.isArray(triggers) || triggers.length !== 1) problems.push(`${where}: supported_triggers must hold one trigger`);
  else for (const t of triggers) if (!isObject(t) || typeof t.id !== 'string' || typeof t.version !== 'string') problems.push(`${where}: supported_triggers entries need id and version strings`);
  if ('dependencies' in action) {
    if (!Array.isArray(action.dependencies)) problems.push(`${where}: dependencies must be an array`);
    else {
      for (const d of action.dependencies) {
        // additionalProperties: false in the handler's schema.
        if (!isObject(d) || Object.keys(d).some((k) => !['name', 'version', 'registry_url'].includes(k))) problems.push(`${where}: dependency ${JSON.stringify(d)} has other keys`);
        else if (typeof d.name !== 'string' || typeof d.version !== 'string' || !d.version) problems.push(`${where}: dependency ${JSON.stringify(d)} needs name and version`);
      }
    }
  }
  if ('secrets' in action && typeof action.secrets !== 'string') {
    if (!Array.isArray(action.secrets)) problems.push(`${where}: secrets must be an array (or one keyword string)`);
    else for (const s of action.secrets) if (!isObject(s) || typeof s.name !== 'string' || ('value' in s && typeof s.value !== 'string')) problems.push(`${where}: secret ${JSON.stringify(s)}`);
  }
  return typeof action.name === 'string' ? action.name : null;
}

/** The triggers map: known trigger ids, ordered non-empty lists of {action_name, display_name}. */
function checkTriggers(triggers: unknown, where: string, problems: string[]): Record<string, string[]> {
  const names: Record<string, string[]> = {};
  if (!isObject(triggers)) {
    problems.push(`${where}: triggers must be an object`);
    return names;
  }
  for (const [trigger, list] of Object.entries(triggers)) {
    if (!TRIGGERS.includes(trigger)) problems.push(`${where}: unknown trigger ${trigger}`);
    if (!Array.isArray(list)) {
      problems.push(`${where}: ${trigger} must be a list`);
      continue;
    }
    // a0deploy PATCHes every trigger present: an empty list unbinds everything.
    if (list.length === 0) problems.push(`${where}: ${trigger} is an empty list (it would unbind every Action)`);
    names[trigger] = [];
    for (const b of list) {
      if (!isObject(b) || typeof b.action_name !== 'string' || (('display_name' in b) && typeof b.display_name !== 'string')) problems.push(`${where}: ${trigger} binding ${JSON.stringify(b)}`);
      else names[trigger].push(b.action_name);
    }
  }
  return names;
}

export interface LayoutCheck {
  problems: string[];
  /** name → deployed */
  actions: Map<string, boolean | undefined>;
  /** trigger → bound names in order; null when no triggers are written */
  triggers: Record<string, string[]> | null;
}

/** Every binding must name an Action written here or one the tenant already has (`existing`); a bound Action must be deployed. */
function checkBound(check: LayoutCheck, existing: string[]) {
  for (const name of check.triggers?.['post-login'] ?? []) {
    if (check.actions.has(name)) {
      if (check.actions.get(name) === false) check.problems.push(`post-login binds ${name}, which is not deployed`);
    } else if (!existing.includes(name)) check.problems.push(`post-login binds ${name}, which is neither written nor bound today`);
  }
}

/** An actionModules entry (handler schema: name and code required; dependencies {name, version} only). */
function checkModule(module: unknown, where: string, codeRoot: string, problems: string[]): string | null {
  if (!isObject(module) || typeof module.name !== 'string' || typeof module.code !== 'string') {
    problems.push(`${where}: an Actions Module needs name and code`);
    return null;
  }
  if (!existsSync(path.resolve(codeRoot, module.code))) problems.push(`${where}: code ${module.code} does not exist`);
  for (const d of Array.isArray(module.dependencies) ? module.dependencies : []) {
    if (!isObject(d) || Object.keys(d).some((k) => !['name', 'version'].includes(k)) || typeof d.version !== 'string' || !d.version) problems.push(`${where}: dependency ${JSON.stringify(d)}`);
  }
  return module.name;
}

/** Each Action's `modules` must name a module written here, as {module_name, module_version_number}. */
function checkModuleRefs(actions: Array<[string, unknown]>, modules: Set<string>, problems: string[]) {
  for (const [where, action] of actions) {
    if (!isObject(action) || !('modules' in action)) continue;
    if (!Array.isArray(action.modules)) problems.push(`${where}: modules must be a list`);
    else {
      for (const m of action.modules) {
        if (!isObject(m) || typeof m.module_name !== 'string' || typeof m.module_version_number !== 'number') problems.push(`${where}: module ${JSON.stringify(m)}`);
        else if (!modules.has(m.module_name)) problems.push(`${where}: module ${m.module_name} is not written`);
      }
    }
  }
}

/** auth0-deploy-cli directory format below `root`. */
export function checkDirectory(root: string, existing: string[] = []): LayoutCheck {
  const problems: string[] = [];
  const actions = new Map<string, boolean | undefined>();
  const records: Array<[string, unknown]> = [];
  const modules = new Set<string>();
  const modulesDir = path.join(root, 'action-modules');
  for (const file of existsSync(modulesDir) ? readdirSync(modulesDir).filter((f) => f.endsWith('.json')).sort() : []) {
    const name = checkModule(JSON.parse(readFileSync(path.join(modulesDir, file), 'utf8')), `action-modules/${file}`, root, problems);
    if (name) modules.add(name);
  }
  const dir = path.join(root, 'actions');
  const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.json')).sort() : [];
  for (const file of files) {
    let value: unknown;
    try {
      value = JSON.parse(readFileSync(path.join(dir, file), 'utf8'));
    } catch (error) {
      problems.push(`actions/${file}: ${(error as Error).message}`);
      continue;
    }
    const name = checkAction(value, `actions/${file}`, root, problems);
    records.push([`actions/${file}`, value]);
    if (name) {
      if (actions.has(name)) problems.push(`two Actions named ${name}`);
      actions.set(name, (value as Json).deployed as boolean | undefined);
    }
  }
  let triggers: Record<string, string[]> | null = null;
  const triggersDir = path.join(root, 'triggers');
  const [first] = existsSync(triggersDir) ? readdirSync(triggersDir).filter((f) => f.endsWith('.json')).sort() : [];
  if (first) triggers = checkTriggers(JSON.parse(readFileSync(path.join(triggersDir, first), 'utf8')), `triggers/${first}`, problems);
  checkModuleRefs(records, modules, problems);
  const check = { problems, actions, triggers };
  checkBound(check, existing);
  return check;
}

/** auth0-deploy-cli YAML format: `file` and the code paths relative to its folder. */
export function checkYaml(file: string, existing: string[] = []): LayoutCheck {
  const problems: string[] = [];
  const actions = new Map<string, boolean | undefined>();
  const value = parseYaml(readFileSync(file, 'utf8')) as unknown;
  if (!isObject(value)) return { problems: [`${file}: not a mapping`], actions, triggers: null };
  if ('actions' in value) {
    if (!Array.isArray(value.actions)) problems.push('actions: must be a list');
    else {
      value.actions.forEach((a, i) => {
        const name = checkAction(a, `actions[${i}]`, path.dirname(file), problems);
        if (name) actions.set(name, (a as Json).deployed as boolean | undefined);
      });
    }
  }
  const triggers = 'triggers' in value ? checkTriggers(value.triggers ?? {}, 'triggers:', problems) : null;
  const modules = new Set<string>();
  if ('actionModules' in value) {
    if (!Array.isArray(value.actionModules)) problems.push('actionModules: must be a list');
    else value.actionModules.forEach((m, i) => {
      const name = checkModule(m, `actionModules[${i}]`, path.dirname(file), problems);
      if (name) modules.add(name);
    });
  }
  checkModuleRefs((Array.isArray(value.actions) ? value.actions : []).map((a, i) => [`actions[${i}]`, a] as [string, unknown]), modules, problems);
  const check = { problems, actions, triggers };
  checkBound(check, existing);
  return check;
}

// ---- HCL: a parser for the subset we write, then the provider's schema -------------------------

export interface HclBlockNode {
  type: string;
  labels: string[];
  attributes: Record<string, string>;
  blocks: HclBlockNode[];
  line: number;
}

/** Blocks, labels, attributes (raw expression text, objects and calls balanced). Throws on anything else. */
export function parseHcl(text: string): HclBlockNode[] {
  const lines = text.split('\n');
  let i = 0;
  const parseBody = (closing: boolean): { attributes: Record<string, string>; blocks: HclBlockNode[] } => {
    const attributes: Record<string, string> = {};
    const blocks: HclBlockNode[] = [];
    for (; i < lines.length; i++) {
      const line = lines[i].trim();
      if (line === '' || line.startsWith('#')) continue;
      if (line === '}') {
        if (!closing) throw new Error(`line ${i + 1}: unexpected }`);
        return { attributes, blocks };
      }
      const block = /^([a-z_][\w-]*)((?:\s+"(?:[^"\\]|\\.)*")*)\s*\{$/.exec(line);
      if (block) {
        const labels = [...block[2].matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => m[1]);
        const start = i + 1;
        i++;
        const body = parseBody(true);
        blocks.push({ type: block[1], labels, ...body, line: start });
        continue;
      }
      const attribute = /^([a-z_][\w-]*)\s*=\s*(.+)$/.exec(line);
      if (!attribute) throw new Error(`line ${i + 1}: cannot read ${JSON.stringify(line)}`);
      let value = attribute[2];
      // An object value spans lines until its braces balance.
      let depth = (value.match(/\{/g) ?? []).length - (value.match(/\}/g) ?? []).length;
      while (depth > 0 && i + 1 < lines.length) {
        value += '\n' + lines[++i].trim();
        depth += (lines[i].match(/\{/g) ?? []).length - (lines[i].match(/\}/g) ?? []).length;
      }
      if (attribute[1] in attributes) throw new Error(`line ${i + 1}: ${attribute[1]} set twice`);
      attributes[attribute[1]] = value;
    }
    if (closing) throw new Error('unclosed block');
    return { attributes, blocks };
  };
  return parseBody(false).blocks;
}

const ACTION_ATTRIBUTES = ['name', 'code', 'runtime', 'deploy', 'secrets_wo_version'];
const ACTION_BLOCKS = ['supported_triggers', 'dependencies', 'secrets', 'secrets_wo', 'modules', 'timeouts'];
const RUNTIMES = ['node12', 'node16', 'node18', 'node22'];
const isString = (v: string | undefined) => v !== undefined && /^"(?:[^"\\]|\\.)*"$/.test(v);
const unquote = (v: string) => JSON.parse(v.replace(/\$\$\{/g, '${').replace(/%%\{/g, '%{')) as string;

export interface TerraformCheck {
  problems: string[];
  /** resource name → deploy */
  actions: Map<string, { name: string; deploy?: string }>;
  /** post-login bindings: `auth0_action.x` or `data.auth0_action.y` references in order; null without the resource */
  bindings: string[] | null;
}

/** actions.tf against the provider's schema; `root` resolves file(...) paths. */
export function checkTerraform(text: string, root: string): TerraformCheck {
  const problems: string[] = [];
  let blocks: HclBlockNode[];
  try {
    blocks = parseHcl(text);
  } catch (error) {
    return { problems: [`HCL: ${(error as Error).message}`], actions: new Map(), bindings: null };
  }
  const terraform = blocks.filter((b) => b.type === 'terraform');
  const providers = terraform.flatMap((b) => b.blocks.filter((x) => x.type === 'required_providers'));
  const auth0 = providers[0]?.attributes.auth0;
  if (!auth0) problems.push('no terraform { required_providers { auth0 = … } }: terraform init would look for hashicorp/auth0');
  else {
    if (!/source\s*=\s*"auth0\/auth0"/.test(auth0)) problems.push('required_providers.auth0.source is not "auth0/auth0"');
    if (!/version\s*=\s*"[^"]+"/.test(auth0)) problems.push('required_providers.auth0 has no version constraint');
  }
  const variables = new Set(blocks.filter((b) => b.type === 'variable').map((b) => b.labels[0]));
  const data = new Set(blocks.filter((b) => b.type === 'data' && b.labels[0] === 'auth0_action').map((b) => b.labels[1]));
  for (const b of blocks.filter((x) => x.type === 'data')) {
    if (b.labels[0] !== 'auth0_action' || !isString(b.attributes.name)) problems.push(`data ${b.labels.join('.')}: needs auth0_action with a name`);
  }
  const modules = new Set<string>();
  for (const b of blocks.filter((x) => x.type === 'resource' && x.labels[0] === 'auth0_action_module')) {
    const where = `auth0_action_module.${b.labels[1]}`;
    for (const key of Object.keys(b.attributes)) if (!['name', 'code', 'publish'].includes(key)) problems.push(`${where}: unknown attribute ${key}`);
    for (const child of b.blocks) if (!['dependencies', 'secrets'].includes(child.type)) problems.push(`${where}: unknown block ${child.type}`);
    if (!isString(b.attributes.name) || !b.attributes.code) problems.push(`${where}: name and code are required`);
    const file = /^file\("\$\{path\.module\}\/(.+)"\)$/.exec(b.attributes.code ?? '');
    if (!file || !existsSync(path.join(root, file[1]))) problems.push(`${where}: code must be an existing file("\${path.module}/…")`);
    modules.add(b.labels[1]);
  }
  const actions = new Map<string, { name: string; deploy?: string }>();
  for (const b of blocks.filter((x) => x.type === 'resource' && x.labels[0] === 'auth0_action')) {
    const where = `auth0_action.${b.labels[1]}`;
    for (const key of Object.keys(b.attributes)) if (!ACTION_ATTRIBUTES.includes(key)) problems.push(`${where}: unknown attribute ${key}`);
    for (const child of b.blocks) if (!ACTION_BLOCKS.includes(child.type)) problems.push(`${where}: unknown block ${child.type}`);
    if (!isString(b.attributes.name)) problems.push(`${where}: name is required`);
    const code = b.attributes.code;
    const file = code && /^file\("\$\{path\.module\}\/(.+)"\)$/.exec(code);
    if (!file) problems.push(`${where}: code must be file("\${path.module}/…")`);
    else if (!existsSync(path.join(root, unquote(`"${file[1]}"`)))) problems.push(`${where}: ${file[1]} does not exist`);
    if (b.attributes.runtime && !RUNTIMES.includes(unquote(b.attributes.runtime))) problems.push(`${where}: runtime ${b.attributes.runtime}`);
    if (b.attributes.deploy && !/^(true|false)$/.test(b.attributes.deploy)) problems.push(`${where}: deploy must be a bool`);
    const triggers = b.blocks.filter((x) => x.type === 'supported_triggers');
    if (triggers.length !== 1 || !isString(triggers[0].attributes.id) || !isString(triggers[0].attributes.version)) problems.push(`${where}: one supported_triggers { id, version }`);
    for (const d of b.blocks.filter((x) => x.type === 'dependencies')) {
      if (!isString(d.attributes.name) || !isString(d.attributes.version)) problems.push(`${where}: dependencies { name, version }`);
    }
    for (const m of b.blocks.filter((x) => x.type === 'modules')) {
      const id = /^auth0_action_module\.([\w-]+)\.id$/.exec(m.attributes.module_id ?? '');
      const version = /^auth0_action_module\.([\w-]+)\.version_id$/.exec(m.attributes.module_version_id ?? '');
      if (!id || !version || id[1] !== version[1] || !modules.has(id[1])) problems.push(`${where}: modules { module_id, module_version_id } must refer to a declared auth0_action_module`);
    }
    const wo = b.blocks.filter((x) => x.type === 'secrets_wo');
    if (wo.length && b.blocks.some((x) => x.type === 'secrets')) problems.push(`${where}: secrets conflicts with secrets_wo`);
    if (wo.length && !/^\d+$/.test(b.attributes.secrets_wo_version ?? '')) problems.push(`${where}: secrets_wo needs secrets_wo_version`);
    for (const s of [...wo, ...b.blocks.filter((x) => x.type === 'secrets')]) {
      const value = /^var\.([\w-]+)$/.exec(s.attributes.value ?? '');
      if (!isString(s.attributes.name) || !value) problems.push(`${where}: ${s.type} { name, value = var.… } (values never written)`);
      else if (!variables.has(value[1])) problems.push(`${where}: variable ${value[1]} is not declared`);
    }
    actions.set(b.labels[1], { name: unquote(b.attributes.name ?? '""'), deploy: b.attributes.deploy });
  }
  for (const b of blocks.filter((x) => x.type === 'variable')) {
    if (b.attributes.sensitive !== 'true') problems.push(`variable ${b.labels[0]}: not sensitive`);
  }
  const triggerResources = blocks.filter((x) => x.type === 'resource' && x.labels[0] === 'auth0_trigger_actions');
  let bindings: string[] | null = null;
  for (const b of triggerResources) {
    const where = `auth0_trigger_actions.${b.labels[1]}`;
    if (!isString(b.attributes.trigger) || !TRIGGERS.includes(unquote(b.attributes.trigger))) problems.push(`${where}: trigger`);
    const list = b.blocks.filter((x) => x.type === 'actions');
    if (list.length === 0) problems.push(`${where}: no actions: it would unbind every Action of the trigger`);
    bindings = [];
    for (const a of list) {
      const ref = /^((?:data\.)?auth0_action\.([\w-]+))\.id$/.exec(a.attributes.id ?? '');
      if (!ref || !isString(a.attributes.display_name)) {
        problems.push(`${where}: actions { id = auth0_action.….id, display_name }`);
        continue;
      }
      const known = ref[1].startsWith('data.') ? data.has(ref[2]) : actions.has(ref[2]);
      if (!known) problems.push(`${where}: ${ref[1]} is not declared`);
      if (!ref[1].startsWith('data.') && actions.get(ref[2])?.deploy === 'false') problems.push(`${where}: binds ${ref[1]}, which is not deployed`);
      bindings.push(ref[1]);
    }
  }
  if (triggerResources.length > 1) problems.push('more than one auth0_trigger_actions');
  return { problems, actions, bindings };
}

/**
 * What `terraform fmt` would change, for the layout we write: two-space indentation by depth, `=` of
 * consecutive one-line attributes aligned (one space after the longest name), no tabs or trailing
 * spaces, no doubled blank lines, one newline at the end.
 */
export function fmtProblems(text: string): string[] {
  const problems: string[] = [];
  if (!text.endsWith('\n') || text.endsWith('\n\n')) problems.push('the file must end with exactly one newline');
  const lines = (text.endsWith('\n') ? text.slice(0, -1) : text).split('\n');
  let depth = 0;
  let run: Array<{ line: number; name: string; equals: number }> = [];
  const flush = () => {
    if (run.length) {
      const width = Math.max(...run.map((a) => a.name.length));
      for (const a of run) if (a.equals !== width + 1) problems.push(`line ${a.line}: '=' not aligned (terraform fmt puts it at column ${width + 2} of the name)`);
    }
    run = [];
  };
  lines.forEach((raw, index) => {
    const n = index + 1;
    if (/\t/.test(raw)) problems.push(`line ${n}: tab`);
    if (/\s$/.test(raw)) problems.push(`line ${n}: trailing whitespace`);
    if (raw === '' && lines[index - 1] === '') problems.push(`line ${n}: two blank lines`);
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) {
      flush();
      if (line.startsWith('#') && raw.length - raw.trimStart().length !== depth * 2) problems.push(`line ${n}: comment indented wrongly`);
      return;
    }
    const closes = line.startsWith('}');
    const expected = (closes ? depth - 1 : depth) * 2;
    if (raw.length - raw.trimStart().length !== expected) problems.push(`line ${n}: indented ${raw.length - raw.trimStart().length}, expected ${expected}`);
    const attribute = /^([\w-]+)( +)= /.exec(line);
    if (attribute && !line.endsWith('{')) run.push({ line: n, name: attribute[1], equals: attribute[1].length + attribute[2].length });
    else {
      flush();
      if (attribute) problems.push(...(attribute[2] === ' ' ? [] : [`line ${n}: extra spaces before '=' of a multi-line value`]));
    }
    depth += (line.match(/\{/g) ?? []).length - (line.match(/\}/g) ?? []).length;
    if (line.endsWith('{') && !attribute) flush();
  });
  if (depth !== 0) problems.push('unbalanced braces');
  return problems;
}
