// Which of an Action's modules verify can really load: the declared version (or one of the same
// major) installed where verify resolves packages. The type check maps every other module to `any`
// and the verdict becomes `not verified`: checking against another version (axios 0.27 for a rule
// written for 0.19, uuid 11 for uuid 3) or a missing package says nothing about the Action.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { PACKAGE_ROOT } from '../paths.js';
import type { Dependency } from '../types.js';
import { requiredPackages } from './modules.js';

/** Where verify finds packages (the type check and the child's require): the rules2actions install, then the current folder. */
export const RESOLVE_FROM = [path.join(PACKAGE_ROOT, 'package.json'), path.join(process.cwd(), 'package.json')];

/** The tool brings each SDK major it verifies against (auth0-v7, auth0-v4, auth0-v2). */
const PROVIDED = new Set(['auth0']);

/** The installed version of `name` as seen from `from` (files or folders), or null. */
export function installedVersion(name: string, from: string[]): string | null {
  return installedPackage(name, from)?.version ?? null;
}

/** Where `name` is installed as seen from `from`, and its version; null when it is not. */
export function installedPackage(name: string, from: string[]): { dir: string; version: string } | null {
  for (const base of from) {
    const require = createRequire(base.endsWith('.json') || base.endsWith('.js') || base.endsWith('.ts') ? base : path.join(base, 'noop.js'));
    let entry: string;
    try {
      entry = require.resolve(name);
    } catch {
      continue;
    }
    // Not every package exports ./package.json: walk up from its entry point.
    for (let dir = path.dirname(entry); dir !== path.dirname(dir); dir = path.dirname(dir)) {
      const manifest = path.join(dir, 'package.json');
      if (!existsSync(manifest)) continue;
      try {
        const json = JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string; version?: string };
        if (json.name === name && typeof json.version === 'string') return { dir, version: json.version };
      } catch {
        // unreadable manifest: keep walking
      }
    }
  }
  return null;
}

/** Same major (same minor for 0.x): the API the declared version has. */
export function compatible(declared: string, installed: string): boolean {
  const [a, b] = [declared, installed].map((v) => v.split(/[.+-]/).map(Number));
  if (a.some(Number.isNaN) || b.some(Number.isNaN)) return false;
  return a[0] === b[0] && (a[0] !== 0 || a[1] === b[1]);
}

export interface Availability {
  /** Packages verify can load in a version the Action declares (or a compatible one). */
  available: string[];
  /** Packages it cannot: the type check treats them as `any`. */
  unavailable: string[];
  /** Why each unavailable package is (for the `not verified` reason). */
  problems: string[];
  /** Compatible but not the same version. */
  notes: string[];
}

/**
 * The packages the Action requires (and declares), checked against what is installed. `declared`
 * undefined: the Action came from a file (--action) and declares nothing; then every package but
 * the SDK counts as unavailable.
 */
export function checkAvailability(code: string, declared: Dependency[] | undefined, from: string[]): Availability {
  const result: Availability = { available: [], unavailable: [], problems: [], notes: [] };
  const names = new Set([...requiredPackages(code), ...(declared ?? []).map((d) => d.name)]);
  for (const name of [...names].sort()) {
    if (PROVIDED.has(name)) {
      result.available.push(name);
      continue;
    }
    const version = declared?.find((d) => d.name === name)?.version ?? '';
    const installed = installedVersion(name, from);
    let problem: string | null = null;
    if (!declared) problem = `${name}: an Action file declares no dependency versions`;
    else if (!version) problem = `${name} has no declared version`;
    else if (!installed) problem = `${name}@${version} is not installed where verify runs`;
    else if (!compatible(version, installed)) problem = `${name}@${version} is declared, but verify would load ${name}@${installed}`;
    else if (installed !== version) result.notes.push(`verified with ${name}@${installed} (the Action declares ${version}, same major)`);
    if (problem) {
      result.unavailable.push(name);
      result.problems.push(problem);
    } else result.available.push(name);
  }
  return result;
}
