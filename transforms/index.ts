import type { Transform } from '../src/types.js';
import { callbackToReturn } from './callback-to-return.js';
import { contextToEvent } from './context-to-event.js';
import { ruleSignature } from './rule-signature.js';
import { tokenClaims } from './token-claims.js';
import { userMetadata } from './user-metadata.js';

/** Execution order: each transform sees the rule as the ones before it left it. */
export const transforms: readonly Transform[] = [userMetadata, tokenClaims, callbackToReturn, contextToEvent, ruleSignature];
