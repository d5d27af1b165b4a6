// What the type check of an Action sees for a module verify cannot load in the version the Action
// declares (src/verify/dependencies.ts): anything goes, so no type error comes from another version.
declare const unresolved: any;
export = unresolved;
