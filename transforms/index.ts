import type { Transform } from '../src/types.js';
import { accountLinking } from './account-linking.js';
import { callbackToReturn } from './callback-to-return.js';
import { configurationToSecrets } from './configuration-to-secrets.js';
import { contextToEvent } from './context-to-event.js';
import { localUserFields } from './local-user-fields.js';
import { suggestions } from './suggestions.js';
import { reservedNames } from './reserved-names.js';
import { requireDependencies } from './require-dependencies.js';
import { noEquivalent } from './no-equivalent.js';
import { primaryUser } from './primary-user.js';
import { redirect } from './redirect.js';
import { rulesAuth0 } from './rules-auth0.js';
import { multifactor } from './multifactor.js';
import { ruleSignature } from './rule-signature.js';
import { samlConfiguration } from './saml-configuration.js';
import { tokenClaims } from './token-claims.js';
import { userMetadata } from './user-metadata.js';

/** Execution order: each transform sees the rule as the ones before it left it. */
export const transforms: readonly Transform[] = [reservedNames, accountLinking, requireDependencies, configurationToSecrets, userMetadata, localUserFields, suggestions, tokenClaims, multifactor, redirect, primaryUser, samlConfiguration, rulesAuth0, noEquivalent, callbackToReturn, contextToEvent, ruleSignature];
