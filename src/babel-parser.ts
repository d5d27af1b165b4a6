import { createRequire } from 'node:module';

// Required, not imported: Node's ESM loader scans a CommonJS module's whole source for its export names,
// ~25 ms of every cold start for @babel/parser's 500 KB bundle.
export const babelParser: typeof import('@babel/parser') = createRequire(import.meta.url)('@babel/parser');
