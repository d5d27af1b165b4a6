/**
 * verify compares MFA and SAML options as the platform applies them (each side's default filled in), so
 * an option left out on one side and written out on the other compares by effect (issue 17, item 4).
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_DIFFERENCES } from '../src/platform-defaults.js';
import { compareOutcomes } from '../src/verify/compare.js';
import { actionOutcome, ruleOutcome, type Observed } from '../src/verify/outcome.js';
import type { ApiCall } from '../src/verify/post-login-api.js';
import type { ContextSnapshot, RuleRun } from '../src/verify/rule-runner.js';
import type { Outcome } from '../src/verify/types.js';
import { readFileSync } from 'node:fs';

const seen: Observed = {
  calls: [],
  tokensIssued: 0,
  users: [{ user_id: 'auth0|1', identities: [{ provider: 'auth0', user_id: '1', connection: 'db', isSocial: false }] }],
  currentUserId: 'auth0|1',
  requestedScopes: ['openid'],
  redirectCallback: false,
};

function rule(context: Partial<ContextSnapshot>): Outcome {
  const run: RuleRun = {
    ending: 'callback',
    context: { idToken: {}, accessToken: {}, samlConfiguration: {}, ...context },
    metadataCalls: [],
    callbackCount: 1,
    logs: [],
  };
  return ruleOutcome(run, seen);
}

function action(...apiCalls: ApiCall[]): Outcome {
  return actionOutcome({ ending: 'returned', apiCalls, logs: [] }, seen);
}

const differences = (r: Outcome, a: Outcome) => compareOutcomes(r, a, {}).differences;

describe('MFA options, effective on each side', () => {
  it('a rule that leaves allowRememberBrowser out remembered the browser; an Action that leaves it out does not', () => {
    const left = rule({ multifactor: { provider: 'any' } });
    expect(differences(left, action({ method: 'multifactor.enable', args: ['any'] }))).toEqual([
      'multifactor: rule {"allowRememberBrowser":true,"provider":"any"}, action {"allowRememberBrowser":false,"provider":"any"}',
    ]);
    expect(differences(left, action({ method: 'multifactor.enable', args: ['any', { allowRememberBrowser: true }] }))).toEqual([]);
  });

  it('an explicit false on one side equals the Actions default on the other', () => {
    const strict = rule({ multifactor: { provider: 'guardian', allowRememberBrowser: false } });
    expect(differences(strict, action({ method: 'multifactor.enable', args: ['guardian'] }))).toEqual([]);
  });

  it('reads ignoreCookie as allowRememberBrowser negated', () => {
    const ignoring = rule({ multifactor: { provider: 'guardian', ignoreCookie: true } });
    expect(differences(ignoring, action({ method: 'multifactor.enable', args: ['guardian', { allowRememberBrowser: false }] }))).toEqual([]);
    expect(differences(ignoring, action({ method: 'multifactor.enable', args: ['guardian', { allowRememberBrowser: true }] }))).toHaveLength(1);
  });

  it('has no remember-browser setting for provider none', () => {
    expect(differences(rule({ multifactor: { provider: 'none' } }), action({ method: 'multifactor.enable', args: ['none'] }))).toEqual([]);
  });
});

describe('SAML settings, effective on each side', () => {
  it('a setting written out with its default equals the same setting left out', () => {
    const written = rule({ samlConfiguration: { signResponse: false, lifetimeInSeconds: 3600 } });
    expect(differences(written, action())).toEqual([]);
    expect(differences(rule({}), action({ method: 'samlResponse.setSignResponse', args: [false] }))).toEqual([]);
  });

  it('a setting left out in the Action takes the Actions default, not the Rules one', () => {
    const legacy = rule({ samlConfiguration: { signatureAlgorithm: 'rsa-sha1' } });
    expect(differences(legacy, action())).toEqual(['SAML "signatureAlgorithm": rule "rsa-sha1", action "rsa-sha256"']);
    expect(differences(legacy, action({ method: 'samlResponse.setSignatureAlgorithm', args: ['rsa-sha1'] }))).toEqual([]);
  });
});

describe('the defaults table', () => {
  it('is listed in the README reference section, with its sources', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const section = readme.slice(readme.indexOf('## Defaults that differ between Rules and Actions'));
    expect(section.length, 'README section "Defaults that differ between Rules and Actions"').toBeGreaterThan(100);
    for (const row of DEFAULT_DIFFERENCES) {
      expect(section).toContain(`\`${row.rules}\``);
      expect(section).toContain(row.rulesSource);
      expect(section).toContain(row.actionsSource);
    }
  });
});
