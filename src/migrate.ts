import { analyze, makeParseable } from './analyze.js';
import { b, memberChain, n } from './ast.js';
import { unifiedDiff } from './diff.js';
import { checkSyntax, parse, print, toSyntaxProblem } from './parse.js';
import { createDisabler, createReporter, sortFindings } from './report.js';
import { maskTokens } from './tokens.js';
import { pipelineTransform } from './pipeline-messages.js';
import { tenantTransform } from './tenant/messages.js';
import { prepareTenant, type Prepared } from './tenant/prepare.js';
import { forgetDeclaredNames } from './ast/scope.js';
import { hoistCarried } from './tenant/hoist.js';
import { extractShared } from './tenant/module.js';
import { transforms as registry } from '../transforms/index.js';
import type {
  Finding,
  MigrateOptions,
  MigrationResult,
  ModuleParts,
  Requirements,
  Statement,
  ResolvedOptions,
  TransformContext,
} from './types.js';

export function resolveOptions(options: MigrateOptions = {}): ResolvedOptions {
  return { filename: 'rule.js', sdk: 7, guard: true, diff: true, ...options };
}

/** `transform:code` of the findings that fail a rule (MessageSpec.fails). */
const FAILING = new Set(registry.flatMap((t) => Object.entries(t.messages).filter(([, m]) => m.fails).map(([code]) => `${t.id}:${code}`)));

/** Pure: source text in, Action text and findings out. Never throws on bad input. */
export function migrate(source: string, options: MigrateOptions = {}): MigrationResult {
  try {
    return migrateRule(source, options);
  } finally {
    // The kept declared names hold this rule's nodes: dropped now, not when the next rule starts.
    forgetDeclaredNames();
  }
}

