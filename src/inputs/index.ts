// Reads any mix of inputs into tenants, detecting each path's format:
//   *.js, folders of *.js, globs           → plain rules (no order, no ids)
//   folder with rules/ or rules-configs/   → auth0-deploy-cli directory export
//   folder with tenant.yaml, *.yaml, *.yml → auth0-deploy-cli YAML export
//   *.json                                 → GET /api/v2/rules or `auth0 rules list --json` dump
//   folder whose subfolders are exports    → one tenant per export (a consultant's portfolio)
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { describeMissing, UsageError } from '../io/errors.js';
import { expandPaths, globLibrary, sanitizeName } from '../io/paths.js';
import { readDirectoryExport } from './directory.js';
import type { LiveOptions } from './live.js';
import { problemFrom, readScript } from './records.js';
import type { Tenant } from './types.js';

export type { Tenant, TenantFormat, TriggerBinding, Triggers } from './types.js';
export { LOGIN_STAGE } from './types.js';

export interface ReadOptions extends LiveOptions {
  /** migrate: every plain .js input forms one tenant (as before exports were read); audit: one per argument. */
  mergePlain?: boolean;
  /** Live tenant domains (--from-tenant). */
  fromTenant?: string[];
}

export type Unit =
  | { kind: 'plain'; name: string; files: string[]; source: string; roots?: Map<string, string> }
  | { kind: 'directory'; name: string; root: string }
  | { kind: 'yaml'; name: string; file: string }
  | { kind: 'api'; name: string; file: string }
  | { kind: 'live'; name: string; domain: string };

const IGNORE = ['**/node_modules/**', '**/.git/**'];
const YAML_NAMES = ['tenant.yaml', 'tenant.yml'];

const stat = (p: string) => fs.stat(p).catch(() => null);
const isDir = async (p: string) => (await stat(p))?.isDirectory() ?? false;
const baseName = (p: string) => path.basename(path.resolve(p));
const stem = (p: string) => path.basename(p, path.extname(p));

async function isDirectoryExport(dir: string): Promise<boolean> {
  return (await isDir(path.join(dir, 'rules'))) || (await isDir(path.join(dir, 'rules-configs')));
}

async function yamlIn(dir: string): Promise<string | null> {
  for (const name of YAML_NAMES) if ((await stat(path.join(dir, name)))?.isFile()) return path.join(dir, name);
  return null;
}

function fileUnit(file: string): Unit {
  const ext = path.extname(file).toLowerCase();
  if (ext === '.json') return { kind: 'api', name: stem(file), file };
  if (ext === '.yaml' || ext === '.yml') {
    return { kind: 'yaml', name: YAML_NAMES.includes(path.basename(file)) ? baseName(path.dirname(file)) : stem(file), file };
  }
  return { kind: 'plain', name: stem(file), files: [file], source: file };
}

/** A single export folder, or null when the folder is neither. */
async function exportUnit(dir: string): Promise<Unit | null> {
  // YAML first: a YAML export keeps its scripts in rules/ too.
  const yaml = await yamlIn(dir);
  if (yaml) return { kind: 'yaml', name: baseName(dir), file: yaml };
  if (await isDirectoryExport(dir)) return { kind: 'directory', name: baseName(dir), root: dir };
  // The rules/ folder of a directory export given by itself: sidecars beside the scripts.
  if (path.basename(path.resolve(dir)) === 'rules') {
    const entries = await fs.readdir(dir).catch(() => [] as string[]);
    if (entries.some((e) => e.endsWith('.json'))) return { kind: 'directory', name: baseName(path.dirname(path.resolve(dir))), root: path.dirname(dir) };
  }
  return null;
}

async function folderUnits(dir: string): Promise<Unit[]> {
  const single = await exportUnit(dir);
  if (single) return [single];
  const entries = (await fs.readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const children: Unit[] = [];
  let exports = 0;
  for (const entry of entries) {
    if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
    const child = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      const unit = await exportUnit(child);
      if (unit) exports++;
      children.push(unit ?? { kind: 'plain', name: entry.name, files: [], source: child });
    } else if (entry.isFile() && /\.(json|ya?ml)$/i.test(entry.name)) {
      children.push(fileUnit(child));
    }
  }
  // Dumps and YAML files count as tenants unless .js files sit beside them (a rules/ folder).
  const loose = entries.filter((e) => e.isFile() && e.name.endsWith('.js')).map((e) => path.join(dir, e.name));
  if (loose.length === 0) exports += children.filter((u) => u.kind === 'api' || u.kind === 'yaml').length;
  // Not a folder of tenant folders: every *.js below it is a rule.
  if (exports === 0) return [plainFolder(baseName(dir), dir, await expandPaths([dir]))];
  const units: Unit[] = [];
  for (const unit of children) {
    if (unit.kind !== 'plain') units.push(unit);
    else {
      const files = await expandPaths([unit.source]);
      if (files.length) units.push(plainFolder(unit.name, unit.source, files));
    }
  }
  if (loose.length) units.push(plainFolder(baseName(dir), dir, loose));
  return units;
}

/** Rules found in a folder: each is read only if it resolves inside that folder (a link to elsewhere is not). */
function plainFolder(name: string, dir: string, files: string[]): Unit {
  return { kind: 'plain', name, files, source: dir, roots: new Map(files.map((f) => [f, dir])) };
}

