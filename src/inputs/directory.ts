// auth0-deploy-cli directory export: rules/<name>.json sidecars (+ scripts), rules-configs/*.json,
// triggers/*.json. See formats.md §2.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { parseJson } from './data.js';
import { ConfinementError } from '../io/errors.js';
import { configKeys, isRecord, locate, problemFrom, readScript, readText, ruleFields, triggerMap, uniqueKeys } from './records.js';
import type { Tenant } from './types.js';

/** Files and symbolic links (followed only when they stay inside the export: see readText's root) with this extension. */
const listFiles = async (dir: string, ext: string) =>
  (await fs.readdir(dir, { withFileTypes: true }).catch(() => []))
    .filter((entry) => !entry.isDirectory() && entry.name.toLowerCase().endsWith(ext))
    .map((entry) => entry.name)
    .sort();

export async function readDirectoryExport(root: string, name: string): Promise<Tenant> {
  const tenant: Tenant = { name, source: root, format: 'directory', rules: [], configKeys: [], problems: [], notes: [] };
  const rulesDir = path.join(root, 'rules');
  const used = new Set<string>();

  for (const sidecar of await listFiles(rulesDir, '.json')) {
    const file = path.join(rulesDir, sidecar);
    const stem = sidecar.slice(0, -'.json'.length);
    try {
      const text = await readText(file, root);
      const record = parseJson(text, file);
      if (!isRecord(record)) {
        tenant.problems.push({ source: file, message: `${file}: a rule sidecar must be a JSON object.`, line: 1, column: 1 });
        continue;
      }
      // a0deploy resolves `script` against rules/; a minimal sidecar has none: take <stem>.js beside it.
      const script = typeof record.script === 'string' && record.script ? record.script.replace(/\\/g, '/') : `./${stem}.js`;
      const scriptFile = path.join(rulesDir, script);
      used.add(path.resolve(scriptFile));
      const ruleName = typeof record.name === 'string' && record.name ? record.name : stem;
      try {
        tenant.rules.push({ source: scriptFile, name: ruleName, ...(await readScript(scriptFile, root)), ...ruleFields(record) });
      } catch (error) {
        // Located at the `script` value in the sidecar: that is what leads outside (or nowhere).
        const at = locate(text, typeof record.script === 'string' ? JSON.stringify(record.script).slice(1, -1) : '');
        const why = error instanceof ConfinementError ? error.message : `${(error as NodeJS.ErrnoException).code ?? error}`;
        const problem = problemFrom(scriptFile, error);
        tenant.problems.push(
          problem.code ? problem : { source: file, line: at.line, column: at.column, message: `${file}:${at.line}:${at.column}: script ${script} cannot be read (${why}).` },
        );
      }
    } catch (error) {
      tenant.problems.push(problemFrom(file, error));
    }
  }
  // a0deploy ignores a .js without sidecar; home-grown exports have them, so take the name from the file.
  for (const script of await listFiles(rulesDir, '.js')) {
    const file = path.join(rulesDir, script);
    if (used.has(path.resolve(file))) continue;
    try {
      tenant.rules.push({ source: file, name: script.slice(0, -'.js'.length), ...(await readScript(file, root)) });
    } catch (error) {
      tenant.problems.push(problemFrom(file, error));
    }
  }

  const configsDir = path.join(root, 'rules-configs');
  for (const configFile of await listFiles(configsDir, '.json')) {
    const file = path.join(configsDir, configFile);
    try {
      tenant.configKeys.push(...configKeys(parseJson(await readText(file, root), file)));
    } catch (error) {
      tenant.problems.push(problemFrom(file, error));
    }
  }
  tenant.configKeys = uniqueKeys(tenant.configKeys);

  // Only the first triggers/*.json counts (as in a0deploy).
  const [triggersFile] = await listFiles(path.join(root, 'triggers'), '.json');
  if (triggersFile) {
    const file = path.join(root, 'triggers', triggersFile);
    try {
      tenant.triggers = triggerMap(parseJson(await readText(file, root), file));
    } catch (error) {
      tenant.notes.push(`${problemFrom(file, error).message} (existing bindings ignored)`);
    }
  }
  return tenant;
}
