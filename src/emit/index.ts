// Writes each tenant's Actions in the chosen layout. With several tenants, one subfolder each.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { UsageError, writeFilesAtomic } from '../cli/io.js';
import { DataError, parseJson } from '../inputs/data.js';
import { triggerMap } from '../inputs/records.js';
import type { TenantFormat } from '../inputs/types.js';
import type { TenantRuns } from '../tenants.js';
import { emitDirectory, TRIGGERS_FILE } from './directory.js';
import { planTenant, type TenantPlan } from './plan.js';
import { emitTerraform } from './terraform.js';
import { emitYaml, YAML_FILE } from './yaml.js';

export type Emit = 'directory' | 'yaml' | 'terraform';
export const EMITS: Emit[] = ['directory', 'yaml', 'terraform'];

/** The input's own format; dumps and plain rules become a deploy-cli directory. */
export const defaultEmit = (format: TenantFormat): Emit => (format === 'yaml' ? 'yaml' : 'directory');

const readIfExists = (file: string) => fs.readFile(file, 'utf8').catch((e: NodeJS.ErrnoException) => (e.code === 'ENOENT' ? null : Promise.reject(e)));

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

/** Writes every tenant; sets each report's `action` (file relative to outDir). Returns the plans. */
export async function writeTenants(outDir: string, groups: TenantRuns[], emit?: Emit): Promise<TenantPlan[]> {
  const plans: TenantPlan[] = [];
  for (const group of groups) {
    const plan = planTenant(group.tenant, group.runs);
    const sub = groups.length > 1 ? group.tenant.name : '';
    const folder = path.join(outDir, sub);
    const files = await renderTenant(plan, folder, emit ?? defaultEmit(group.tenant.format));
    const sorted = [...files].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    await writeFilesAtomic(sorted.map(([file, content]) => [path.join(folder, file), content] as const));
    for (const action of plan.actions) {
      action.run.report.action = { name: action.name, file: path.posix.join(sub.replace(/\\/g, '/'), `actions/${action.file}/code.js`) };
    }
    plans.push(plan);
  }
  return plans;
}
