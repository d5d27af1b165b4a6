/**
 * Behavioural verification: run a Rule and its Action over the same scenarios against a local
 * Management API with the real SDKs, and compare what each did.
 *
 * Each pair runs in one child process (NODE_EXTRA_CA_CERTS is read at start-up only), which hosts the
 * emulator and runs every scenario; the caller's process keeps its TLS settings untouched.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ChildJob } from './child.js';
import { compareOutcomes } from './compare.js';
import { createCertificate, type Certificate } from './emulator.js';
import { createChildPool, type ChildPool } from './pool.js';
import { validateScenario } from './scenarios.js';
import type { ScenarioVerdict, VerifyPairInput } from './types.js';

export type * from './types.js';
export { compareOutcomes, type Comparison } from './compare.js';
export { createCertificate, startEmulator, type Certificate, type Emulator, type StartEmulatorOptions } from './emulator.js';
export {
  builtinScenarios,
  callsManagementApi,
  configurationKeys,
  genericScenarios,
  linkingScenarios,
  loadScenarioFile,
  validateScenario,
  withPlaceholderSecrets,
} from './scenarios.js';
export { substituteKeywords, type KeywordValues, type Substitution } from './keywords.js';

export interface Verifier {
  verifyPair(input: VerifyPairInput): Promise<ScenarioVerdict[]>;
  /** Removes the temporary certificate. */
  close(): Promise<void>;
}

export interface VerifierOptions {
  /** Children running at once (default: the number of CPUs); further pairs wait their turn. */
  concurrency?: number;
}

/** One certificate and a pool of children for many pairs; pairs may be verified concurrently. */
export async function createVerifier(options: VerifierOptions = {}): Promise<Verifier> {
  const [certificate, script] = await Promise.all([createCertificate(), childScript()]);
  // Timeouts in the child are wall-clock: more children than cores would make slow runs look like hangs.
  const pool = createChildPool(script, certificate, Math.max(1, options.concurrency ?? availableParallelism()));
  return {
    verifyPair: (input) => runPair(input, pool, certificate),
    close: async () => {
      pool.close();
      await rm(dirname(certificate.certPath), { recursive: true, force: true });
    },
  };
}

/** Verifies one pair; for many pairs, `createVerifier` saves a certificate per pair. */
export async function verifyPair(input: VerifyPairInput): Promise<ScenarioVerdict[]> {
  const verifier = await createVerifier();
  try {
    return await verifier.verifyPair(input);
  } finally {
    await verifier.close();
  }
}

async function runPair(input: VerifyPairInput, pool: ChildPool, certificate: Certificate): Promise<ScenarioVerdict[]> {
  const scenarios = input.scenarios.map((s, i) => validateScenario(s, `scenario ${i}`));
  const names = new Set<string>();
  for (const s of scenarios) {
    if (names.has(s.name)) throw new Error(`scenario name ${s.name} is used twice`);
    names.add(s.name);
  }
  const timeoutMs = input.timeoutMs ?? 5000;
  const job: ChildJob = {
    rule: input.rule,
    action: input.action,
    sdk: input.sdk,
    scenarios,
    secrets: input.secrets ?? {},
    timeoutMs,
    certificate,
    resolveFrom: [fileURLToPath(import.meta.url), join(process.cwd(), 'package.json')],
  };
  const results = await pool.run(job, scenarios.length * 2 * (timeoutMs + 2000) + 15000);
  return results.map(({ scenario, rule, action }) => {
    const { differences, notes } = compareOutcomes(rule, action, scenarios.find((s) => s.name === scenario) ?? {});
    return { scenario, equal: differences.length === 0, differences, notes, rule, action };
  });
}

/**
 * The child must run as plain Node. Built (dist/) it is the sibling child.js; run from source (vitest)
 * this directory is transpiled once into a temp folder keyed by its content.
 */
async function childScript(): Promise<string> {
  const here = fileURLToPath(import.meta.url);
  const dir = dirname(here);
  if (!here.endsWith('.ts')) return join(dir, 'child.js');
  const files = (await readdir(dir)).filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts')).sort();
  const sources = await Promise.all(files.map((f) => readFile(join(dir, f), 'utf8')));
  const hash = createHash('sha256').update(files.join('\n')).update(sources.join('\0')).digest('hex').slice(0, 16);
  const out = join(tmpdir(), `rules2actions-verify-${hash}`);
  if (existsSync(join(out, 'child.js'))) return join(out, 'child.js');

  const ts = (await import('typescript')).default;
  const staging = `${out}.${process.pid}.${Date.now()}`;
  await mkdir(staging, { recursive: true });
  await writeFile(join(staging, 'package.json'), '{"type":"module"}\n');
  await Promise.all(
    files.map((file, i) => {
      const js = ts.transpileModule(sources[i], {
        fileName: file,
        compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022 },
      }).outputText;
      return writeFile(join(staging, file.replace(/\.ts$/, '.js')), js);
    }),
  );
  try {
    await rename(staging, out);
  } catch {
    // Another worker published the same content first.
    await rm(staging, { recursive: true, force: true });
  }
  return join(out, 'child.js');
}
