/** The `require` handed to rules and Actions: real installed packages, `auth0` pinned to a major. */
import { builtinModules, createRequire } from 'node:module';
import { join } from 'node:path';

const BUILTINS = new Set(builtinModules);

/** `request@2.88.2` → `request`, `@scope/pkg@1.0.0/sub` → `@scope/pkg/sub`, `uuid/v1@3.3.2` → `uuid/v1`: the Rules runtime pinned versions in the specifier. */
export function stripVersion(specifier: string): string {
  const scoped = specifier.startsWith('@');
  const parts = specifier.split('/');
  const nameIndex = scoped ? 1 : 0;
  if (parts[nameIndex] === undefined) return specifier;
  parts[nameIndex] = parts[nameIndex].replace(/@[^@]*$/, '') || parts[nameIndex];
  // The version may also follow a sub-path: `uuid/v1@3.3.2`.
  if (parts.length > nameIndex + 1) parts[parts.length - 1] = parts[parts.length - 1].replace(/@[^@/]*$/, '') || parts[parts.length - 1];
  return parts.join('/');
}

/** `@scope/pkg/sub` → `@scope/pkg`; null for relative paths and core modules. */
export function packageOf(specifier: string): string | null {
  if (/^[./]/.test(specifier) || specifier.startsWith('node:')) return null;
  const parts = specifier.split('/');
  const name = specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
  const bare = name.replace(/(.)@[^@/]*$/, '$1');
  return BUILTINS.has(bare) ? null : bare;
}

/** Literal `require('x')` specifiers of the code, by package. */
export function requiredPackages(code: string): string[] {
  const found = new Set<string>();
  for (const match of code.matchAll(/\brequire\s*\(\s*(['"`])([^'"`\n]+)\1\s*\)/g)) {
    const name = packageOf(match[2]);
    if (name) found.add(name);
  }
  return [...found].sort();
}

export interface ModuleLoaderOptions {
  /** Files or directories whose node_modules resolution is tried in order. */
  resolveFrom: string[];
  /** Package name → installed name, e.g. `auth0` → `auth0-v7`; sub-paths follow (`auth0/legacy`). */
  aliases: Record<string, string>;
}

export type RequireFunction = (specifier: string) => unknown;

export function createModuleLoader(options: ModuleLoaderOptions): RequireFunction {
  const requires = options.resolveFrom.map((base) =>
    createRequire(base.endsWith('.js') || base.endsWith('.ts') || base.endsWith('.json') ? base : join(base, 'noop.js')),
  );
  return (specifier: string) => {
    const bare = specifier.startsWith('node:') ? specifier : stripVersion(specifier);
    if (bare.startsWith('node:') || BUILTINS.has(bare)) return requires[0](bare);
    const [scopeOrName, maybeName] = bare.split('/');
    const name = scopeOrName.startsWith('@') ? `${scopeOrName}/${maybeName}` : scopeOrName;
    const alias = options.aliases[name];
    const target = alias ? alias + bare.slice(name.length) : bare;
    let lastError: unknown;
    for (const req of requires) {
      try {
        return req(target);
      } catch (err) {
        // ERR_ACCESS_DENIED: a folder the verify sandbox does not let the child read.
        const code = (err as NodeJS.ErrnoException).code;
        if (code !== 'MODULE_NOT_FOUND' && code !== 'ERR_ACCESS_DENIED') throw err;
        lastError = err;
      }
    }
    const error = new Error(
      `Cannot find module '${specifier}' (looked for '${target}' from ${options.resolveFrom.join(', ')}); install it to verify this code`,
    );
    (error as NodeJS.ErrnoException).code = 'MODULE_NOT_FOUND';
    error.cause = lastError;
    throw error;
  };
}
