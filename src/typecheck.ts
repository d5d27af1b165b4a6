// Type-checks emitted Actions (checkJs) against our PostLogin typings and the auth0 SDK's own
// type definitions. ts-morph is heavy: it is imported only when a check is asked for.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { PACKAGE_ROOT } from './paths.js';
import { maskTokens } from './tokens.js';
import type { Finding, SdkMajor } from './types.js';

export interface TypeCheckInput {
  /** A name for messages; unique within one call. */
  file: string;
  code: string;
  sdk: SdkMajor;
}

const ROOT = PACKAGE_ROOT;
const TYPINGS = path.join(ROOT, 'types/post-login.d.ts');
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
  const { Project, ts } = await import('ts-morph');
  const results = new Map<string, Finding[]>();
  const require = createRequire(import.meta.url);
  for (const sdk of [7, 4] as const) {
    const batch = inputs.filter((i) => i.sdk === sdk);
    if (batch.length === 0) continue;
    let sdkDir: string;
    try {
      sdkDir = packageDir(require, SDK_PACKAGE[sdk]);
    } catch {
      throw new Error(`the ${SDK_PACKAGE[sdk]} package (auth0 v${sdk} types) is not installed; run npm ci`);
    }
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
        paths: { auth0: [sdkDir] },
      },
      skipAddingFilesFromTsConfig: true,
    });
    project.addSourceFileAtPath(TYPINGS);
    const files = batch.map((input, index) => ({
      input,
      source: project.createSourceFile(path.join(ROOT, `.typecheck-${sdk}`, `${index}.js`), checkableText(input.code), {
        overwrite: true,
      }),
    }));
    for (const { input, source } of files) {
      const findings: Finding[] = [];
      for (const diagnostic of source.getPreEmitDiagnostics()) {
        const text = ts.flattenDiagnosticMessageText(diagnostic.compilerObject.messageText, ' ');
        // The SDKs type a link's `provider` as a union of literals; JavaScript holds the same values
        // as plain strings (event.user.identities[].provider), which the API accepts.
        if (/^Type 'string' is not assignable to type '\w*ProviderEnum'\.$/.test(text)) continue;
        const { line, column } = source.getLineAndColumnAtPos(diagnostic.getStart() ?? 0);
        findings.push({ code: TYPE_ERROR, transform: 'typecheck', severity: 'error', message: `Type check (auth0 v${sdk}): ${text}`, line, column });
      }
      results.set(input.file, findings);
    }
  }
  return results;
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
