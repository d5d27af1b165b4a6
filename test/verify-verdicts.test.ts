// Issue 13.5: verify's verdicts mean what they say. `not verified` (with the reason) when the
// Action's dependencies cannot be loaded in their declared version; the type check never uses
// another version; type errors of the rule's own JavaScript do not make an Action different;
// counts are per rule.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { main, type Io } from '../src/cli/main.js';
import type { VerifyReport } from '../src/format/verify-json.js';
import { typeCheckDetailed } from '../src/typecheck.js';
import { checkAvailability, compatible, RESOLVE_FROM } from '../src/verify/dependencies.js';
import { packageOf } from '../src/verify/modules.js';

async function cli(args: string[]) {
  let stdout = '';
  let stderr = '';
  const io: Io = { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t), isTTY: false };
  const code = await main(args, io);
  return { code, stdout, stderr };
}

function rule(name: string, text: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'r2a-verdicts-'));
  mkdirSync(path.join(dir, 'rules'));
  writeFileSync(path.join(dir, 'rules', `${name}.js`), text);
  return path.join(dir, 'rules', `${name}.js`);
}

const ACTION = (body: string, requires = '') => `${requires}exports.onExecutePostLogin = async (event, api) => {\n${body}\n};\n`;

describe('which modules verify can load', () => {
  it('only the declared version, or one of the same major (same minor below 1.0)', () => {
    expect(compatible('4.17.21', '4.18.1')).toBe(true);
    expect(compatible('3.3.2', '11.1.1')).toBe(false);
    expect(compatible('0.19.2', '0.27.2')).toBe(false);
    expect(packageOf('uuid/v1')).toBe('uuid');
    expect(packageOf('@scope/pkg@1.0.0/sub')).toBe('@scope/pkg');
    expect(packageOf('node:crypto')).toBeNull();
    expect(packageOf('crypto')).toBeNull();
    const code = ACTION('', "const uuid = require('uuid');\nconst axios = require('axios');\nconst notify = require('slack-notify');\nconst _ = require('lodash/fp');\nconst { ManagementClient } = require('auth0');\n");
    const declared = [
      { name: 'uuid', version: '3.3.2' },
      { name: 'axios', version: '0.19.2' },
      { name: 'slack-notify', version: '0.1.7' },
      { name: 'lodash', version: '4.17.21' },
      { name: 'auth0', version: '7.1.0' },
    ];
    const result = checkAvailability(code, declared, RESOLVE_FROM);
    expect(result.available).toEqual(['auth0', 'lodash']);
    expect(result.unavailable).toEqual(['axios', 'slack-notify', 'uuid']);
    expect(result.problems).toEqual([
      'axios@0.19.2 is declared, but verify would load axios@0.27.2',
      'slack-notify@0.1.7 is not installed where verify runs',
      expect.stringMatching(/^uuid@3\.3\.2 is declared, but verify would load uuid@11\./),
    ]);
    expect(result.notes).toEqual(['verified with lodash@4.18.1 (the Action declares 4.17.21, same major)']);
  });
});

describe('the type check', () => {
  it('checks a module it cannot load in the declared version as any, never against another version', async () => {
    // uuid 11 is not callable as uuid.v1(…, …, …, …) the way uuid 3 was used; the tool's copy must not judge it.
    const code = ACTION("  api.idToken.setCustomClaim('https://example.com/id', uuid.v1({}, [], 0, 'x', 'y'));\n  notify('x');", "const uuid = require('uuid');\nconst notify = require('slack-notify');\n");
    const [result] = (await typeCheckDetailed([{ file: 'a', code, sdk: 7, dependencies: [{ name: 'uuid', version: '3.3.2' }, { name: 'slack-notify', version: '0.1.7' }] }])).values();
    expect(result.errors).toEqual([]);
    expect(result.unresolved).toHaveLength(2);
    // Declared as the installed major, uuid is checked for real: the same call is then an error.
    const installed = (await import('uuid/package.json', { with: { type: 'json' } })).default.version as string;
    const [real] = (await typeCheckDetailed([{ file: 'b', code, sdk: 7, dependencies: [{ name: 'uuid', version: installed }, { name: 'slack-notify', version: '0.1.7' }] }])).values();
    expect(real.errors.length).toBeGreaterThan(0);
    expect(real.unresolved).toEqual(['slack-notify@0.1.7 is not installed where verify runs']);
  }, 60_000);

  it("sets apart type errors of plain JavaScript the rule already had (new Date(a) - new Date(b))", async () => {
    const ruleText = 'function (user, context, callback) {\n  const age = new Date() - new Date(user.created_at);\n  context.idToken[\'https://example.com/age\'] = age;\n  callback(null, user, context);\n}\n';
    const code = ACTION("  const age = new Date() - new Date(event.user.created_at);\n  api.idToken.setCustomClaim('https://example.com/age', age);\n  event.user.emial;");
    const [result] = (await typeCheckDetailed([{ file: 'a', code, sdk: 7, dependencies: [], rule: ruleText }])).values();
    expect(result.fromRule.map((f) => f.line)).toEqual([2, 2]);
    // The migration's own mistake is still an error.
    expect(result.errors.map((f) => f.line)).toEqual([4]);
  }, 60_000);
});

describe('verify verdicts', () => {
  it('says not verified, with the reason, for an Action whose dependency cannot be loaded', async () => {
    const file = rule(
      'notify',
      "function (user, context, callback) {\n  const notify = require('slack-notify@0.1.7');\n  notify('https://hooks.example.com').send({ text: user.email });\n  callback(null, user, context);\n}\n",
    );
    const run = await cli(['verify', file, '--format', 'json']);
    const report = JSON.parse(run.stdout) as VerifyReport;
    expect(report.rules[0].verdict).toBe('not-verified');
    expect(report.rules[0].reason).toContain('slack-notify@0.1.7 is not installed where verify runs');
    expect(report.rules[0].typeErrors).toEqual([]);
    expect(report.summary).toMatchObject({ rules: 1, equal: 0, different: 0, notVerified: 1 });
    expect(run.code).toBe(1);
  }, 120_000);

  it('does not call an Action different for a date subtraction the rule already had; --sdk both counts one rule', async () => {
    const file = rule(
      'age',
      "function (user, context, callback) {\n  const days = (new Date() - new Date(user.created_at)) / 86400000;\n  context.idToken['https://example.com/days'] = days > 30;\n  callback(null, user, context);\n}\n",
    );
    const run = await cli(['verify', file, '--sdk', 'both', '--format', 'json']);
    const report = JSON.parse(run.stdout) as VerifyReport;
    expect(report.rules.map((r) => [r.sdk, r.verdict])).toEqual([[7, 'equal'], [4, 'equal']]);
    expect(report.rules[0].notes.join('\n')).toContain("type error(s) are in the rule's own code too (not counted)");
    expect(report.summary).toMatchObject({ rules: 1, equal: 1, different: 0, notVerified: 0 });
    const text = await cli(['verify', file, '--sdk', 'both']);
    expect(text.stdout).toMatch(/1 rule: 1 equal, 0 different, 0 not verified/);
    expect(text.code).toBe(0);
  }, 120_000);
});
