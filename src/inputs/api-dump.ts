// `GET /api/v2/rules` (an array, or `{rules: [...]}` with include_totals) and `auth0 rules list --json`
// output: rules with their ids, so each Action can start with the wasExecuted guard. formats.md §5.1, §7.
import { parseJson } from './data.js';
import { configKeys, isRecord, problemFrom, readText, ruleFields, uniqueKeys, type Json } from './records.js';
import type { Tenant } from './types.js';

export async function readApiDump(file: string, name: string): Promise<Tenant> {
  const tenant: Tenant = { name, source: file, format: 'api', rules: [], configKeys: [], problems: [], notes: [] };
  try {
    const value = parseJson(await readText(file), file);
    const items = Array.isArray(value) ? value : isRecord(value) && Array.isArray(value.rules) ? value.rules : null;
    if (!items) {
      tenant.problems.push({
        source: file,
        line: 1,
        column: 1,
        message: `${file}: not a rules dump: expected [{id, name, script, …}] or {rules: [...]} (GET /api/v2/rules, auth0 rules list --json).`,
      });
      return tenant;
    }
    addApiRules(tenant, items, file);
    if (isRecord(value)) tenant.configKeys = uniqueKeys(configKeys(value.rulesConfigs ?? value['rules-configs'] ?? []));
  } catch (error) {
    tenant.problems.push(problemFrom(file, error));
  }
  return tenant;
}

/** Adds Management API rule objects; `origin` names the file or URL they came from. */
export function addApiRules(tenant: Tenant, items: unknown[], origin: string): void {
  for (const [index, item] of items.entries()) {
    if (!isRecord(item) || typeof item.script !== 'string') {
      tenant.problems.push({ source: `${origin}#${index}`, message: `${origin}: rule #${index} has no script.` });
      continue;
    }
    const rule = item as Json;
    const ruleName = typeof rule.name === 'string' && rule.name ? rule.name : typeof rule.id === 'string' ? rule.id : `rule-${index + 1}`;
    tenant.rules.push({ source: `${origin}#${ruleName}`, name: ruleName, script: item.script, ...ruleFields(rule) });
  }
}
