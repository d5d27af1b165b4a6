import { createRequire } from 'node:module';

let loaded: typeof import('yaml') | undefined;

/**
 * The `yaml` package, loaded on first use: only YAML tenant exports need it, and importing it cost every
 * cold start ~30 ms (through the ESM loader, which also scans a CommonJS module for its export names).
 */
export function yamlLibrary(): typeof import('yaml') {
  loaded ??= createRequire(import.meta.url)('yaml') as typeof import('yaml');
  return loaded;
}
