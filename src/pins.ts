// Dependency versions the user chose for modules the rules require without one. A rule's
// `require('x')` ran whatever version the Rules sandbox had; an Action needs a version, and we never
// make one up (`latest` would pick up breaking majors: uuid >= 7 is not callable).
//
// Sources: `--pins <file>` (a JSON object `{"uuid": "3.3.2"}`), else the `dependencies` object of
// `rules2actions.config.json` in the current folder. Transforms read them from MigrateOptions.pins.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

export type Pins = Record<string, string>;

export const CONFIG_FILE = 'rules2actions.config.json';

/** A version an Action can be built with: `1.2.3`, `1.2.3-beta.1`; not `latest`, `*`, empty or a range. */
export function isConcreteVersion(version: string | undefined): version is string {
  return typeof version === 'string' && /^\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.-]+)?$/.test(version.trim());
}

/** The version pinned for a package, or '' when none. */
export function pinnedVersion(pins: Pins | undefined, name: string): string {
  const version = pins && Object.hasOwn(pins, name) ? pins[name] : '';
  return isConcreteVersion(version) ? version.trim() : '';
}

export class PinsError extends Error {}

/** Checks a parsed pins object; `origin` names it in messages. */
export function validatePins(value: unknown, origin: string): Pins {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new PinsError(`${origin}: pins must be a JSON object of package → exact version, e.g. {"uuid": "3.3.2", "lodash": "4.17.21"}.`);
  }
  const pins: Pins = {};
  for (const [name, version] of Object.entries(value)) {
    if (typeof version !== 'string' || !isConcreteVersion(version)) {
      throw new PinsError(`${origin}: "${name}": ${JSON.stringify(version)} is not an exact version (x.y.z); ranges and "latest" are not pins.`);
    }
    pins[name] = version.trim();
  }
  return pins;
}

/** `--pins <file>`, else `dependencies` of rules2actions.config.json in `cwd`; undefined when neither exists. */
export function loadPins(file: string | undefined, cwd = process.cwd()): Pins | undefined {
  const read = (target: string) => {
    try {
      return JSON.parse(readFileSync(target, 'utf8')) as unknown;
    } catch (error) {
      const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
      throw new PinsError(`Cannot read the pins file ${target}: ${reason}`);
    }
  };
  if (file) return validatePins(read(file), file);
  const config = path.join(cwd, CONFIG_FILE);
  if (!existsSync(config)) return undefined;
  const value = read(config);
  const dependencies = typeof value === 'object' && value !== null ? (value as { dependencies?: unknown }).dependencies : undefined;
  return dependencies === undefined ? undefined : validatePins(dependencies, `${config} "dependencies"`);
}
