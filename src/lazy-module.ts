import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/**
 * A package loaded on first use, for what only some runs need (YAML exports, globs, progress bars): each
 * imported at start cost every run's cold start, and the ESM loader also scans a CommonJS module's whole
 * source for its export names.
 */
export function lazyModule<T>(name: string): () => T {
  let loaded: T | undefined;
  return () => (loaded ??= require(name) as T);
}
