// Writes each tenant's Actions in the chosen layout. With several tenants, one subfolder each.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { describeFsError, UsageError } from '../io/errors.js';
import { assertWritable, holdingSignals, UnsafeWriteError, writeFilesAtomic } from '../io/write.js';
import { DataError, parseJson } from '../inputs/data.js';
import { triggerMap } from '../inputs/records.js';
import type { TenantRuns } from '../tenants.js';
import type { RuleReport } from '../run.js';
import { emitDirectory, TRIGGERS_FILE } from './directory.js';
import { defaultEmit, type Emit } from './layouts.js';
import { bindingNotes, planTenant, withActions, type ActionPlan, type PlanOptions, type TenantPlan } from './plan.js';
import { emitTerraform, TERRAFORM_FILE } from './terraform.js';
import { emitYaml, YAML_FILE } from './yaml.js';

/**
 * A file already in the output folder. A symbolic link on the way (the file, or a folder below
 * `folder`) is refused, never read: it could name any file.
 */
const readIfExists = async (folder: string, file: string) => {
  assertWritable(folder, file);
  return fs.readFile(file, 'utf8').catch((e: NodeJS.ErrnoException) => (e.code === 'ENOENT' ? null : Promise.reject(e)));
};

/** Files of one tenant, by path relative to its folder; reads what is already in that folder. */
export async function renderTenant(plan: TenantPlan, folder: string, emit: Emit): Promise<Map<string, string>> {
  try {
    if (emit === 'terraform') return emitTerraform(plan);
    if (emit === 'yaml') {
      const file = path.join(folder, YAML_FILE);
      const text = await readIfExists(folder, file);
      return emitYaml(plan, text === null ? null : { text, file });
    }
    const file = path.join(folder, TRIGGERS_FILE);
    const text = await readIfExists(folder, file);
    return emitDirectory(plan, text === null ? undefined : (triggerMap(parseJson(text, file)) ?? {}));
  } catch (error) {
    if (error instanceof DataError) throw new UsageError(`${error.message} (the output folder already holds this file; fix or remove it)`);
    throw error;
  }
}

/** Whether the files bind the migrated Actions to post-login. */
function writesBindings(files: Map<string, string>, emit: Emit): boolean {
  if (emit === 'terraform') return /^resource "auth0_trigger_actions"/m.test(files.get(TERRAFORM_FILE) ?? '');
  if (emit === 'yaml') return /^ {2}post-login:/m.test(files.get(YAML_FILE) ?? '');
  return (files.get(TRIGGERS_FILE) ?? '').includes('"post-login"');
}

const WHY_UNKNOWN: Record<string, string> = {
  api: 'a rules dump holds no bindings',
  live: 'the live tenant did not return its bindings (read:actions)',
  directory: 'the export has no triggers/ folder',
  yaml: 'the export has no triggers: key',
};

export interface TenantWritten {
  plan: TenantPlan;
  notes: string[];
  /** The group's report entries after writing (Action file, deploy flags, write errors), in run order; the runs are left as they were. */
  reports: RuleReport[];
}

/** Writes one tenant's Actions and shared files into `outDir/sub`: the step `migrate --out` runs as soon as a tenant's last rule is back. */
export async function writeTenant(outDir: string, group: TenantRuns, sub: string, emit?: Emit, options: PlanOptions = {}): Promise<TenantWritten> {
  // Own copies of the report entries: writing adds to them, and the caller's runs stay untouched.
  const runs = group.runs.map((run) => ({ ...run, report: { ...run.report, findings: [...run.report.findings] } }));
  let plan = planTenant(group.tenant, runs, options);
  const folder = path.join(outDir, sub);
  const layout = emit ?? defaultEmit(group.tenant.format);
  let files = await renderTenant(plan, folder, layout);
  // Each Action's own files first: one that cannot be written (a symbolic link in the way, a full
  // disk) fails alone, with a write-error, and is left out of the bindings written after.
  const failed = new Set<ActionPlan>();
  const owned = filesByAction(files, plan.actions);
  // Folders made and cleaned once for the tenant, and the signal handling installed once.
  const prepared = new Set<string>();
  await holdingSignals(async () => {
    for (const action of plan.actions) {
      const own = owned.get(action) ?? [];
      try {
        await writeFilesAtomic(own.sort(([a], [b]) => (a < b ? -1 : 1)).map(([file, content]) => [path.join(folder, file), content] as const), { root: outDir, prepared });
      } catch (error) {
        failed.add(action);
        action.run.report.status = 'failed';
        action.run.report.findings.push({
          code: 'write-error',
          transform: 'emit',
          severity: 'error',
          message: `The Action could not be written: ${error instanceof UnsafeWriteError ? error.message : `${path.join(folder, 'actions', action.file)}: ${describeFsError(error)}`}`,
          line: 1,
          column: 1,
        });
      }
    }
  });
  if (failed.size) {
    plan = withActions(plan, plan.actions.filter((a) => !failed.has(a)));
    files = await renderTenant(plan, folder, layout);
  }
  const shared = [...files].filter(([file]) => !file.startsWith('actions/')).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  await writeFilesAtomic(shared.map(([file, content]) => [path.join(folder, file), content] as const), { root: outDir });
  for (const action of plan.actions) {
    for (const why of action.renamed) {
      action.run.report.findings.push({ code: 'action-renamed', transform: 'emit', severity: 'info', message: `Rule "${action.run.input.name}": ${why}.`, line: 1, column: 1 });
    }
    action.run.report.action = { name: action.name, file: path.posix.join(sub.replace(/\\/g, '/'), `actions/${action.file}/code.js`) };
    action.run.report.deploy = { deployed: action.deployed, bound: action.bound, ...(action.heldBack ? { heldBack: action.heldBack } : {}) };
  }
  const notes = bindingNotes(plan, writesBindings(files, layout), WHY_UNKNOWN[group.tenant.format] ?? 'no source of bindings');
  return { plan, notes, reports: runs.map((run) => run.report) };
}

/** Each Action's own files (`actions/<file>/…` and `actions/<file>.json`), found in one pass over the tenant's files. */
function filesByAction(files: Map<string, string>, actions: ActionPlan[]): Map<ActionPlan, Array<[string, string]>> {
  const byFile = new Map(actions.map((action) => [action.file, action]));
  const owned = new Map<ActionPlan, Array<[string, string]>>();
  for (const entry of files) {
    if (!entry[0].startsWith('actions/')) continue;
    const rest = entry[0].slice('actions/'.length);
    let action = rest.endsWith('.json') ? byFile.get(rest.slice(0, -'.json'.length)) : undefined;
    for (let slash = rest.indexOf('/'); !action && slash !== -1; slash = rest.indexOf('/', slash + 1)) action = byFile.get(rest.slice(0, slash));
    if (action) owned.set(action, [...(owned.get(action) ?? []), entry]);
  }
  return owned;
}
