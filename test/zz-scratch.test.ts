import { readFileSync } from 'node:fs';
import { it } from 'vitest';
import { createVerifier, linkingScenarios } from '../src/verify/index.js';
it('time', async () => {
  const v = await createVerifier();
  const d = 'fixtures/verify/pairs/linking-request/';
  for (const n of [1, 1, 11, 11]) {
    const t = Date.now();
    await v.verifyPair({ rule: readFileSync(d + 'rule.js', 'utf8'), action: readFileSync(d + 'action.sdk7.js', 'utf8'), sdk: 7, scenarios: linkingScenarios().slice(0, n) });
    console.log(n, Date.now() - t);
  }
  await v.close();
}, 60000);
