// Nothing lost: every comment, string literal and statement of a fixture rule is either present in
// its Action or accounted for by a finding of the report (which says why it went).
//
// What "present" means (rule → Action, both parsed with Babel, keyword tokens masked alike):
// - a comment: each non-blank line of its text (trimmed) occurs inside some comment of the Action
//   (commented-out code included). A comment is never excused by a finding.
// - a string literal (and each non-empty template chunk): an Action string literal or template chunk
//   with the same value (counted: two equal literals need two), or a property name equal to the value
//   (`x['a']` → `x.a`), or its source text inside an Action comment (code commented out under a TODO).
// - a statement (at any depth; blocks and empty statements aside), by a key: `call:<callee chain>`,
//   `assign:<target chain>`, `var:<name>` per declared name, `function:<name>`, else its node type.
//   Known renames: chains on the rule's `user` become `event.user…`, on `context` become `event…`
//   (fields are renamed, so only the root counts); a call of the rule's callback becomes `return`.
//   Present when the Action has at least as many statements with that key, or when the statement's
//   source text is inside an Action comment (commented out).
// - "accounted for by a finding": a finding located inside the literal's or the statement's innermost
//   enclosing statement (the one reported on). Excused: the rule's last statement when it is the
//   success callback (falling off the end of the handler is the same outcome).
// A rule that fails is returned unchanged: nothing to check but that.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import * as babel from '@babel/parser';
import type * as t from '@babel/types';
import { globSync } from 'tinyglobby';
import { describe, expect, it } from 'vitest';
import { makeParseable } from '../src/analyze.js';
import { migrate } from '../src/migrate.js';
import type { Finding, MigrateOptions, MigrationResult } from '../src/types.js';
import { ROOT } from './support/dist.js';

const TOKEN = /@@[A-Za-z0-9_]+@@|##[A-Za-z0-9_]+##/g;

interface Case {
  id: string;
  source: string;
  options: MigrateOptions;
}

