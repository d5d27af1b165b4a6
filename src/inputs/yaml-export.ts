// auth0-deploy-cli YAML export: `rules:` entries with script paths relative to the YAML's folder,
// `rulesConfigs:` keys, `triggers:`. See formats.md §3.
import path from 'node:path';
import { parseYaml } from './data.js';
import { ConfinementError } from '../io/errors.js';
import { configKeys, isRecord, locate, problemFrom, readScript, readText, ruleFields, triggerMap, uniqueKeys } from './records.js';
import type { Tenant } from './types.js';

export async function readYamlExport(file: string, name: string): Promise<Tenant> {
  const tenant: Tenant = { name, source: file, format: 'yaml', rules: [], configKeys: [], problems: [], notes: [] };
  let value: unknown;
  let text = '';
  try {
    text = await readText(file);
    value = parseYaml(text, file).value;
  } catch (error) {
    tenant.problems.push(problemFrom(file, error));
    return tenant;
  }
  if (value == null) return tenant;
  if (!isRecord(value)) {
    tenant.problems.push({ source: file, message: `${file}: a tenant YAML export must be a mapping (rules:, rulesConfigs:, …).`, line: 1, column: 1 });
    return tenant;
  }
  const base = path.dirname(file);
  const rules = Array.isArray(value.rules) ? value.rules : [];
  for (const [index, entry] of rules.entries()) {
    if (!isRecord(entry) || typeof entry.script !== 'string') {
      tenant.problems.push({ source: file, message: `${file}: rules[${index}] has no script.` });
      continue;
    }
    const ruleName = typeof entry.name === 'string' && entry.name ? entry.name : `rule-${index + 1}`;
    // Scripts are paths relative to the YAML's folder; very old files inline the code.
    const inline = /\n|function\s*\(|=>/.test(entry.script);
    const scriptFile = inline ? `${file}#${ruleName}` : path.join(base, entry.script.replace(/\\/g, '/'));
    try {
      // Confined to the YAML's folder: a script path of ../../etc/passwd or a link to elsewhere is not read.
      const script = inline ? { script: entry.script } : await readScript(scriptFile, base);
      tenant.rules.push({ source: scriptFile, name: ruleName, ...script, ...ruleFields(entry) });
    } catch (error) {
      const problem = problemFrom(scriptFile, error);
      const at = locate(text, entry.script);
      const why = error instanceof ConfinementError ? error.message : `${(error as NodeJS.ErrnoException).code ?? error}`;
      tenant.problems.push(
        problem.code
          ? problem
          : { source: file, line: at.line, column: at.column, message: `${file}:${at.line}:${at.column}: script ${entry.script} of rule '${ruleName}' cannot be read (${why}).` },
      );
    }
  }
  tenant.configKeys = uniqueKeys(configKeys(value.rulesConfigs ?? []));
  tenant.triggers = triggerMap(value.triggers);
  return tenant;
}
