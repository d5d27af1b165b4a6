// What a small run loads: every module imported at start is paid by every run (the README's cold start).
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const BIN = path.resolve(import.meta.dirname, '../bin/rules2actions.js');

// A resolve hook that names every module the ESM loader resolves (require() calls do not go through it).
const HOOKS = `export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  process.stderr.write('RESOLVED ' + resolved.url + '\\n');
  return resolved;
}`;
const REGISTER = `import { register } from 'node:module'; register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(HOOKS)}`)});`;

// And a preload that names every module require() loads (createRequire's included).
const REQUIRE_HOOK = `const Module = require('node:module');
const load = Module._load;
Module._load = function (request, parent, isMain) {
  const exports = load.apply(this, arguments);
  process.stderr.write('REQUIRED ' + Module._resolveFilename(request, parent, isMain) + '\\n');
  return exports;
};`;

/** What the ESM loader resolved (`imported`) and everything loaded either way (`loaded`). */
async function resolvedBy(args: string[]): Promise<{ imported: string[]; loaded: string[] }> {
  const hook = path.join(mkdtempSync(path.join(tmpdir(), 'r2a-cold-hook-')), 'require-hook.cjs');
  writeFileSync(hook, REQUIRE_HOOK);
  const flags = ['--require', hook, '--import', `data:text/javascript,${encodeURIComponent(REGISTER)}`];
  const { stderr } = await promisify(execFile)(process.execPath, [...flags, BIN, ...args], {
    env: { ...process.env, NO_COLOR: '1' },
  }).catch((error: { stderr: string; code: number }) => (error.code === 1 ? error : Promise.reject(error)));
  const lines = stderr.split('\n');
  const imported = lines.filter((line) => line.startsWith('RESOLVED ')).map((line) => line.slice('RESOLVED '.length));
  const required = lines.filter((line) => line.startsWith('REQUIRED ')).map((line) => line.slice('REQUIRED '.length));
  return { imported, loaded: [...imported, ...required] };
}

describe('cold start', () => {
  it('a one-rule migrate loads neither yaml, cli-progress, tinyglobby nor the audit formatters, nor @babel/parser through the ESM loader', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'r2a-cold-'));
    const rule = path.join(dir, 'rule.js');
    writeFileSync(rule, 'function (user, context, callback) {\n  context.idToken.x = 1;\n  callback(null, user, context);\n}\n');
    const { imported: urls, loaded } = await resolvedBy(['migrate', rule]);
    // The run did load the CLI and the library: the hook saw them.
    expect(urls.some((url) => url.endsWith('/src/migrate.js'))).toBe(true);
    // The ESM loader scans an imported CommonJS file for its export names (~20 ms for Babel's bundle): required instead.
    expect(urls.filter((url) => url.includes('/@babel/parser/'))).toEqual([]);
    // yaml reads and writes YAML tenant exports only; cli-progress draws bars for long runs on a terminal;
    // tinyglobby expands a path that does not exist.
    expect(loaded.filter((url) => /\/node_modules\/(yaml|cli-progress|tinyglobby|picomatch)\//.test(url))).toEqual([]);
    // audit's formatters (cli-table3, the HTML page) load when audit runs.
    expect(urls.filter((url) => /\/format\/audit-(table|html|csv|markdown|json)\.js$|cli-table3/.test(url))).toEqual([]);
    // Nor what only other commands and flags use: the verifier (verify, --verify), the audit, the writers
    // (--out, --write), and the readers of YAML exports, rules dumps and live tenants (node:http).
    // jsdiff's two modules we call, not its index (19 modules).
    const jsdiff = new Set(urls.filter((url) => url.includes('/node_modules/diff/')));
    expect([...jsdiff].filter((url) => url.endsWith('/index.js'))).toEqual([]);
    expect(jsdiff.size).toBeLessThanOrEqual(4);
    expect(urls.filter((url) => /\/cli\/(verify|audit)\.js$|\/verify\/(index|pool|dependencies|modules|child-caches)\.js$|\/emit\/index\.js$|\/inputs\/(live|api-dump|yaml-export)\.js$/.test(url))).toEqual([]);
  });

  it('audit still loads its formatters when it runs', async () => {
    const { imported: urls } = await resolvedBy(['audit', path.resolve(import.meta.dirname, '../fixtures/demo-tenant'), '--format', 'csv']);
    expect(urls.some((url) => url.endsWith('/format/audit-csv.js'))).toBe(true);
  });

  it('a YAML tenant export still loads yaml', async () => {
    const { loaded } = await resolvedBy(['migrate', path.resolve(import.meta.dirname, '../fixtures/tenants/globex-yaml')]);
    expect(loaded.some((url) => url.includes('/node_modules/yaml/'))).toBe(true);
  });
});
