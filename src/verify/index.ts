/**
 * Behavioural verification: run a Rule and its Action over the same scenarios against a local
 * Management API with the real SDKs, and compare what each did.
 *
 * Each pair runs in one sandboxed child process (pool.ts), which hosts the emulator and runs every
 * scenario; the caller's process keeps its TLS settings untouched.
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
import { PACKAGE_ROOT } from '../paths.js';
import { defaultCacheFolder } from './cache-folder.js';
import { loadCacheFor, pruneCaches, startupSnapshotFor } from './child-caches.js';
import { createChildPool, packageReadPaths, type ChildPool, type PairStop } from './pool.js';
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
  /** Stops the children (their temporary folders go with them). */
  close(): Promise<void>;
}

export interface VerifierOptions {
  /** Children running at once (default: the number of CPUs); further pairs wait their turn. */
  concurrency?: number;
  /** Heap limit of each child in MB (default 384). */
  heapMb?: number;
  /** Resident memory at which a child is stopped, in MB (default 1024; Linux only). */
  rssMb?: number;
  /** Folder of the children's startup snapshot and load cache (child-caches.ts; default ~/.cache/rules2actions), or false for none. */
  cacheFolder?: string | false;
}

/** A pair whose child had to be stopped (a loop that never yields, too much memory) or died: nothing it did counts. */
export class VerifyStopped extends Error {
  constructor(readonly stop: PairStop) {
    super(`${stop.reason === 'timeout' ? 'timeout' : stop.reason === 'memory' ? 'out of memory' : 'crashed'}: ${stop.message}`);
    this.name = 'VerifyStopped';
  }
}

/** One certificate and a pool of children for many pairs; pairs may be verified concurrently. */
export async function createVerifier(options: VerifierOptions = {}): Promise<Verifier> {
  const [certificate, script] = await Promise.all([createCertificate(), childScript()]);
  const folder = options.cacheFolder ?? defaultCacheFolder();
  const heapMb = options.heapMb ?? 384;
  if (folder) pruneCaches(folder);
  const snapshotBlob = folder ? startupSnapshotFor({ heapMb }, folder) : null;
  const sandbox = {
    readPaths: packageReadPaths(PACKAGE_ROOT, process.cwd()),
    heapMb,
    rssMb: options.rssMb ?? 1024,
    ...(snapshotBlob ? { snapshotBlob } : {}),
  };
  const loadCache = folder ? await loadCacheFor(script, sandbox, RESOLVE_FROM, folder) : null;
  // Timeouts in the child are wall-clock: more children than cores would make slow runs look like hangs.
  const pool = createChildPool(
    script,
    Math.max(1, options.concurrency ?? availableParallelism()),
    loadCache ? { ...sandbox, readPaths: [...sandbox.readPaths, loadCache] } : sandbox,
  );
  return {
    verifyPair: (input) => runPair(input, pool, certificate, loadCache),
    close: async () => pool.close(),
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

/** Where a child resolves the shipped packages from first: this installation. */
const RESOLVE_FROM = fileURLToPath(import.meta.url);

async function runPair(input: VerifyPairInput, pool: ChildPool, certificate: Certificate, loadCache: string | null): Promise<ScenarioVerdict[]> {
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
    resolveFrom: [RESOLVE_FROM, join(process.cwd(), 'package.json')],
    ...(loadCache ? { loadCache } : {}),
  };
  // The child's own timers end a side after timeoutMs; this watchdog is for a loop that never lets them run.
  const run = await pool.run(job, { sideMs: timeoutMs + 5000, startMs: 20000 });
  if (run.stopped) throw new VerifyStopped(run.stopped);
  return run.results.map(({ scenario, rule, action, timedOut }) => {
    const { differences, notes } = compareOutcomes(rule, action, scenarios.find((s) => s.name === scenario) ?? {});
    // Two sides that both hung look alike: a timeout proves nothing, it is never "equal".
    if (timedOut) return { scenario, equal: false, differences, notes, rule, action, timedOut };
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
