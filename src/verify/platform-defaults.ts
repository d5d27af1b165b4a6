/**
 * Options whose default is not the same in Rules and in Actions: what the platform did when a rule left
 * the option out, and what it does when an Action leaves it out. One table for the transforms (which
 * write the Rules default into the Action), for verify (which compares effective options, defaults
 * applied on each side) and for the README's reference section (test/effective-options.test.ts checks
 * that the README lists every row).
 *
 * Sources, as `repository path` of the public text (auth0/docs-v2 is the source of auth0.com/docs):
 * - ACTIONS_API: auth0/docs-v2 main/docs/customize/actions/explore-triggers/signup-and-login-triggers/login-trigger/post-login-api-object.mdx
 * - SAML_ASSERTIONS: auth0/docs-v2 main/docs/authenticate/protocols/saml/saml-configuration/customize-saml-assertions.mdx
 * - RULE_TEMPLATES: auth0/rules src/rules/guardian-multifactor.js, duo-multifactor.js ("optional, defaults to true")
 */

export type Platform = 'rules' | 'actions';

export interface DefaultDifference {
  /** Where the option lives on each side. */
  rules: string;
  actions: string;
  /** The value when it is left out. */
  rulesDefault: boolean | number | string;
  actionsDefault: boolean | number | string;
  /** What the codemod does about it. */
  handling: string;
  rulesSource: string;
  actionsSource: string;
}

const ACTIONS_API = 'auth0/docs-v2 `post-login-api-object.mdx` (Actions post-login API object)';
const SAML_ASSERTIONS = 'auth0/docs-v2 `customize-saml-assertions.mdx` (SAML assertion attributes, the Rules-era table)';
const RULE_TEMPLATES = 'auth0/rules `src/rules/guardian-multifactor.js`, `duo-multifactor.js`: "optional, defaults to true"';

export const MFA_REMEMBER_BROWSER: DefaultDifference = {
  rules: 'context.multifactor.allowRememberBrowser',
  actions: 'api.multifactor.enable(provider, { allowRememberBrowser })',
  rulesDefault: true,
  actionsDefault: false,
  handling: 'the Action gets `allowRememberBrowser: true` written out when the rule left it out (info `remember-browser-default`)',
  rulesSource: RULE_TEMPLATES,
  actionsSource: `${ACTIONS_API}: "Defaults to \`false\`"`,
};

export const SAML_SIGNATURE_ALGORITHM: DefaultDifference = {
  rules: 'context.samlConfiguration.signatureAlgorithm',
  actions: 'api.samlResponse.setSignatureAlgorithm(…)',
  rulesDefault: 'rsa-sha1',
  actionsDefault: 'rsa-sha256',
  handling:
    'not written out: a rule that leaves it out uses the SAML2 add-on setting on both sides, and the Actions setter ' +
    'documents only `rsa-sha256`; a rule that sets `rsa-sha1` gets a `legacy-algorithm` warning',
  rulesSource: `${SAML_ASSERTIONS}: "Default is rsa-sha1"`,
  actionsSource: `${ACTIONS_API}: "Default is rsa-sha256", allowed values \`rsa-sha256\``,
};

export const SAML_DIGEST_ALGORITHM: DefaultDifference = {
  rules: 'context.samlConfiguration.digestAlgorithm',
  actions: 'api.samlResponse.setDigestAlgorithm(…)',
  rulesDefault: 'sha1',
  actionsDefault: 'sha256',
  handling: 'as signatureAlgorithm: not written out; a rule that sets `sha1` gets a `legacy-algorithm` warning',
  rulesSource: `${SAML_ASSERTIONS}: "Default is sha1"`,
  actionsSource: `${ACTIONS_API}: "Default is sha256", allowed values \`sha256\``,
};

/** Every documented difference, in the order the README lists them. */
export const DEFAULT_DIFFERENCES: readonly DefaultDifference[] = [MFA_REMEMBER_BROWSER, SAML_SIGNATURE_ALGORITHM, SAML_DIGEST_ALGORITHM];

/**
 * SAML settings by their Rules name: the value each side uses when nothing sets it (the documented
 * defaults; the same on both sides except where listed above). Verify compares a setting one side set
 * against the other side's default.
 */
export const SAML_DEFAULTS: Record<string, { rules: unknown; actions: unknown }> = {
  lifetimeInSeconds: { rules: 3600, actions: 3600 },
  signResponse: { rules: false, actions: false },
  createUpnClaim: { rules: true, actions: true },
  passthroughClaimsWithNoMapping: { rules: true, actions: true },
  mapUnknownClaimsAsIs: { rules: false, actions: false },
  mapIdentities: { rules: true, actions: true },
  typedAttributes: { rules: true, actions: true },
  includeAttributeNameFormat: { rules: true, actions: true },
  nameIdentifierFormat: {
    rules: 'urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified',
    actions: 'urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified',
  },
  authnContextClassRef: {
    rules: 'urn:oasis:names:tc:SAML:2.0:ac:classes:unspecified',
    actions: 'urn:oasis:names:tc:SAML:2.0:ac:classes:unspecified',
  },
  signatureAlgorithm: { rules: SAML_SIGNATURE_ALGORITHM.rulesDefault, actions: SAML_SIGNATURE_ALGORITHM.actionsDefault },
  digestAlgorithm: { rules: SAML_DIGEST_ALGORITHM.rulesDefault, actions: SAML_DIGEST_ALGORITHM.actionsDefault },
};

/** SAML algorithm values the Actions setters document (ACTIONS_API "Allowed values"). */
export const SAML_ALLOWED_ALGORITHMS: Record<string, readonly string[]> = {
  signatureAlgorithm: ['rsa-sha256'],
  digestAlgorithm: ['sha256'],
};
