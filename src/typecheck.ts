// Type-checks emitted Actions (checkJs) against our PostLogin typings and the auth0 SDK's own
// type definitions. ts-morph is heavy: it is imported only when a check is asked for.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import path from 'node:path';
import { makeParseable } from './analyze.js';
import { PACKAGE_ROOT } from './paths.js';
import { maskTokens } from './tokens.js';
import type { Dependency, Finding, SdkMajor } from './types.js';
import { checkAvailability, installedPackage, RESOLVE_FROM } from './verify/dependencies.js';

export interface TypeCheckInput {
  /** A name for messages; unique within one call. */
  file: string;
  code: string;
  sdk: SdkMajor;
  /**
   * The Action's declared dependencies: a module resolves to its installed copy only when that is
   * the declared version (or the same major); otherwise to `any`. Undefined (an Action file given
   * by hand): only the SDK resolves.
   */
  dependencies?: Dependency[];
  /** The rule the Action came from: type errors of code the rule already had are set apart. */
  rule?: string;
}

export interface TypeCheckResult {
  /** Type errors of the Action's own making. */
  errors: Finding[];
  /** Errors the rule's own JavaScript has too (`new Date(a) - new Date(b)`): not the migration's doing. */
  fromRule: Finding[];
  /** Modules checked as `any`, with why (not installed, another version, no declared version). */
  unresolved: string[];
}

const ROOT = PACKAGE_ROOT;
const TYPINGS = path.join(ROOT, 'types/post-login.d.ts');
const UNRESOLVED = path.join(ROOT, 'types/unresolved-module.d.ts');

const SDK_PACKAGE: Record<SdkMajor, string> = { 7: 'auth0-v7', 4: 'auth0-v4' };

export const TYPE_ERROR = 'type-error';

/**
 * The handler parameters get their types through inline JSDoc on the same line, so line numbers
 * of the diagnostics are those of the emitted code.
 */
export function annotateHandlers(code: string): string {
  return code.replace(
    /(exports\.on(?:Execute|Continue)PostLogin\s*=\s*async\s*)\(\s*event\s*,\s*api\s*\)/g,
    '$1(/** @type {PostLogin.Event} */ event, /** @type {PostLogin.API} */ api)',
  );
}

/** Keyword tokens become same-length identifiers declared at the end, so positions stay exact. */
function checkableText(code: string): string {
  const { masked, placeholders } = maskTokens(code);
  const declarations = placeholders.length ? `\nvar ${placeholders.join(', ')};\n` : '';
  return annotateHandlers(masked) + declarations;
}

/** Returns the type errors of each input, keyed by file; an input with none maps to []. */
export async function typeCheckActions(inputs: TypeCheckInput[]): Promise<Map<string, Finding[]>> {
  const detailed = await typeCheckDetailed(inputs);
  return new Map([...detailed].map(([file, result]) => [file, result.errors]));
}

/** A rule as a checkable module: named, tokens masked, no globals shared with other files. */
function checkableRule(rule: string): string {
  // The name goes in on the function's own line: diagnostics keep their line numbers.
  return `${checkableText(makeParseable(rule).text)}\nmodule.exports = {};\n`;
}

/**
 * typeCheckDetailed on a worker thread (verify): this thread stays free to answer the verify children. The
 * thread loads ts-morph from a code cache in `cacheFolder` (default ~/.cache/rules2actions; false: none).
 */
export async function typeCheckOffThread(inputs: TypeCheckInput[], cacheFolder?: string | false): Promise<Map<string, TypeCheckResult>> {
  const [{ Worker }, { typeCheckCacheFor }, { defaultCacheFolder }] = await Promise.all([
    import('node:worker_threads'),
    import('./verify/child-caches.js'),
    import('./verify/cache-folder.js'),
  ]);
  const cache = typeCheckCacheFor(cacheFolder ?? defaultCacheFolder(), ROOT);
  return new Promise((resolve, reject) => {
    const worker = new Worker(workerFile(), { workerData: { inputs, cache } });
    worker.once('message', (message: { results?: Array<[string, TypeCheckResult]>; error?: string }) => {
      if (message.results) resolve(new Map(message.results));
      else reject(new Error(message.error));
      void worker.terminate();
    });
    worker.once('error', reject);
    // After an answer this does nothing; before one, the worker died.
    worker.once('exit', (code) => reject(new Error(`the type check thread stopped (exit code ${code})`)));
  });
}

/** The compiled worker; under vitest the sources run as .ts, so use the build (npm test builds first). */
function workerFile(): URL {
  const beside = new URL('./typecheck-worker.js', import.meta.url);
  return existsSync(fileURLToPath(beside)) ? beside : new URL('../dist/src/typecheck-worker.js', import.meta.url);
}

let pending: Promise<unknown> = Promise.resolve();

/** The type check with its detail: errors, errors the rule already had, modules checked as `any`. */
export function typeCheckDetailed(inputs: TypeCheckInput[]): Promise<Map<string, TypeCheckResult>> {
  // One call at a time: a call's files must not be in the kept Project while another call checks its own.
  const run = pending.then(() => checkInOrder(inputs));
  pending = run.catch(() => undefined);
  return run;
}

