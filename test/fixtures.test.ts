import { describe, expect, it } from 'vitest';
import { migrate, ruleStatus } from '../src/index.js';
import { discoverFixtures, type FixtureCase } from './support/fixtures.js';

const cases = discoverFixtures();
const trimEnd = (text: string) => text.replace(/\s+$/, '');

function runs(c: FixtureCase) {
  return ([7, 4] as const)
    .filter((sdk) => sdk === 7 || c.expectedAction[4] !== undefined)
    .map((sdk) => ({ sdk, result: migrate(c.rule, { filename: 'rule.js', ...c.options, sdk }) }));
}

describe.each(cases)('$id', (c) => {
  it('emits the expected Action', () => {
    for (const { sdk, result } of runs(c)) {
      const expected = c.expectedAction[sdk];
      if (c.expectedReport.status === 'failed') {
        expect(result.code, 'a failed rule is returned unchanged').toBe(c.rule);
        expect(expected, 'a failed case has no expected Action').toBeUndefined();
      } else {
        expect(expected, `${c.dir}/expected-action${sdk === 4 ? '.sdk4' : ''}.js is missing`).toBeDefined();
        expect(trimEnd(result.code)).toBe(trimEnd(expected!));
      }
    }
  });

  it('reports the expected status and findings', () => {
    for (const { result } of runs(c)) {
      const report = c.expectedReport;
      expect(ruleStatus(result)).toBe(report.status);
      expect(result.findings.map(({ code, severity, line, column }) => ({ code, severity, line, column }))).toEqual(report.findings);
      if (report.secrets) expect(result.needs.secrets).toEqual(report.secrets);
      if (report.scopes) expect(result.needs.scopes).toEqual(report.scopes);
      if (report.linking !== undefined) expect(result.linking).toBe(report.linking);
    }
  });

  it('emits an Action that migrates to itself', () => {
    for (const { result } of runs(c)) {
      if (result.status !== 'ok') continue;
      const again = migrate(result.code);
      expect(again.status).toBe('nochange');
      expect(again.code).toBe(result.code);
    }
  });
});
