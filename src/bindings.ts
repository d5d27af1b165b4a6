// Name resolution lives in src/ast/scope.ts (the one resolver, issue 11); these names stay importable
// from here for the transforms that use them.
export {
  bindingOwner,
  declarationNames,
  declares,
  isBoundWithin,
  isGlobalReference,
  isReference,
  isRuleParameter,
  patternNames,
} from './ast/scope.js';
