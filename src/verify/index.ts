/**
 * Behavioural verification: run a Rule and its Action over the same scenarios against a local
 * Management API with the real SDKs, and compare what each did.
 *
 * Each pair runs in one child process (NODE_EXTRA_CA_CERTS is read at start-up only), which hosts the
 * emulator and runs every scenario; the caller's process keeps its TLS settings untouched.
 */
import { fork } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ChildJob, ChildReply } from './child.js';
import { compareOutcomes } from './compare.js';
import { createCertificate, type Certificate } from './emulator.js';
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

/** One certificate for many pairs; pairs may run concurrently (one child each, at most `concurrency`). */
export async function createVerifier(options: VerifierOptions = {}): Promise<Verifier> {
  const [certificate, script] = await Promise.all([createCertificate(), childScript()]);
  const limit = Math.max(1, options.concurrency ?? availableParallelism());
  let running = 0;
  const waiting: Array<() => void> = [];
  // Timeouts in the child are wall-clock: more children than cores would make slow runs look like hangs.
  const slot = async <T>(work: () => Promise<T>): Promise<T> => {
    // A finishing pair hands its slot straight to the next waiter.
    if (running >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
    else running++;
    try {
      return await work();
    } finally {
      const next = waiting.shift();
      if (next) next();
      else running--;
    }
  };
  return {
    verifyPair: (input) => slot(() => runPair(input, certificate, script)),
    close: () => rm(dirname(certificate.certPath), { recursive: true, force: true }),
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

async function runPair(input: VerifyPairInput, certificate: Certificate, script: string): Promise<ScenarioVerdict[]> {
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
  const results = await runChild(script, job, certificate, scenarios.length * 2 * (timeoutMs + 2000) + 15000);
  return results.map(({ scenario, rule, action }) => {
    const { differences, notes } = compareOutcomes(rule, action, scenarios.find((s) => s.name === scenario) ?? {});
    return { scenario, equal: differences.length === 0, differences, notes, rule, action };
  });
}

function runChild(script: string, job: ChildJob, certificate: Certificate, limitMs: number): Promise<Extract<ChildReply, { ok: true }>['results']> {
  return new Promise((resolve, reject) => {
    const child = fork(script, [], {
      env: { ...process.env, NODE_EXTRA_CA_CERTS: certificate.certPath },
      execArgv: [],
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    let stderr = '';
    let settled = false;
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString('utf8')).slice(-4000);
    });
    child.stdout?.resume();
    const done = (err: Error | null, value?: Extract<ChildReply, { ok: true }>['results']) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (err) reject(err);
      else resolve(value ?? []);
    };
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      done(new Error(`verify child did not finish within ${limitMs} ms\n${stderr}`));
    }, limitMs);
    child.once('message', (message: ChildReply) => {
      if (message.ok) done(null, message.results);
      else done(new Error(`verify child failed: ${message.error}\n${stderr}`));
    });
    child.once('error', (err) => done(err));
    child.once('exit', (code, signal) => done(new Error(`verify child exited (${signal ?? code}) before answering\n${stderr}`)));
    child.send(job);
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
