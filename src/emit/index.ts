// Writes each tenant's Actions in the chosen layout. With several tenants, one subfolder each.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { describeFsError, UnsafeWriteError, UsageError, writeFilesAtomic } from '../cli/io.js';
import { DataError, parseJson } from '../inputs/data.js';
import { triggerMap } from '../inputs/records.js';
import type { TenantFormat } from '../inputs/types.js';
import type { TenantRuns } from '../tenants.js';
import { emitDirectory, TRIGGERS_FILE } from './directory.js';
import { planTenant, withBindings, type TenantPlan } from './plan.js';
import { emitTerraform } from './terraform.js';
import { emitYaml, YAML_FILE } from './yaml.js';

export type Emit = 'directory' | 'yaml' | 'terraform';
export const EMITS: Emit[] = ['directory', 'yaml', 'terraform'];

/** The input's own format; dumps and plain rules become a deploy-cli directory. */
export const defaultEmit = (format: TenantFormat): Emit => (format === 'yaml' ? 'yaml' : 'directory');

/** A file already in the output folder; a symbolic link there is refused, never read (it could name any file). */
const readIfExists = async (file: string) => {
  const stat = await fs.lstat(file).catch(() => null);
  if (!stat) return null;
  if (stat.isSymbolicLink()) {
    throw new UnsafeWriteError(`Refusing to read or replace ${file}: it is a symbolic link (to ${await fs.readlink(file).catch(() => '?')}). Replace it with the real file.`);
  }
  return fs.readFile(file, 'utf8');
};

/** Files of one tenant, by path relative to its folder; reads what is already in that folder. */
export async function renderTenant(plan: TenantPlan, folder: string, emit: Emit): Promise<Map<string, string>> {
  try {
    if (emit === 'terraform') return emitTerraform(plan);
    if (emit === 'yaml') {
      const file = path.join(folder, YAML_FILE);
      const text = await readIfExists(file);
      return emitYaml(plan, text === null ? null : { text, file });
    }
    const file = path.join(folder, TRIGGERS_FILE);
    const text = await readIfExists(file);
    return emitDirectory(plan, text === null ? null : (triggerMap(parseJson(text, file)) ?? {}));
  } catch (error) {
    if (error instanceof DataError) throw new UsageError(`${error.message} (the output folder already holds this file; fix or remove it)`);
    throw error;
  }
}

/**
 * Writes every tenant; sets each report's `action` (file relative to outDir). Returns the plans.
 * An Action whose files cannot be written fails alone (its rule becomes `failed` with a
 * `write-error` finding and is left out of the bindings); the others and the bindings are written.
 */
export async function writeTenants(outDir: string, groups: TenantRuns[], emit?: Emit): Promise<TenantPlan[]> {
  const plans: TenantPlan[] = [];
  for (const group of groups) {
    let plan = planTenant(group.tenant, group.runs);
    const sub = groups.length > 1 ? group.tenant.name : '';
    const folder = path.join(outDir, sub);
    const layout = emit ?? defaultEmit(group.tenant.format);
    const files = await renderTenant(plan, folder, layout);
    const failed = new Set<TenantPlan['actions'][number]>();
    for (const action of plan.actions) {
      const own = [...files].filter(([file]) => file.startsWith(`actions/${action.file}/`) || file === `actions/${action.file}.json`).sort(([a], [b]) => (a < b ? -1 : 1));
      try {
        await writeFilesAtomic(own.map(([file, content]) => [path.join(folder, file), content] as const), { root: outDir });
      } catch (error) {
        failed.add(action);
        const report = action.run.report;
        report.status = 'failed';
        report.findings.push({
          code: 'write-error',
          transform: 'emit',
          severity: 'error',
          message: `The Action could not be written: ${error instanceof UnsafeWriteError ? error.message : `${path.join(folder, 'actions', action.file)}: ${describeFsError(error)}`}`,
          line: 1,
          column: 1,
        });
      }
    }
    if (failed.size) plan = withBindings(plan.tenant, plan.actions.filter((a) => !failed.has(a)), plan.bindable);
    // Bindings (triggers.json, tenant.yaml, actions.tf) without the Actions that could not be written.
    const shared = failed.size ? await renderTenant(plan, folder, layout) : files;
    const rest = [...shared].filter(([file]) => !file.startsWith('actions/')).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    await writeFilesAtomic(rest.map(([file, content]) => [path.join(folder, file), content] as const), { root: outDir });
    for (const action of plan.actions) {
      action.run.report.action = { name: action.name, file: path.posix.join(sub.replace(/\\/g, '/'), `actions/${action.file}/code.js`) };
      for (const why of action.renamed) {
        action.run.report.findings.push({ code: 'action-renamed', transform: 'emit', severity: 'info', message: `Rule "${action.run.input.name}": ${why}.`, line: 1, column: 1 });
      }
    }
    plans.push(plan);
  }
  return plans;
}