async function unitsFor(given: string): Promise<Unit[]> {
  const found = await stat(given);
  if (found?.isDirectory()) return folderUnits(given);
  // A file, or a pipe or device named directly: reading it reports what it is.
  if (found) return [fileUnit(given)];
  if (globLibrary().isDynamicPattern(given)) {
    const files = (await globLibrary().glob(given, { ignore: IGNORE, followSymbolicLinks: false })).sort();
    if (files.length === 0) throw new UsageError(`No files match ${given}`);
    const units = files.map(fileUnit);
    const plain = units.filter((u) => u.kind === 'plain').flatMap((u) => (u.kind === 'plain' ? u.files : []));
    const others = units.filter((u) => u.kind !== 'plain');
    return [...(plain.length ? [{ kind: 'plain' as const, name: 'rules', files: plain, source: given }] : []), ...others];
  }
  throw new UsageError(describeMissing(given));
}

async function readPlain(unit: Extract<Unit, { kind: 'plain' }>): Promise<Tenant> {
  const tenant: Tenant = { name: unit.name, source: unit.source, format: 'plain', rules: [], configKeys: [], problems: [], notes: [] };
  for (const file of unit.files) {
    try {
      tenant.rules.push({ source: file, name: stem(file), ...(await readScript(file, unit.roots?.get(file))) });
    } catch (error) {
      tenant.problems.push(problemFrom(file, error));
    }
  }
  return tenant;
}

// The readers of YAML exports, rules dumps and live tenants load when an input needs them (cold start).
async function readUnit(unit: Exclude<Unit, { kind: 'live' }>): Promise<Tenant> {
  switch (unit.kind) {
    case 'plain':
      return readPlain(unit);
    case 'directory':
      return readDirectoryExport(unit.root, unit.name);
    case 'yaml':
      return (await import('./yaml-export.js')).readYamlExport(unit.file, unit.name);
    case 'api':
      return (await import('./api-dump.js')).readApiDump(unit.file, unit.name);
  }
}

/** What the inputs are, before any rule is read: one unit per tenant, in the order given. */
export interface InputPlan {
  units: Unit[];
  options: ReadOptions;
}

/** Finds the tenants behind `paths` (and --from-tenant) without reading their rules. */
export async function planInputs(paths: string[], options: ReadOptions = {}): Promise<InputPlan> {
  let units: Unit[] = [];
  for (const given of paths) units.push(...(await unitsFor(given)));
  if (options.mergePlain) {
    const plain = units.filter((u): u is Extract<Unit, { kind: 'plain' }> => u.kind === 'plain');
    if (plain.length > 1) {
      const roots = new Map(plain.flatMap((u) => [...(u.roots ?? [])]));
      const merged: Unit = { kind: 'plain', name: 'rules', files: [...new Set(plain.flatMap((u) => u.files))], source: plain.map((u) => u.source).join(', '), roots };
      units = units.flatMap((u): Unit[] => (u === plain[0] ? [merged] : u.kind === 'plain' ? [] : [u]));
    }
  }
  return { units: [...units, ...(options.fromTenant ?? []).map((domain): Unit => ({ kind: 'live', name: domain, domain }))], options };
}

/** No rule to read at all: only plain inputs, and no file among them (an export with no rules is an answer). */
export const plansNoRules = (plan: InputPlan): boolean => plan.units.every((u) => u.kind === 'plain' && u.files.length === 0);

/** Rules dumps and live tenants: no export folder to write into. */
export const dumpSources = (plan: InputPlan): string[] => plan.units.filter((u) => u.kind === 'api' || u.kind === 'live').map(unitSource);

function unitSource(unit: Unit): string {
  return unit.kind === 'plain' ? unit.source : unit.kind === 'directory' ? unit.root : unit.kind === 'live' ? unit.domain : unit.file;
}

/**
 * Reads the tenants one at a time, as the caller asks for them, so a portfolio is never in memory
 * whole; tenant names are made unique (they name output folders).
 */
export async function* readInputs(plan: InputPlan): AsyncGenerator<Tenant> {
  const taken = new Set<string>();
  // Live tenants first (small, and a missing credential must stop the run before anything is written); yielded in their place.
  const live = new Map<Unit, Tenant>();
  for (const unit of plan.units) if (unit.kind === 'live') live.set(unit, await (await import('./live.js')).readLiveTenant(unit.domain, plan.options));
  for (const unit of plan.units) {
    const tenant = unit.kind === 'live' ? live.get(unit)! : await readUnit(unit);
    live.delete(unit);
    const base = sanitizeName(tenant.name);
    let name = base;
    for (let i = 2; taken.has(name.toLowerCase()); i++) name = `${base}-${i}`;
    taken.add(name.toLowerCase());
    tenant.name = name;
    yield tenant;
  }
}

/** Every input as tenants, in the order given (see readInputs). */
export async function readTenants(paths: string[], options: ReadOptions = {}): Promise<Tenant[]> {
  const tenants: Tenant[] = [];
  for await (const tenant of readInputs(await planInputs(paths, options))) tenants.push(tenant);
  return tenants;
}