function migrateRule(source: string, options: MigrateOptions): MigrationResult {
  const resolved = resolveOptions(options);
  const findings: Finding[] = [];
  const needs: Requirements = { secrets: [], dependencies: [], scopes: [] };
  const unchanged = (status: MigrationResult['status']): MigrationResult => ({
    code: source,
    findings: sortFindings(findings),
    diff: '',
    status,
    needs,
    linking: false,
  });

  // Old Mac files end lines with a lone CR: printed lines end as the rule's do.
  const lineTerminator = source.includes('\r\n') ? '\r\n' : source.includes('\r') && !source.includes('\n') ? '\r' : '\n';
  // A byte order mark is an encoding marker, not code: it is set aside and written back unchanged.
  const bom = source.startsWith('\uFEFF') ? '\uFEFF' : '';
  const tokens = maskTokens(source.slice(bom.length));
  // A hashbang parses only at offset 0 and swallows the line printed after it: keep it as a
  // comment of the same length while migrating (positions stay exact), put it back after printing.
  const separators = maskLineSeparators(tokens.masked);
  const hashbang = /^#![^\r\n]*/.exec(separators.masked)?.[0];
  const { text, insertion } = makeParseable(hashbang ? `//${separators.masked.slice(2)}` : separators.masked);
  const pipeline = (node: Parameters<ReturnType<typeof createReporter>['report']>[0]['node']) =>
    createReporter(pipelineTransform, findings, insertion, node as never);

  let ast;
  try {
    ast = parse(text);
  } catch (error) {
    const problem = toSyntaxProblem(error);
    const location = insertion && problem.line === insertion.line && problem.column > insertion.column
      ? { line: problem.line, column: problem.column - insertion.length }
      : problem;
    findings.push({
      code: problem.tooDeep ? 'too-deep' : 'parse-error',
      transform: pipelineTransform.id,
      severity: 'error',
      message: problem.tooDeep
        ? pipelineTransform.messages['too-deep'].text
        : `Syntax error: ${problem.message.replace(/\.$/, "")}. Fix the rule and run again.`,
      line: location.line,
      column: location.column,
    });
    return unchanged('error');
  }

  const analysis = analyze(ast);
  if (analysis.kind === 'action') {
    pipeline(ast).report({ node: ast.program.body[0], code: 'already-action' });
    return unchanged('nochange');
  }
  if (analysis.kind === 'not-a-rule') {
    pipeline(ast).report({ node: ast.program.body[0] ?? ast, code: 'not-a-rule', data: { reason: analysis.reason } });
    return unchanged('error');
  }

  const { rule } = analysis;
  const moduleParts: ModuleParts = { requires: [], prelude: [], continueBody: null };
  let linking = false;
  // The stand-ins become line separators again: in commented-out code they would end the comment.
  const disabler = createDisabler(separators.stand);
  const selected = resolved.transforms
    ? registry.filter((t) => resolved.transforms!.includes(t.id) || t.id === 'rule-signature')
    : registry;

  // Tenant-level facts (shared globals, helpers receiving the whole context) become code of this rule
  // first, so every transform converts it like the rule's own.
  const crashed = (transformId: string, error: unknown): MigrationResult => {
    // Out of stack on a deeply nested rule is a depth limit, not a bug of the transform.
    if (error instanceof RangeError && /call stack/i.test(error.message)) pipeline(rule.fn).report({ node: rule.fn, code: 'too-deep' });
    else {
      pipeline(rule.fn).report({
        node: rule.fn,
        code: 'transform-crashed',
        data: { transform: transformId, error: error instanceof Error ? error.message : String(error) },
      });
    }
    return unchanged('error');
  };
  let prepared: Prepared;
  try {
    const { report } = createReporter(tenantTransform, findings, insertion, rule.fn);
    prepared = prepareTenant({ rule, module: moduleParts, tenant: resolved.tenant, report }, ast);
  } catch (error) {
    return crashed(tenantTransform.id, error);
  }

  for (const transform of selected) {
    if (transform.relevant && !transform.relevant.test(text) && !transform.relevant.test(prepared.addedText)) continue;
    const { report, todo } = createReporter(transform, findings, insertion, rule.fn);
    const ctx: TransformContext & { markLinking(): void } = {
      ast,
      text,
      rule,
      options: resolved,
      needs,
      module: moduleParts,
      report,
      todo,
      disable: ({ statement, ...input }) => {
        const finding = report(input);
        const marker = disabler.marker(statement.node, finding.message) as Statement;
        // `if (x) stmt;` has no block to hold comment lines: give it one.
        const inList = Array.isArray((statement as { parentPath?: { value?: unknown } }).parentPath?.value);
        // The statement's own comments stay, above the marker line (a trailing one would hide it).
        const comments = (statement.node as { comments?: Array<{ type: string; value: string }> }).comments;
        if (comments?.length) {
          (marker as { comments?: unknown[] }).comments = comments.map((c) =>
            c.type === 'CommentBlock' || c.type === 'Block' ? b.commentBlock(c.value, true, false) : b.commentLine(c.value, true, false),
          );
        }
        statement.replace(inList ? marker : b.blockStatement([marker]));
      },
      addSecret: (name) => addUnique(needs.secrets, name),
      addScope: (scope) => addUnique(needs.scopes, scope),
      addDependency: (dep) => {
        const existing = needs.dependencies.find((d) => d.name === dep.name);
        if (!existing) needs.dependencies.push({ ...dep });
        else if (!existing.version) existing.version = dep.version;
      },
      markLinking: () => {
        linking = true;
      },
    };
    try {
      // Kept declared names (src/ast/scope.ts) are dropped between transforms: a transform may edit the tree directly.
      forgetDeclaredNames();
      transform.apply(ctx);
    } catch (error) {
      return crashed(transform.id, error);
    }
  }

  // A Rules leftover the Action cannot run with (the Rules Management API token): no Action rather than one that passes as review.
  if (findings.some((f) => FAILING.has(`${f.transform}:${f.code}`))) return unchanged('error');

  // Carried helpers go to module level where they can (after rule-signature built the module).
  if (prepared.carried.size) hoistCarried(ast, rule, prepared.carried, new Set(prepared.helpers.keys()));
  // A library rule: everything it did was define what later rules use, and that moved into them.
  const noAction = prepared.movedDefinitions > 0 && !moduleParts.continueBody && rule.body.body.every(isGuard);
  if (noAction) createReporter(tenantTransform, findings, insertion, rule.fn).report({ node: rule.fn, code: 'library-rule' });

  // The AST printed and checked; a failure is a finished result (its finding reported).
  const render = (): { code: string } | { failed: MigrationResult } => {
    let printed: string;
    try {
      printed = print(ast, lineTerminator);
    } catch (error) {
      if (error instanceof RangeError && /call stack/i.test(error.message)) {
        pipeline(rule.fn).report({ node: rule.fn, code: 'too-deep' });
        return { failed: unchanged('error') };
      }
      pipeline(rule.fn).report({ node: rule.fn, code: 'print-failed', data: { error: String(error) } });
      return { failed: unchanged('error') };
    }
    printed = disabler.expand(printed, lineTerminator);
    if (hashbang && printed.startsWith(`//${hashbang.slice(2)}`)) printed = hashbang + printed.slice(hashbang.length);
    if (/__rules2actions_disabled_\d/.test(printed) && !source.includes('__rules2actions_disabled_')) {
      pipeline(rule.fn).report({ node: rule.fn, code: 'invalid-output', data: { error: 'a statement could not be commented out' } });
      return { failed: unchanged('error') };
    }
    printed = separators.restore(printed);
    const unmasked = tokens.restore(printed);
    if (unmasked === null) {
      pipeline(rule.fn).report({ node: rule.fn, code: 'token-lost' });
      return { failed: unchanged('error') };
    }
    const problem = checkSyntax(tokens.masked === source.slice(bom.length) ? unmasked : printed);
    if (problem?.tooDeep) {
      pipeline(rule.fn).report({ node: rule.fn, code: 'too-deep' });
      return { failed: unchanged('error') };
    }
    if (problem) {
      pipeline(rule.fn).report({
        node: rule.fn,
        code: 'invalid-output',
        data: { error: `${problem.message} at ${problem.line}:${problem.column}` },
      });
      return { failed: unchanged('error') };
    }
    return { code: bom + unmasked };
  };
  const rendered = render();
  if ('failed' in rendered) return rendered.failed;
  const restored = rendered.code;

  // --module: the same Action requiring the tenant's shared-helpers module instead of carrying them.
  let shared: MigrationResult['shared'];
  if (resolved.sharedModule && prepared.helpers.size && !noAction) {
    const extracted = extractShared(ast, prepared.helpers, prepared.constants, (code) => disabler.expand(separators.restore(code), '\n'));
    if (extracted) {
      const { report } = createReporter(tenantTransform, findings, insertion, rule.fn);
      for (const { name, why } of extracted.kept) report({ node: rule.fn, code: 'module-helper-kept', data: { name, why } });
      if (extracted.part.helpers.length) {
        // Should this form not print, the Action keeps its copies (and no finding of the attempt).
        const mark = findings.length;
        report({ node: rule.fn, code: 'module-helpers', data: { names: extracted.part.helpers.map((h) => `global.${h.name}`).join(', ') } });
        const again = render();
        if ('failed' in again) findings.length = mark;
        else shared = { code: again.code, ...extracted.part };
      }
    }
  }

  needs.secrets.sort();
  needs.scopes.sort();
  needs.dependencies.sort((a, b) => a.name.localeCompare(b.name));
  const result: MigrationResult = {
    code: restored,
    findings: sortFindings(findings),
    diff: '',
    status: restored === source ? 'nochange' : 'ok',
    needs,
    linking,
    ...(noAction ? { noAction } : {}),
    ...(shared ? { shared } : {}),
  };
  if (resolved.diff && restored !== source) lazyDiff(result, resolved.filename, source, restored);
  return result;
}