function discover(): Case[] {
  return globSync('fixtures/**/rule.js', { cwd: ROOT }).sort().map((file) => {
    const dir = path.join(ROOT, path.dirname(file));
    const optionsFile = path.join(dir, 'options.json');
    return {
      id: path.dirname(file).replace(/^fixtures\//, ''),
      source: readFileSync(path.join(ROOT, file), 'utf8'),
      options: existsSync(optionsFile) ? (JSON.parse(readFileSync(optionsFile, 'utf8')) as MigrateOptions) : {},
    };
  });
}

/** The same identifier for the same token in the rule and in the Action. */
function tokenMasker() {
  const names = new Map<string, string>();
  return (text: string) =>
    text.replace(TOKEN, (token) => {
      if (!names.has(token)) names.set(token, `__token${names.size}__`);
      return names.get(token)!;
    });
}

function parse(text: string): t.File {
  return babel.parse(text, { sourceType: 'script', allowReturnOutsideFunction: true, errorRecovery: false });
}

type Visit = (node: t.Node, ancestors: t.Node[]) => void;

function walk(node: t.Node, visit: Visit, ancestors: t.Node[] = []): void {
  visit(node, ancestors);
  const next = [...ancestors, node];
  for (const [key, value] of Object.entries(node)) {
    if (key === 'loc' || key === 'leadingComments' || key === 'trailingComments' || key === 'innerComments' || key === 'extra') continue;
    for (const child of Array.isArray(value) ? value : [value]) {
      if (child && typeof child === 'object' && typeof (child as t.Node).type === 'string') walk(child as t.Node, visit, next);
    }
  }
}

const isStatement = (node: t.Node) =>
  /Statement$|Declaration$/.test(node.type) && node.type !== 'BlockStatement' && node.type !== 'EmptyStatement';

interface RuleParams {
  user?: string;
  context?: string;
  callback?: string;
  fn?: t.Node;
  /** `var ctx = context`, `const claims = context.idToken`: names that stand for rule data. */
  aliases?: Set<string>;
  /** `var done = callback`: names that stand for the callback. */
  callbacks?: Set<string>;
}

const isCallbackName = (name: string, params: RuleParams) => name === params.callback || Boolean(params.callbacks?.has(name));

function ruleParams(ast: t.File): RuleParams {
  for (const statement of ast.program.body) {
    let fn: t.Node | null | undefined = statement;
    if (fn.type === 'ExpressionStatement') fn = fn.expression.type === 'AssignmentExpression' ? fn.expression.right : fn.expression;
    if (fn && (fn.type === 'FunctionDeclaration' || fn.type === 'FunctionExpression' || fn.type === 'ArrowFunctionExpression') && fn.params.length === 3) {
      const [user, context, callback] = fn.params.map((p) => (p.type === 'Identifier' ? p.name : undefined));
      const params: RuleParams = { user, context, callback, fn: statement, aliases: new Set(), callbacks: new Set() };
      walk(fn, (node) => {
        if (node.type === 'VariableDeclarator' && node.id.type === 'Identifier' && node.init?.type === 'Identifier' && node.init.name === callback) {
          params.callbacks!.add(node.id.name);
        }
        const init = node.type === 'VariableDeclarator' && node.init?.type === 'LogicalExpression' ? node.init.left : node.type === 'VariableDeclarator' ? node.init : null;
        if (node.type === 'VariableDeclarator' && node.id.type === 'Identifier' && init && chain(init, params).startsWith('event')) {
          params.aliases!.add(node.id.name);
        }
      });
      helperContextParams(fn, context).forEach((name) => params.aliases!.add(name));
      return params;
    }
  }
  return {};
}

/** Parameters of the rule's local helpers that every call gives the rule's `context` (the transform converts them with the rule). */
function helperContextParams(fn: t.Node, context: string | undefined): string[] {
  const helpers = new Map<string, t.FunctionDeclaration>();
  const passed = new Map<string, boolean[]>();
  walk(fn, (node) => {
    if (node.type === 'FunctionDeclaration' && node.id) helpers.set(node.id.name, node);
    if (node.type !== 'CallExpression' || node.callee.type !== 'Identifier') return;
    const name = node.callee.name;
    const isContext = node.arguments.map((a) => a.type === 'Identifier' && a.name === context);
    const seen = passed.get(name);
    passed.set(name, seen ? seen.map((v, i) => v && Boolean(isContext[i])) : isContext);
  });
  const names: string[] = [];
  for (const [name, helper] of helpers) {
    (passed.get(name) ?? []).forEach((always, i) => {
      const param = helper.params[i];
      if (always && param?.type === 'Identifier') names.push(param.name);
    });
  }
  return names;
}

function chain(node: t.Node | null | undefined, params: RuleParams): string {
  const parts: string[] = [];
  let current = node;
  while (current && (current.type === 'MemberExpression' || current.type === 'OptionalMemberExpression')) {
    const p = current.property;
    parts.unshift(!current.computed && p.type === 'Identifier' ? p.name : p.type === 'StringLiteral' ? p.value : '*');
    current = current.object;
  }
  const root = current?.type === 'Identifier' ? current.name : current?.type === 'ThisExpression' ? 'this' : '?';
  if (root === params.user) return 'event.user…';
  if (root === params.context || root === 'event' || params.aliases?.has(root)) return parts[0] === 'user' && root === 'event' ? 'event.user…' : 'event…';
  // `global.x` becomes a module-level `x`.
  if (root === 'global' && parts.length) return parts.join('.');
  return [root, ...parts].join('.');
}

function statementKeys(node: t.Node, params: RuleParams): string[] {
  if (node.type === 'ExpressionStatement') {
    let expression = node.expression;
    if (expression.type === 'AwaitExpression') expression = expression.argument;
    if (expression.type === 'CallExpression') {
      if (expression.callee.type === 'Identifier' && isCallbackName(expression.callee.name, params)) return ['ReturnStatement'];
      const callee = chain(expression.callee, params);
      // What an Action changes, it changes through `api`.
      return [callee.startsWith('api.') ? 'api-call' : `call:${callee}`];
    }
    if (expression.type === 'AssignmentExpression') {
      const target = chain(expression.left, params);
      return [target.startsWith('event') ? 'api-call' : `assign:${target}`];
    }
    if (expression.type === 'UnaryExpression' && expression.operator === 'delete' && chain(expression.argument, params).startsWith('event')) {
      return ['api-call'];
    }
    return [`expr:${expression.type}`];
  }
  if (node.type === 'VariableDeclaration') {
    return node.declarations.flatMap((d) => (d.id.type === 'Identifier' ? [`var:${d.id.name}`] : ['var:pattern']));
  }
  if (node.type === 'FunctionDeclaration') return [`function:${node.id?.name}`];
  return [node.type];
}

interface Loc {
  start: { line: number; column: number };
  end: { line: number; column: number };
}
const within = (f: Finding, loc: Loc) => {
  const at = { line: f.line, column: f.column - 1 };
  const after = (a: typeof at, b: typeof at) => a.line > b.line || (a.line === b.line && a.column >= b.column);
  return after(at, loc.start) && !after(at, loc.end);
};

interface Lost {
  what: string;
  line: number;
}

type Result = Pick<MigrationResult, 'status' | 'code' | 'findings'>;

function findLosses(source: string, result: Result): { lost: Lost[]; excused: number } {
  if (result.status === 'error') {
    expect(result.code).toBe(source);
    return { lost: [], excused: 0 };
  }
  const mask = tokenMasker();
  const ruleText = makeParseable(mask(source)).text;
  const rule = parse(ruleText);
  const action = parse(mask(result.code));
  const params = ruleParams(rule);

  const actionComments = (action.comments ?? []).map((comment) => comment.value).join('\n');
  const actionStrings = new Map<string, number>();
  const actionNames = new Set<string>();
  const actionKeys = new Map<string, number>();
  const bump = (map: Map<string, number>, key: string) => map.set(key, (map.get(key) ?? 0) + 1);
  walk(action.program, (node) => {
    if (node.type === 'StringLiteral' || node.type === 'DirectiveLiteral') bump(actionStrings, node.value);
    if (node.type === 'TemplateElement' && node.value.cooked) bump(actionStrings, node.value.cooked);
    if (node.type === 'Identifier') actionNames.add(node.name);
    // Names are mapped alike on both sides: a shadowing `context` left as it was still matches.
    if (isStatement(node)) for (const key of statementKeys(node, { ...params, callback: undefined })) bump(actionKeys, key);
  });
  // 'use strict' and other directives are statements too.
  walk(action.program, (node) => {
    if ((node.type === 'Program' || node.type === 'BlockStatement') && node.directives.length) {
      for (let i = 0; i < node.directives.length; i++) bump(actionKeys, 'expr:StringLiteral');
    }
  });

  const lost: Lost[] = [];
  let excused = 0;
  const innermost = (ancestors: t.Node[], node?: t.Node) =>
    (node && isStatement(node) ? node : [...ancestors].reverse().find(isStatement)) as t.Node | undefined;
  const reported = (statement: t.Node | undefined) => {
    if (!statement?.loc) return false;
    return result.findings.some((f) => within(f, statement.loc!) && innermostAt(f) === statement);
  };
  const statementsByDepth: t.Node[] = [];
  const ancestorsOf = new Map<t.Node, t.Node[]>();
  walk(rule.program, (node, ancestors) => {
    if (isStatement(node) && node !== params.fn) {
      statementsByDepth.push(node);
      ancestorsOf.set(node, ancestors);
    }
  });
  // The innermost rule statement holding a finding's position.
  const innermostAt = (f: Finding) => {
    let best: t.Node | undefined;
    for (const s of statementsByDepth) if (s.loc && within(f, s.loc) && (!best || (s.start! >= best.start! && s.end! <= best.end!))) best = s;
    return best;
  };
  const inActionComment = (node: t.Node) => {
    const text = ruleText.slice(node.start!, node.end!);
    return text.split('\n').every((line) => !line.trim() || actionComments.includes(line.trim()));
  };

  // Comments
  for (const comment of rule.comments ?? []) {
    for (const line of comment.value.split('\n').map((l) => l.trim().replace(/^\*\s?/, '')).filter(Boolean)) {
      if (!actionComments.includes(line)) lost.push({ what: `comment '${line}'`, line: comment.loc!.start.line });
    }
  }

  // String literals
  const remaining = new Map(actionStrings);
  walk(rule.program, (node, ancestors) => {
    const value =
      node.type === 'StringLiteral' || node.type === 'DirectiveLiteral' ? node.value
      : node.type === 'TemplateElement' ? node.value.cooked
      : undefined;
    if (!value) return;
    if ((remaining.get(value) ?? 0) > 0) {
      remaining.set(value, remaining.get(value)! - 1);
      return;
    }
    if (actionNames.has(value) || inActionComment(node)) return;
    if (reported(innermost(ancestors))) {
      excused++;
      return;
    }
    lost.push({ what: `string '${value}'`, line: node.loc!.start.line });
  });

  // Statements
  const lastOfRule = (() => {
    const fnNode = params.fn?.type === 'ExpressionStatement' ? (params.fn.expression.type === 'AssignmentExpression' ? params.fn.expression.right : params.fn.expression) : params.fn;
    const body = fnNode && 'body' in fnNode && fnNode.body && (fnNode.body as t.Node).type === 'BlockStatement' ? (fnNode.body as t.BlockStatement).body : [];
    return body[body.length - 1];
  })();
  const byKey = new Map<string, t.Node[]>();
  for (const statement of statementsByDepth) {
    for (const key of statementKeys(statement, params)) byKey.set(key, [...(byKey.get(key) ?? []), statement]);
  }
  for (const [key, statements] of byKey) {
    const open = statements.filter((s) => {
      if (s === lastOfRule && key === 'ReturnStatement' && s.type === 'ExpressionStatement') return false;
      if (isSuccessCallback(s, params) || isAliasWriteBack(s, params)) return false;
      if (inActionComment(s)) return false;
      if (isReportedErrorPath(s, ancestorsOf.get(s) ?? [], params, result.findings)) {
        excused++;
        return false;
      }
      return true;
    });
    const available = actionKeys.get(key) ?? 0;
    if (open.length <= available) continue;
    // More rule statements than Action ones: those reported on are accounted for.
    const unreported = open.filter((s) => !reported(s));
    excused += open.length - unreported.length;
    if (unreported.length > available) {
      for (const s of unreported.slice(available)) lost.push({ what: `statement ${key}`, line: s.loc!.start.line });
    }
  }
  return { lost, excused };
}

/** `callback(null, …)` or `return callback()`: success ends the handler (a return, or falling off its end). */
function isSuccessCallback(statement: t.Node, params: RuleParams): boolean {
  const expression =
    statement.type === 'ExpressionStatement' ? statement.expression
    : statement.type === 'ReturnStatement' ? statement.argument
    : null;
  if (expression?.type !== 'CallExpression' || expression.callee.type !== 'Identifier' || !isCallbackName(expression.callee.name, params)) return false;
  const first = expression.arguments[0];
  return !first || first.type === 'NullLiteral' || (first.type === 'Identifier' && first.name === 'undefined');
}

/** `context.idToken = claims;` where claims aliases it: a no-op once the claims are set one by one. */
function isAliasWriteBack(statement: t.Node, params: RuleParams): boolean {
  if (statement.type !== 'ExpressionStatement' || statement.expression.type !== 'AssignmentExpression') return false;
  const { left, right } = statement.expression;
  return right.type === 'Identifier' && Boolean(params.aliases?.has(right.name)) && chain(left, params).startsWith('event');
}

const errorCallback = (node: t.Node | null | undefined, params: RuleParams) => {
  const call = node?.type === 'ReturnStatement' ? node.argument : node?.type === 'ExpressionStatement' ? node.expression : null;
  return call?.type === 'CallExpression' && call.callee.type === 'Identifier' && isCallbackName(call.callee.name, params) && call.arguments.length > 0;
};

/**
 * An error path inside a callback (`if (err) return callback(err);`, `.catch(err => callback(err))`)
 * that a transform flattened into an await or removed: accounted for by a finding on the call that
 * took the callback (outside the callback itself), e.g. callback-flattened or error-path-removed.
 */
function isReportedErrorPath(statement: t.Node, ancestors: t.Node[], params: RuleParams, findings: Finding[]): boolean {
  let check = errorCallback(statement, params);
  if (!check && statement.type === 'IfStatement') {
    const c = statement.consequent;
    check = errorCallback(c.type === 'BlockStatement' && c.body.length === 1 ? c.body[0] : c, params);
  }
  if (!check) return false;
  let fnIndex = ancestors.length - 1;
  while (fnIndex >= 0 && ancestors[fnIndex].type !== 'FunctionExpression' && ancestors[fnIndex].type !== 'ArrowFunctionExpression') fnIndex--;
  const fn = ancestors[fnIndex];
  const call = ancestors[fnIndex - 1];
  if (!fn?.loc || call?.type !== 'CallExpression' || !call.loc) return false;
  return findings.some((f) => within(f, call.loc!) && !within(f, fn.loc!));
}

const cases = discover();

describe('nothing lost', () => {
  it('finds the fixtures', () => {
    expect(cases.length).toBeGreaterThan(10);
  });

  it.each(cases.map((c) => [c.id, c] as const))('%s', (_id, c) => {
    const { lost } = findLosses(c.source, migrate(c.source, c.options));
    if (process.env.NOTHING_LOST_DEBUG && lost.length) console.log(c.id, lost);
    expect(lost.map((l) => `line ${l.line}: ${l.what}`)).toEqual([]);
  });

  it('notices a comment, a string and a statement that go missing', () => {
    // The checker itself: an Action that silently drops things must be caught.
    const source = "function (user, context, callback) {\n  // keep me\n  log('a string');\n  log('other');\n  callback(null, user, context);\n}\n";
    const result = migrate(source);
    expect(findLosses(source, result).lost).toEqual([]);
    const dropped = result.code.replace('  // keep me\n', '').replace("  log('a string');\n", '');
    expect(dropped).not.toBe(result.code);
    const lost = findLosses(source, { ...result, code: dropped }).lost.map((l) => l.what);
    expect(lost.sort()).toEqual(["comment 'keep me'", 'statement call:log', "string 'a string'"]);
    // A finding on the dropped statement accounts for it (not for the comment).
    const finding: Finding = { code: 'x', transform: 'x', severity: 'info', message: 'removed', line: 3, column: 3 };
    const excused = findLosses(source, { ...result, code: dropped, findings: [finding] });
    expect(excused.lost.map((l) => l.what)).toEqual(["comment 'keep me'"]);
    expect(excused.excused).toBe(2);
  });
});
