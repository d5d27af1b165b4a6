import path from 'node:path';
import type { RuleRun } from '../run.js';
import { sanitizeName, writeFileAtomic } from './io.js';

export const ACTION_RUNTIME = 'node22';

/** Each migrated rule as an auth0-deploy-cli directory Action: actions/<name>.json + actions/<name>/code.js. */
export async function writeActions(outDir: string, runs: RuleRun[]): Promise<void> {
  const taken = new Set<string>();
  for (const run of runs) {
    if (run.report.status === 'failed') continue;
    const name = uniqueName(sanitizeName(run.input.name), taken);
    const codePath = `./actions/${name}/code.js`;
    const action = {
      name,
      code: codePath,
      runtime: ACTION_RUNTIME,
      dependencies: run.result.needs.dependencies.map((d) => ({ name: d.name, version: d.version || 'latest' })),
      secrets: run.result.needs.secrets.map((secret) => ({ name: secret, value: '' })),
      supported_triggers: [{ id: 'post-login', version: 'v3' }],
    };
    await writeFileAtomic(path.join(outDir, 'actions', name, 'code.js'), run.result.code);
    await writeFileAtomic(path.join(outDir, 'actions', `${name}.json`), JSON.stringify(action, null, 2) + '\n');
    run.report.action = { name, file: codePath.slice(2) };
  }
}

function uniqueName(name: string, taken: Set<string>): string {
  let candidate = name;
  for (let i = 2; taken.has(candidate.toLowerCase()); i++) candidate = `${name}-${i}`;
  taken.add(candidate.toLowerCase());
  return candidate;
}
