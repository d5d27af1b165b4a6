import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { MigrateOptions } from '../../src/types.js';

export const FIXTURES = path.resolve(import.meta.dirname, '../../fixtures');

export interface ExpectedReport {
  status: 'migrated' | 'review' | 'failed';
  findings: Array<{ code: string; severity: string; line: number; column: number }>;
  secrets?: string[];
  dependencies?: Array<{ name: string; version: string }>;
  scopes?: string[];
  linking?: boolean;
}

export interface FixtureCase {
  /** `<group>/<case>`, e.g. `callback-to-return/error-to-deny`. */
  id: string;
  group: string;
  dir: string;
  rule: string;
  options: MigrateOptions;
  /** Expected Action per SDK major (7 is the default); absent when the rule must fail. */
  expectedAction: { 7?: string; 4?: string };
  expectedReport: ExpectedReport;
}

const read = (file: string) => readFileSync(file, 'utf8');

/** Every `fixtures/<group>/<case>/` holding a rule.js: a new case is a new folder. */
export function discoverFixtures(groups?: string[]): FixtureCase[] {
  const cases: FixtureCase[] = [];
  for (const group of readdirSync(FIXTURES).sort()) {
    if (groups && !groups.includes(group)) continue;
    const groupDir = path.join(FIXTURES, group);
    for (const name of readdirSync(groupDir).sort()) {
      const dir = path.join(groupDir, name);
      if (!existsSync(path.join(dir, 'rule.js'))) continue;
      const optional = (file: string) => (existsSync(path.join(dir, file)) ? read(path.join(dir, file)) : undefined);
      cases.push({
        id: `${group}/${name}`,
        group,
        dir,
        rule: read(path.join(dir, 'rule.js')),
        options: JSON.parse(optional('options.json') ?? '{}'),
        expectedAction: { 7: optional('expected-action.js'), 4: optional('expected-action.sdk4.js') },
        expectedReport: JSON.parse(read(path.join(dir, 'expected-report.json'))),
      });
    }
  }
  return cases;
}

export function fixtureGroups(): string[] {
  return readdirSync(FIXTURES).filter((d) => !d.startsWith('.')).sort();
}