/**
 * `result.diff` computed when first read, then kept: the diff was a tenth of a migration and most
 * callers (the bench, a run that only writes Actions) never read it. An own enumerable property, so
 * spreading, JSON and the worker pool's structured clone read it as before. Its closures are made here
 * from the texts: the accessor keeps them past young-generation collections (see LazyScopes in
 * src/ast/values.ts), and one made in migrate would share migrate's context, which holds the tree.
 */
function lazyDiff(result: MigrationResult, filename: string, before: string, after: string): void {
  const settle = (value: string) => Object.defineProperty(result, 'diff', { value, writable: true, enumerable: true, configurable: true });
  Object.defineProperty(result, 'diff', {
    enumerable: true,
    configurable: true,
    get: () => {
      const value = unifiedDiff(filename, before, after);
      settle(value);
      return value;
    },
    set: settle,
  });
}

/** The `api.rules.wasExecuted` guard rule-signature puts first: not code of the rule. */
function isGuard(statement: Statement): boolean {
  return n.IfStatement.check(statement) && n.CallExpression.check(statement.test) && memberChain(statement.test.callee)?.join('.') === 'api.rules.wasExecuted';
}

/**
 * recast splits lines on U+2028/U+2029 and joins them with '\n' before parsing, so a string or a
 * comment holding one would no longer parse. Swap each for a private-use character absent from the
 * source (same length: locations stay exact) and swap back after printing.
 */
function maskLineSeparators(source: string): { masked: string; stand: string[]; restore(text: string): string } {
  if (!/[\u2028\u2029]/.test(source)) return { masked: source, stand: [], restore: (text) => text };
  const swaps: Array<[string, string]> = [];
  let candidate = 0xe000;
  for (const separator of ['\u2028', '\u2029']) {
    while (source.includes(String.fromCharCode(candidate))) candidate++;
    swaps.push([separator, String.fromCharCode(candidate++)]);
  }
  const swap = (text: string, from: 0 | 1) => swaps.reduce((t, pair) => t.split(pair[from]).join(pair[1 - from]), text);
  return { masked: swap(source, 0), stand: swaps.map((pair) => pair[1]), restore: (text) => swap(text, 1) };
}

function addUnique(list: string[], value: string) {
  if (!list.includes(value)) list.push(value);
}