async function checkInOrder(inputs: TypeCheckInput[]): Promise<Map<string, TypeCheckResult>> {
  const require = createRequire(import.meta.url);
  // require, not import(): an import of this CommonJS package scans typescript.js for its exports (0.1 s).
  const { Project, ts } = require('ts-morph') as TsMorph;
  const results = new Map<string, TypeCheckResult>();
  for (const sdk of [7, 4] as const) {
    const batch = inputs.filter((i) => i.sdk === sdk);
    if (batch.length === 0) continue;
    let sdkDir: string;
    try {
      sdkDir = packageDir(require, SDK_PACKAGE[sdk]);
    } catch {
      throw new Error(`the ${SDK_PACKAGE[sdk]} package (auth0 v${sdk} types) is not installed; run npm ci`);
    }
    // A module resolves to the installed copy only when every Action of the batch may use it.
    const availability = batch.map((input) => checkAvailability(input.code, input.dependencies, RESOLVE_FROM));
    const paths: Record<string, string[]> = { auth0: [sdkDir], 'auth0/*': [`${sdkDir}/*`] };
    const unavailable = new Set(availability.flatMap((a) => a.unavailable));
    for (const name of new Set(availability.flatMap((a) => a.available))) {
      if (name === 'auth0' || unavailable.has(name)) continue;
      const installed = installedPackage(name, RESOLVE_FROM);
      if (installed) paths[name] = [installed.dir];
    }
    for (const name of unavailable) {
      paths[name] = [UNRESOLVED];
      paths[`${name}/*`] = [UNRESOLVED];
    }
    const project = projectFor(Project, ts, sdk, paths);
    const run = ++runs;
    const files = batch.map((input, index) => ({
      input,
      source: project.createSourceFile(path.join(ROOT, `.typecheck-${sdk}`, `${run}-${index}.js`), checkableText(input.code), {
        overwrite: true,
      }),
    }));
    const rules = batch.map((input, index) =>
      input.rule === undefined
        ? null
        : project.createSourceFile(path.join(ROOT, `.typecheck-${sdk}`, `${run}-${index}.rule.js`), checkableRule(input.rule), { overwrite: true }),
    );
    try {
      for (const [index, { input, source }] of files.entries()) {
        // verify's children wait on this thread between pairs: let them be answered between files.
        if (index > 0) await new Promise((resolve) => setImmediate(resolve));
        // The SDKs type a link's `provider` as a union of literals; JavaScript holds the same values
        // as plain strings (event.user.identities[].provider), which the API accepts.
        const diagnostics = source
          .getPreEmitDiagnostics()
          .map((diagnostic) => ({ diagnostic, text: ts.flattenDiagnosticMessageText(diagnostic.compilerObject.messageText, ' ') }))
          .filter(({ text }) => !/^Type 'string' is not assignable to type '\w*ProviderEnum'\.$/.test(text));
        // What the rule's own code already does wrong: as many diagnostics of the same code and message
        // as the rule has (the code around them is renamed: user → event.user). Only asked when the
        // Action has errors to set apart: checking the rule costs as much as checking the Action.
        const ruleKeys = new Map<string, number>();
        for (const d of diagnostics.length > 0 ? (rules[index]?.getPreEmitDiagnostics() ?? []) : []) {
          const key = `${d.getCode()}:${ts.flattenDiagnosticMessageText(d.compilerObject.messageText, ' ')}`;
          ruleKeys.set(key, (ruleKeys.get(key) ?? 0) + 1);
        }
        const result: TypeCheckResult = { errors: [], fromRule: [], unresolved: availability[index].problems };
        for (const { diagnostic, text } of diagnostics) {
          const { line, column } = source.getLineAndColumnAtPos(diagnostic.getStart() ?? 0);
          const finding: Finding = { code: TYPE_ERROR, transform: 'typecheck', severity: 'error', message: `Type check (auth0 v${sdk}): ${text}`, line, column };
          const key = `${diagnostic.getCode()}:${text}`;
          const left = ruleKeys.get(key) ?? 0;
          if (left > 0) {
            ruleKeys.set(key, left - 1);
            result.fromRule.push(finding);
          } else result.errors.push(finding);
        }
        results.set(input.file, result);
      }
    } finally {
      // The next call checks its own files only; the libraries stay parsed in the Project.
      for (const file of [...files.map((f) => f.source), ...rules]) if (file) project.removeSourceFile(file);
    }
  }
  return results;
}

type TsMorph = typeof import('ts-morph');

/**
 * Projects kept for the process, by SDK major and module paths: the libs, @types/node, our typings and
 * the SDK's own types are parsed once, not on every call (about a second of CPU each).
 */
const projects = new Map<string, import('ts-morph').Project>();
const KEPT_PROJECTS = 4;
let runs = 0;

function projectFor(Project: TsMorph['Project'], ts: TsMorph['ts'], sdk: SdkMajor, paths: Record<string, string[]>): import('ts-morph').Project {
  const key = `${sdk}:${JSON.stringify(paths)}`;
  const kept = projects.get(key);
  if (kept) return kept;
  const project = new Project({
    compilerOptions: {
      allowJs: true,
      checkJs: true,
      noEmit: true,
      strict: false,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.CommonJS,
      moduleResolution: ts.ModuleResolutionKind.Node10,
      lib: ['lib.es2023.d.ts', 'lib.dom.d.ts'],
      types: ['node'],
      typeRoots: [path.join(ROOT, 'node_modules/@types')],
      skipLibCheck: true,
      ignoreDeprecations: '6.0',
      baseUrl: ROOT,
      paths,
    },
    skipAddingFilesFromTsConfig: true,
  });
  project.addSourceFileAtPath(TYPINGS);
  if (projects.size >= KEPT_PROJECTS) projects.delete(projects.keys().next().value!);
  projects.set(key, project);
  return project;
}

/** auth0@4 does not export ./package.json: walk up from its entry point to node_modules/<name>. */
function packageDir(require: NodeRequire, name: string): string {
  let dir = path.dirname(require.resolve(name));
  while (!(path.basename(dir) === name && existsSync(path.join(dir, 'package.json')))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`no folder ${name} above its entry point`);
    dir = parent;
  }
  return dir;
}
