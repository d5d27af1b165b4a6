// Reference counting and renaming follow the one resolver's scoping rules (src/ast/scope.ts); values
// of variables come from src/ast/values.ts.
export { countReferences, liveReferenceCounts, referenceCounts, renameReferences } from '../../src/ast/scope.js';
