import { describe, expect, it } from 'vitest';
import { annotateHandlers, typeCheckActions, type TypeCheckInput } from '../src/typecheck.js';
import { discoverFixtures } from './support/fixtures.js';

describe('type check of emitted Actions (ts-morph, checkJs)', () => {
  it('passes every fixture Action that migrated cleanly, for each SDK major it was emitted for', async () => {
    const inputs: TypeCheckInput[] = discoverFixtures()
      .filter((c) => c.expectedReport.status === 'migrated')
      .flatMap((c) =>
        ([7, 4] as const)
          .filter((sdk) => c.expectedAction[sdk] !== undefined)
          .map((sdk) => ({ file: `${c.id} (sdk ${sdk})`, code: c.expectedAction[sdk]!, sdk })),
      );
    expect(inputs.length).toBeGreaterThan(5);
    const results = await typeCheckActions(inputs);
    const failures = [...results].filter(([, findings]) => findings.length > 0);
    expect(failures.map(([file, findings]) => `${file}: ${findings.map((f) => `${f.line}:${f.column} ${f.message}`).join('; ')}`)).toEqual([]);
  }, 120_000);

  it('turns a misspelt API call, an unknown event field and a wrong SDK call into located findings', async () => {
    const code = [
      "const { ManagementClient } = require('auth0');",
      'exports.onExecutePostLogin = async (event, api) => {',
      "  api.accessToken.setClaim('https://example.com/role', 'admin');",
      '  console.log(event.user.emial);',
      "  const management = new ManagementClient({ domain: event.secrets.AUTH0_DOMAIN, token: 'token' });",
      '  await management.users.getByEmail(event.user.email);',
      "  const env = @@ENV@@;",
      '};',
    ].join('\n');
    const results = await typeCheckActions([{ file: 'wrong.js', code, sdk: 7 }]);
    const findings = results.get('wrong.js')!;
    expect(findings.map((f) => [f.code, f.severity, f.line, f.column])).toEqual([
      ['type-error', 'error', 3, 19],
      ['type-error', 'error', 4, 26],
      ['type-error', 'error', 6, 26],
    ]);
    expect(findings[0].message).toMatch(/setClaim/);
    expect(findings[2].message).toMatch(/getByEmail/);
  }, 60_000);

  it('checks each call on its own although the Project is kept between calls', async () => {
    // Scripts without exports share one global scope: a file left from an earlier call would clash.
    const first = 'const shared = 1;\n';
    const second = 'const shared = "two";\n';
    const alone = await typeCheckActions([{ file: 'second.js', code: second, sdk: 7 }]);
    const before = await typeCheckActions([{ file: 'first.js', code: first, sdk: 7 }]);
    const after = await typeCheckActions([{ file: 'second.js', code: second, sdk: 7 }]);
    expect(alone.get('second.js')).toEqual([]);
    expect(after.get('second.js')).toEqual([]);
    // The same two in one call do clash: the case above would show it.
    const together = await typeCheckActions([{ file: 'first.js', code: first, sdk: 7 }, { file: 'second.js', code: second, sdk: 7 }]);
    expect(together.get('second.js')!.map((f) => f.message)).toEqual([expect.stringMatching(/Cannot redeclare block-scoped variable 'shared'/)]);
    expect(before.get('first.js')).toEqual([]);
    // Calls made at the same time do not see each other's files either (a call yields between its files).
    const [concurrentFirst, concurrentSecond] = await Promise.all([
      typeCheckActions([{ file: 'first.js', code: first, sdk: 7 }, { file: 'other.js', code: 'void 0;\n', sdk: 7 }]),
      typeCheckActions([{ file: 'second.js', code: second, sdk: 7 }]),
    ]);
    expect(concurrentFirst.get('first.js')).toEqual([]);
    expect(concurrentSecond.get('second.js')).toEqual([]);
  }, 120_000);

  it('gives the handler parameters their PostLogin types without moving any line', () => {
    const code = 'exports.onExecutePostLogin = async (event, api) => {\n};\nexports.onContinuePostLogin = async (event, api) => {};';
    const annotated = annotateHandlers(code);
    expect(annotated.split('\n')).toHaveLength(3);
    expect(annotated.match(/@type \{PostLogin\.Event\}/g)).toHaveLength(2);
  });
});
