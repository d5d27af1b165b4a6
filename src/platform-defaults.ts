// The table lives in src/verify/ because the verify child is built from that folder alone
// (src/verify/index.ts childScript); transforms and tests read it from here.
export * from './verify/platform-defaults.js';
