import { readFileSync } from 'node:fs';
import { it } from 'vitest';
import { createVerifier, linkingScenarios } from '../src/verify/index.js';
it('dbg', async () => {
  const v = await createVerifier();
  const d = 'fixtures/account-linking/' + process.env.CASE + '/';
  const r = await v.verifyPair({ rule: process.env.RULE ? readFileSync(process.env.RULE, 'utf8') : readFileSync(d + 'rule.js', 'utf8'), action: readFileSync(d + 'expected-action.js', 'utf8'), sdk: 7, scenarios: linkingScenarios().slice(0, 1), timeoutMs: 2000 });
  console.log(JSON.stringify(r[0].differences), JSON.stringify(r[0].rule.details.logs, null, 1).slice(0, 3000));
  await v.close();
}, 60000);
