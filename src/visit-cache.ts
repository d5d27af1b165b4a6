// Every recast.visit builds a PathVisitor, and ast-types computes its method table from scratch by
// walking all ~280 node definitions. The transforms run dozens of visits per rule, so that setup was
// ~10% of a migration (node --cpu-prof). The table depends only on the set of visit* method names
// (the definitions are final once loaded), so it is memoised here, once per process.
import * as recast from 'recast';
import typesModule from 'ast-types/lib/types.js';

type Table = Record<string, string>;
interface TypesInternals {
  computeSupertypeLookupTable?: (candidates: Record<string, unknown>) => Table;
}

const plugin = (typesModule as unknown as { default?: unknown }).default ?? typesModule;
// `use` returns the fork's cached instance: the very object path-visitor.js calls through.
const internals = (recast.types as unknown as { use(plugin: unknown): TypesInternals }).use(plugin);
const compute = internals.computeSupertypeLookupTable;

if (typeof compute === 'function' && !(compute as { memoised?: boolean }).memoised) {
  const tables = new Map<string, Table>();
  const memoised = (candidates: Record<string, unknown>): Table => {
    const key = Object.keys(candidates).sort().join(',');
    let table = tables.get(key);
    if (!table) tables.set(key, (table = compute(candidates)));
    return table;
  };
  memoised.memoised = true;
  internals.computeSupertypeLookupTable = memoised;
}
