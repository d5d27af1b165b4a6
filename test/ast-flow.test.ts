// Table-driven tests of the flow model (src/ast/flow.ts) on its own: which continuations it sees, the
// failure policy it gives each, what it flattens them into, and why it keeps the others.
import * as recast from 'recast';
import { describe, expect, it } from 'vitest';
import { analyze } from '../src/analyze.js';
import { codeRunsFirst, escapesCatch, flattenFlows, flattenInfallible, flattenThrowing, holdingStatement, insideLoop, matchCallFlow, matchContinuation, moveEarlyCallbacks, passedToThen, resolveTailHelpers, startedCall, type CallConvention, type Continuation } from '../src/ast/flow.js';
import { n } from '../src/ast.js';
import { parse } from '../src/parse.js';
import type { NodePath } from '../src/ast.js';
import type { Node, RuleShape } from '../src/types.js';
import { visit } from '../src/visit.js';

function ruleOf(body: string): RuleShape {
  const analysis = analyze(parse(`function rule(user, context, callback) {\n${body}\n}`));
  if (analysis.kind !== 'rule') throw new Error('not a rule');
  return analysis.rule;
}

const names = (rule: RuleShape) => ({ callback: rule.callback, user: rule.user, context: rule.context });

/** The handler body as printed, without the rule's indentation. */
function printed(rule: RuleShape): string {
  return rule.body.body.map((s) => recast.print(s, { tabWidth: 2 }).code).join('\n');
}

describe('matchContinuation: the shapes and their failure policy', () => {
  const cases: Array<{ name: string; code: string; kind: string | null; failure?: string; steps?: number }> = [
    { name: 'error-first inline', code: `request.get(url, function (err, res, body) { callback(null, user, context); });`, kind: 'error-first', failure: 'error-value' },
    { name: 'error-first arrow', code: `lookup(user.email, (error, roles) => callback(error));`, kind: 'error-first', failure: 'error-value' },
    { name: 'error-first named', code: `verify(token, done);\nfunction done(err, decoded) { callback(err); }`, kind: 'error-first', failure: 'error-value' },
    { name: 'callback passed on', code: `check(user, callback);`, kind: 'error-first', failure: 'error-value' },
    { name: '.then', code: `p.then(function (v) { callback(null, user, context); });`, kind: 'promise', failure: 'unhandled', steps: 1 },
    { name: '.then.catch', code: `p.then((v) => callback(null, user, context)).catch((e) => callback(e));`, kind: 'promise', failure: 'catch-all', steps: 1 },
    { name: '.catch(callback)', code: `p.then(() => callback(null, user, context)).catch(callback);`, kind: 'promise', failure: 'catch-all', steps: 1 },
    { name: '.then(f, g)', code: `p.then(function () { callback(null, user, context); }, function (e) { callback(e); });`, kind: 'promise', failure: 'catch-rejection', steps: 1 },
    { name: 'named .then steps stay in the promise', code: `get().then(parse).then((v) => callback(null, user, context));`, kind: 'promise', failure: 'unhandled', steps: 1 },
    { name: 'async.each final callback', code: `async.each(items, function (item, cb) { cb(); }, function (err) { callback(err); });`, kind: 'error-first', failure: 'error-value' },
    { name: 'Promise.all of two searches', code: `Promise.all([find(a), find(b)]).then(function ([x, y]) { callback(null, user, context); }).catch(callback);`, kind: 'promise', failure: 'catch-all', steps: 1 },
    { name: 'a new Promise wrapper (apiCall) chained', code: `apiCall(opts).then((body) => callback(null, user, context), (e) => callback(e));`, kind: 'promise', failure: 'catch-rejection', steps: 1 },
    { name: 'async.eachSeries final callback', code: `async.eachSeries(items, (item, cb) => cb(), function (err) { callback(err); });`, kind: 'error-first', failure: 'error-value' },
    { name: 'async.series final callback', code: `async.series([a, b], function (err, results) { callback(err); });`, kind: 'error-first', failure: 'error-value' },
    { name: 'async.waterfall final callback', code: `async.waterfall([a, b], function (err, last) { callback(err); });`, kind: 'error-first', failure: 'error-value' },
    { name: 'async.parallel final callback', code: `async.parallel([a, b], function (err, results) { callback(err); });`, kind: 'error-first', failure: 'error-value' },
    { name: 'async.map final callback', code: `async.map(ids, lookup, function (err, found) { callback(err); });`, kind: 'error-first', failure: 'error-value' },
    { name: 'a map that is not the async library is not a continuation', code: `ids.map(function (err) { callback(err); });`, kind: null },
    { name: 'forEach is not a continuation', code: `items.forEach(function (e) { callback(e); });`, kind: null },
    { name: 'setTimeout is not a continuation', code: `setTimeout(function () { callback(); }, 10);`, kind: null },
    { name: 'event handler is not a continuation', code: `conn.on('end', function (err) { callback(err); });`, kind: null },
    { name: 'first parameter is not an error', code: `lookup(user.email, function (roles) { callback(null, user, context); });`, kind: null },
    { name: '.finally is not modelled', code: `p.then(() => 1).finally(() => callback());`, kind: null },
  ];
  it.each(cases)('$name', ({ code, kind, failure, steps }) => {
    const rule = ruleOf(code);
    let found: ReturnType<typeof matchContinuation> = null;
    visit(rule.body, {
      visitFunction() {
        return false;
      },
      visitStatement(path) {
        if (!found && path.node === rule.body.body[0]) found = matchContinuation(path, names(rule), rule.body as unknown as Node);
        return false;
      },
      visitBlockStatement(path) {
        this.traverse(path);
      },
    });
    const c = found as ReturnType<typeof matchContinuation>;
    expect(c?.kind ?? null).toBe(kind);
    if (c) expect(c.failure).toBe(failure);
    if (c?.kind === 'promise' && steps !== undefined) expect(c.steps.length).toBe(steps);
  });
});

describe('flattenFlows: what each continuation becomes', () => {
  const cases: Array<{ name: string; code: string; expected: string }> = [
    {
      name: 'error-first callback → the callback arguments after await',
      code: `request.get(url, function (err, res, body) {\n  if (err) return callback(err);\n  callback(null, user, context);\n});`,
      expected: `const [err, res, body] = await new Promise(resolve => request.get(url, (...results) => resolve(results)));\nif (err) return callback(err);\ncallback(null, user, context);`,
    },
    {
      name: '.then(f).catch(g) → one try/catch around the value and f',
      code: `lookup().then(function (v) {\n  callback(null, user, context);\n}).catch(function (e) {\n  callback(e);\n});`,
      expected: `try {\n  const v = await lookup();\n  callback(null, user, context);\n} catch (e) {\n  callback(e);\n}`,
    },
    {
      name: '.catch(callback) → catch that calls back with the error',
      code: `lookup().then(() => callback(null, user, context)).catch(callback);`,
      expected: `try {\n  await lookup();\n  return callback(null, user, context);\n} catch (error) {\n  return callback(error);\n}`,
    },
    {
      name: '.then(f, g) → only the rejection reaches g',
      code: `lookup().then(function (v) {\n  callback(null, user, context);\n}, function (e) {\n  callback(e);\n});`,
      expected: `let v;\ntry {\n  v = await lookup();\n} catch (e) {\n  callback(e);\n  return;\n}\ncallback(null, user, context);`,
    },
    {
      name: 'chained .then: a returned value is the next handler\'s parameter',
      code: `fetch(url).then((res) => {\n  api.user.setAppMetadata('status', res.status);\n  return res.json();\n}).then((data) => {\n  callback(null, user, context);\n});`,
      expected: `const res = await fetch(url);\napi.user.setAppMetadata('status', res.status);\nconst data = await res.json();\ncallback(null, user, context);`,
    },
    {
      name: 'leading .then handlers that only compute and return early stay in the awaited promise',
      code: `fetch(url).then((res) => {\n  if (!res.ok) return null;\n  return res.json();\n}).then((data) => {\n  callback(null, user, context);\n});`,
      expected: `const data = await fetch(url).then((res) => {\n  if (!res.ok) return null;\n  return res.json();\n});\ncallback(null, user, context);`,
    },
    {
      name: 'a promise passed to .then (not a function) stays in the awaited chain, started where the rule started it',
      code: `save(a).then(save(b)).then(function () {\n  callback(null, user, context);\n}).catch(callback);`,
      expected: `try {\n  await save(a).then(save(b));\n  callback(null, user, context);\n} catch (error) {\n  return callback(error);\n}`,
    },
    {
      name: 'named error-first handler is inlined and its declaration removed',
      code: `verify(token, done);\nfunction done(err, decoded) {\n  callback(err);\n}`,
      expected: `const [err, decoded] = await new Promise(resolve => verify(token, (...results) => resolve(results)));\ncallback(err);`,
    },
    {
      name: 'code after the call that runs first in Rules: started, then awaited',
      code: `request.post(url, function (err) {\n  callback(err);\n});\nconsole.log('started');`,
      expected: `const pending = new Promise(resolve => request.post(url, (...results) => resolve(results)));\nconsole.log('started');\nconst [err] = await pending;\ncallback(err);`,
    },
    {
      name: 'nested continuations flatten outermost first',
      code: `a(function (err, x) {\n  b(x, function (err2, y) {\n    callback(null, user, context);\n  });\n});`,
      expected: `const [err, x] = await new Promise(resolve => a((...results) => resolve(results)));\nconst [err2, y] = await new Promise(resolve => b(x, (...results) => resolve(results)));\ncallback(null, user, context);`,
    },
    {
      name: 'Promise.all: the destructured results after await',
      code: `Promise.all([find(a), find(b)]).then(function ([x, y]) {\n  callback(null, user, context);\n}).catch(callback);`,
      expected: `try {\n  const [x, y] = await Promise.all([find(a), find(b)]);\n  callback(null, user, context);\n} catch (error) {\n  return callback(error);\n}`,
    },
    {
      name: 'async.each: awaited until its final callback, the iterator unchanged',
      code: `async.each(items, function (item, cb) {\n  cb();\n}, function (err) {\n  callback(err);\n});`,
      expected: `const [err] = await new Promise(resolve => async.each(items, function (item, cb) {\n  cb();\n}, (...results) => resolve(results)));\ncallback(err);`,
    },
    {
      name: 'names that clash with the rule\'s go into a block',
      code: `const err = 1;\na(function (err) {\n  callback(err);\n});`,
      expected: `const err = 1;\n{\n  const [err] = await new Promise(resolve => a((...results) => resolve(results)));\n  callback(err);\n}`,
    },
  ];
  it.each(cases)('$name', ({ code, expected }) => {
    const rule = ruleOf(code);
    const result = flattenFlows(rule.body, names(rule));
    expect(result.kept).toEqual([]);
    expect(result.flattened.length).toBeGreaterThan(0);
    expect(printed(rule)).toBe(expected);
  });
});

describe('flattenFlows: what it keeps, and why', () => {
  const cases: Array<{ name: string; code: string; why: RegExp }> = [
    { name: 'inside a loop', code: `for (const x of xs) {\n  a(x, function (err) { callback(err); });\n}`, why: /inside a loop/ },
    { name: 'calls back twice (an error after it, and in the callback)', code: `a(function (err) { callback(err); });\ncallback(new Error('no'));`, why: /called twice/ },
    { name: 'callback that goes on after calling back', code: `a(function (err) {\n  if (err) { callback(err); }\n  callback(null, user, context);\n});`, why: /keeps running/ },
    { name: 'code after the enclosing block', code: `if (x) {\n  a(function (err) { callback(err); });\n}\nconsole.log('after');`, why: /code after the block/ },
    { name: 'early return in a .then before the last', code: `p.then(function (v) {\n  if (!v) return callback(null, user, context);\n  return v;\n}).then(function (w) { callback(null, user, context); });`, why: /returns early/ },
    { name: 'this in the callback', code: `a(function (err) { this.x = 1; callback(err); });`, why: /this/ },
  ];
  it.each(cases)('$name', ({ code, why }) => {
    const rule = ruleOf(code);
    const before = printed(rule);
    const result = flattenFlows(rule.body, names(rule));
    expect(result.flattened).toEqual([]);
    expect(result.kept.map((k) => k.why)).toEqual([expect.stringMatching(why)]);
    expect(printed(rule)).toBe(before);
  });
});

/** The first continuation of the rule body (outside nested functions). */
function firstContinuation(rule: RuleShape): Continuation | null {
  let found: Continuation | null = null;
  visit(rule.body, {
    visitFunction() {
      return false;
    },
    visitStatement(path) {
      if (!found && (n.ExpressionStatement.check(path.node) || n.ReturnStatement.check(path.node))) found = matchContinuation(path, names(rule), rule.body as unknown as Node);
      if (!found) this.traverse(path);
      else return false;
    },
  });
  return found;
}

describe("flattenInfallible: the 'cannot-fail' policy (the work is replaced by one that cannot fail there)", () => {
  const cases: Array<{ name: string; code: string; expected?: string; removed?: number; deferred?: boolean; late?: number; why?: RegExp }> = [
    {
      name: 'error-first: the error branch goes, the error is null after it',
      code: `save(id, md, function (err) {\n  if (err) return callback(err);\n  callback(err, user, context);\n});`,
      expected: `save(id, md);\ncallback(null, user, context);`,
      removed: 1,
    },
    {
      name: 'error-first: `if (!err) … else …` keeps the success branch',
      code: `save(id, md, function (err) {\n  if (!err) {\n    log('saved');\n  } else {\n    log('failed');\n  }\n  callback(null, user, context);\n});`,
      expected: `save(id, md);\nlog('saved');\ncallback(null, user, context);`,
      removed: 1,
    },
    {
      name: 'error-first: the rule\'s callback passed on is the success call',
      code: `save(id, md, callback);`,
      expected: `save(id, md);\ncallback(null, user, context);`,
    },
    {
      name: '.then(f).catch(g): f follows the work, g goes',
      code: `save(id, md).then(function () {\n  callback(null, user, context);\n}).catch(function (e) {\n  callback(e);\n});`,
      expected: `save(id, md);\ncallback(null, user, context);`,
      removed: 1,
    },
    {
      name: '.catch(callback) goes too; an expression-bodied arrow runs as a statement',
      code: `save(id, md).then(() => log('saved')).catch(callback);\nreturn;`,
      expected: `save(id, md);\nlog('saved');\nreturn;`,
      removed: 1,
    },
    {
      name: 'returned where the rule ends: no return added',
      code: `return save(a).then(function () {\n  log('saved');\n});`,
      expected: `save(a);\nlog('saved');`,
    },
    {
      name: 'returned before the end: the flattened code still returns',
      code: `if (x) {\n  return save(a).then(function () {\n    log('saved');\n  });\n}\nlog('other');`,
      expected: `if (x) {\n  save(a);\n  log('saved');\n  return;\n}\nlog('other');`,
    },
    {
      name: 'a returned chain continues: kept as a statement, flattened next',
      code: `return save(a).then(function () {\n  return save(b).then(() => callback(null, user, context));\n});`,
      expected: `save(a);\nsave(b).then(() => callback(null, user, context));`,
    },
    {
      name: 'code after the call ran first in Rules: the success path goes after it',
      code: `save(id, md).then(function () {\n  log('saved');\n});\nlog('started');`,
      expected: `save(id, md);\nlog('started');\nlog('saved');`,
      deferred: true,
    },
    {
      name: 'a bare return after the call: the success path goes in its place when it ends the flow',
      code: `save(id, md).then(function () {\n  return callback(new Error('no'));\n});\nreturn;`,
      expected: `save(id, md);\nreturn callback(new Error('no'));`,
    },
    {
      name: 'a bare return after the call stays when the success path goes on',
      code: `save(id, md).then(function () {\n  log('saved');\n});\nreturn;`,
      expected: `save(id, md);\nlog('saved');\nreturn;`,
    },
    {
      name: 'code after it calls back first: a success path that only calls back is dropped (the first call won)',
      code: `save(id, md).then(function () {\n  callback(null, user, context);\n});\nlog('started');\nreturn callback(null, user, context);`,
      expected: `save(id, md);\nlog('started');\nreturn callback(null, user, context);`,
      late: 1,
    },
    { name: 'kept: the handler uses the value the work gave', code: `save(id, md).then(function (saved) {\n  callback(null, saved, context);\n});`, why: /uses the value/ },
    { name: 'kept: code after it ends the rule first', code: `save(id, md).then(function () {\n  log('saved');\n});\ncallback(null, user, context);`, why: /ends the rule/ },
    {
      name: 'kept: a .then before the last returns early',
      code: `save(id, md).then(function () {\n  if (x) return callback(null, user, context);\n  log(1);\n}).then(function () {\n  callback(null, user, context);\n});`,
      why: /returns early/,
    },
  ];
  it.each(cases)('$name', ({ code, expected, removed, deferred, late, why }) => {
    const rule = ruleOf(code);
    const before = printed(rule);
    const c = firstContinuation(rule);
    expect(c).not.toBeNull();
    const start = c!.kind === 'error-first' ? [startedCall(c!)] : [recast.types.builders.expressionStatement(c!.promise as never)];
    const result = flattenInfallible(c!, names(rule), { start, continues: (expr) => recast.print(expr).code.startsWith('save(') });
    if (why) {
      expect(result).toEqual({ why: expect.stringMatching(why) });
      expect(printed(rule)).toBe(before);
      return;
    }
    expect(result).toEqual({ removed: expect.any(Array), deferred: deferred ?? false, ...(late ? { lateCallbacks: expect.any(Array) } : {}) });
    if ('removed' in result) expect(result.removed).toHaveLength(removed ?? 0);
    if ('removed' in result && late) expect(result.lateCallbacks).toHaveLength(late);
    expect(printed(rule)).toBe(expected);
  });
});

describe('fire and forget', () => {
  it('moves an early callback after work that persists, and the work is then awaited', () => {
    const rule = ruleOf(`callback(null, user, context);\nrequest.post(url, function (err) {\n  api.user.setAppMetadata('lead', true);\n});`);
    const moved = moveEarlyCallbacks(rule.body, names(rule), (statements) => JSON.stringify(statements).includes('"api"'));
    expect(moved).toHaveLength(1);
    const result = flattenFlows(rule.body, names(rule));
    expect(result.awaited).toHaveLength(1);
    expect(printed(rule)).toBe(
      `const [err] = await new Promise(resolve => request.post(url, (...results) => resolve(results)));\napi.user.setAppMetadata('lead', true);\ncallback(null, user, context);`,
    );
  });

  it('drops the calls back made after the rule had called back (the first call won)', () => {
    const rule = ruleOf(`a(function (err) {\n  api.user.setAppMetadata('seen', true);\n  return callback(err);\n});\nreturn callback(null, user, context);`);
    const result = flattenFlows(rule.body, names(rule));
    expect(result.lateCallbacks).toHaveLength(1);
    expect(printed(rule)).toBe(
      `const [err] = await new Promise(resolve => a((...results) => resolve(results)));\napi.user.setAppMetadata('seen', true);\nreturn callback(null, user, context);`,
    );
  });

  it('leaves an early callback alone when what follows saves nothing', () => {
    const rule = ruleOf(`callback(null, user, context);\nconsole.log('done');`);
    expect(moveEarlyCallbacks(rule.body, names(rule), () => false)).toEqual([]);
  });
});

describe('resolveTailHelpers: a sequential recursion over a list', () => {
  it('makes the helper return what it calls, so the rule awaits the whole loop', () => {
    const rule = ruleOf(
      `function next(i) {\n  if (i >= ids.length) return callback(null, user, context);\n  link(ids[i], function (err) {\n    if (err) return callback(err);\n    next(i + 1);\n  });\n}\nnext(0);`,
    );
    const { helpers, flow } = resolveTailHelpers(rule.body, names(rule));
    expect(helpers.map((h) => h.name)).toEqual(['next']);
    expect(flow.kept).toEqual([]);
    expect(printed(rule)).toBe(
      `async function next(i) {\n  if (i >= ids.length) return callback(null, user, context);\n  const [err] = await new Promise(resolve => link(ids[i], (...results) => resolve(results)));\n  if (err) return callback(err);\n  return next(i + 1);\n}\nreturn next(0);`,
    );
  });
});

/** The path of the rule body's first call in statement position. */
function firstCallPath(rule: RuleShape): NodePath {
  let found: NodePath | null = null;
  visit(rule.body, {
    visitCallExpression(path) {
      found ??= path;
      return false;
    },
  });
  return found!;
}

describe("the flow questions of the 'throws' policy", () => {
  const cases: Array<{ name: string; code: string; held: boolean; loop?: boolean; first?: boolean }> = [
    { name: 'a statement, nothing after', code: `get(url, cb);`, held: true, loop: false, first: false },
    { name: 'returned: nothing after runs', code: `return get(url, cb);\nlog(1);`, held: true, loop: false, first: false },
    { name: 'code after it runs first', code: `get(url, cb);\nlog(1);`, held: true, loop: false, first: true },
    { name: 'a bare return after it', code: `get(url, cb);\nreturn;`, held: true, loop: false, first: false },
    { name: 'code after its block runs first', code: `if (x) {\n  get(url, cb);\n}\nlog(1);`, held: true, loop: false, first: true },
    { name: 'in a loop', code: `for (const x of xs) {\n  get(x, cb);\n}`, held: true, loop: true, first: false },
    { name: 'its result used in an expression', code: `const r = get(url, cb);`, held: false },
  ];
  it.each(cases)('$name', ({ code, held, loop, first }) => {
    const rule = ruleOf(code);
    const statement = holdingStatement(firstCallPath(rule));
    expect(Boolean(statement)).toBe(held);
    if (!statement) return;
    expect(insideLoop(statement)).toBe(loop);
    expect(codeRunsFirst(statement)).toBe(first);
  });

  const b = recast.types.builders;
  const flows = [
    {
      name: 'checked: a try whose catch is the error branch; a final callback returns',
      handler: true,
      target: true,
      expected: `let users;\ntry {\n  users = await client.find();\n} catch (err) {\n  log(err);\n  return callback(err);\n}\ncallback(null, user, context);`,
    },
    { name: 'unchecked with a result: a const', handler: false, target: true, expected: `const users = await client.find();\ncallback(null, user, context);` },
    { name: 'unchecked, result unused: the await alone', handler: false, target: false, expected: `await client.find();\ncallback(null, user, context);` },
    {
      name: 'the handler guards the continuation (.then(f).catch(g)): one try around the work and the rest',
      handler: true,
      target: true,
      guards: 'continuation' as const,
      expected: `try {\n  const users = await client.find();\n  callback(null, user, context);\n} catch (err) {\n  log(err);\n  return callback(err);\n}`,
    },
    {
      name: 'a handler of the work alone that does not end the flow is followed by a return (the rest never ran after it)',
      handler: true,
      target: false,
      branch: 'log' as const,
      expected: `try {\n  await client.find();\n} catch (err) {\n  log(err);\n  return;\n}\ncallback(null, user, context);`,
    },
  ];
  it.each(flows)('flattenThrowing, $name', ({ handler, target, expected, ...more }) => {
    const guards = 'guards' in more ? more.guards : undefined;
    const logOnly = 'branch' in more;
    const rule = ruleOf(`get(url, cb);`);
    const statement = holdingStatement(firstCallPath(rule))!;
    const value = b.awaitExpression(b.callExpression(b.memberExpression(b.identifier('client'), b.identifier('find')), []));
    const errorBranch = [
      b.expressionStatement(b.callExpression(b.identifier('log'), [b.identifier('err')])),
      b.expressionStatement(b.callExpression(b.identifier('callback'), [b.identifier('err')])),
    ];
    if (logOnly) errorBranch.pop();
    const rest = [b.expressionStatement(b.callExpression(b.identifier('callback'), [b.nullLiteral(), b.identifier('user'), b.identifier('context')]))];
    flattenThrowing(
      statement,
      { value: value as never, target: target ? { name: 'users', kind: 'const' } : null, handler: handler ? { statements: errorBranch as never, errorName: 'err' } : null, rest: rest as never, comments: [], guards },
      names(rule),
    );
    expect(printed(rule)).toBe(expected);
  });
});

describe('matchCallFlow: the flow after a call whose convention the caller knows', () => {
  const cases: Array<{ name: string; code: string; convention: CallConvention; kind: string; continuation?: string; failure?: string; held?: boolean; steps?: number; named?: boolean }> = [
    { name: 'error-first: any first parameter name', code: `api(opts, function (failure, res, body) { callback(null, user, context); });`, convention: 'error-first', kind: 'continued', continuation: 'error-first', failure: 'error-value', held: true },
    { name: 'error-first: a named handler declared once', code: `api(id, onUser);\nfunction onUser(e, found) { callback(null, user, context); }`, convention: 'error-first', kind: 'continued', continuation: 'error-first', held: true, named: true },
    { name: 'error-first: inside an expression (no statement holds it)', code: `const r = api(opts, (e) => callback(e));`, convention: 'error-first', kind: 'continued', continuation: 'error-first', held: false },
    { name: 'error-first API given the rule callback: nothing to model', code: `api(opts, callback);`, convention: 'error-first', kind: 'none' },
    { name: 'error-first API used as a promise', code: `api(id).then((u) => callback(null, user, context)).catch(callback);`, convention: 'error-first', kind: 'continued', continuation: 'promise', failure: 'catch-all', held: true, steps: 1 },
    { name: 'awaited', code: `(async () => {\n  const users = await api(id);\n})();`, convention: 'promise', kind: 'awaited' },
    { name: '.then(f).catch(g): catch-all, held by its statement', code: `api(id).then(function (u) { callback(null, user, context); }).catch(function (e) { callback(e); });`, convention: 'promise', kind: 'continued', continuation: 'promise', failure: 'catch-all', held: true, steps: 1 },
    { name: '.then(f, g): catch-rejection', code: `return api(id).then((u) => callback(null, user, context), (e) => callback(e));`, convention: 'promise', kind: 'continued', continuation: 'promise', failure: 'catch-rejection', held: true, steps: 1 },
    { name: 'a leading named step is not folded into the call (and is no handler it can inline)', code: `api(id).then(parse).then((v) => callback(null, user, context));`, convention: 'promise', kind: 'none' },
    { name: 'two inline steps stay two steps', code: `api(id).then((u) => u.id).then((v) => callback(null, user, context));`, convention: 'promise', kind: 'continued', continuation: 'promise', failure: 'unhandled', held: true, steps: 2 },
    { name: 'a chain inside an expression', code: `const p = api(id).then((u) => u.id);`, convention: 'promise', kind: 'continued', continuation: 'promise', held: false, steps: 1 },
    { name: 'neither awaited, called back nor chained', code: `api(id);`, convention: 'promise', kind: 'none' },
    { name: 'passed on as a value', code: `Promise.all([api(id)]).then(() => callback());`, convention: 'promise', kind: 'none' },
  ];
  it.each(cases)('$name', ({ code, convention, kind, continuation, failure, held, steps, named }) => {
    const rule = ruleOf(code);
    let call: NodePath | null = null;
    visit(rule.body, {
      visitCallExpression(path) {
        if (n.Identifier.check(path.node.callee) && path.node.callee.name === 'api') call ??= path;
        this.traverse(path);
      },
    });
    const flow = matchCallFlow(call!, names(rule), rule.body as unknown as Node, convention);
    expect(flow.kind).toBe(kind);
    if (flow.kind !== 'continued') return;
    const c = flow.continuation;
    expect(c.kind).toBe(continuation);
    if (failure) expect(c.failure).toBe(failure);
    expect(flow.statement !== null).toBe(held);
    if (c.kind === 'promise' && steps !== undefined) expect(c.steps.length).toBe(steps);
    if (c.kind === 'error-first') expect(c.handler.declaration !== null).toBe(Boolean(named));
  });
});

describe('escapesCatch: failures a .catch did not see in Rules', () => {
  const cases: Array<{ name: string; code: string; escapes: boolean }> = [
    { name: 'a chain started and not returned', code: `p.then(function () { q.then(() => callback()); }).catch((e) => callback(e));`, escapes: true },
    { name: 'a chain returned', code: `p.then(function () { return q.then(() => callback()); }).catch((e) => callback(e));`, escapes: false },
    { name: 'a chain with its own .catch', code: `p.then(function () { q.then(() => callback()).catch((e) => callback(e)); }).catch((e) => callback(e));`, escapes: false },
    { name: 'a chain in a nested function is not started by the step', code: `p.then(function () { later(function () { q.then(f); }); }).catch((e) => callback(e));`, escapes: false },
    { name: '.then(f, g): g never saw f', code: `p.then(function () { q.then(() => callback()); }, (e) => callback(e));`, escapes: false },
  ];
  it.each(cases)('$name', ({ code, escapes }) => {
    const rule = ruleOf(code);
    let found: Continuation | null = null;
    visit(rule.body, {
      visitStatement(path) {
        if (!found && path.node === rule.body.body[0]) found = matchContinuation(path, names(rule), rule.body as unknown as Node);
        return false;
      },
      visitBlockStatement(path) {
        this.traverse(path);
      },
    });
    expect(found).not.toBeNull();
    expect(escapesCatch(found!) !== null).toBe(escapes);
  });

  it('keeps such a flow whole in flattenFlows (no try that would answer for it)', () => {
    const rule = ruleOf(`p.then(function () { q.then(() => callback(null, user, context)); }).catch((e) => callback(e));`);
    const result = flattenFlows(rule.body, names(rule));
    expect(result.flattened).toEqual([]);
    expect(result.kept).toHaveLength(1);
    expect(result.kept[0].why).toMatch(/not returned/);
  });
});

describe('matchContinuation { bare }: a promise handed on or waited for, with no handler', () => {
  const cases: Array<{ name: string; code: string; bare: boolean; kind: string | null; steps?: number; failure?: string }> = [
    { name: 'returned: a promise continuation with no steps', code: `return update(a);`, bare: true, kind: 'promise', steps: 0, failure: 'unhandled' },
    { name: 'returned, without the option: none', code: `return update(a);`, bare: false, kind: null },
    { name: 'awaited: no steps', code: `(async () => {\n  await update(a);\n})();`, bare: true, kind: 'promise', steps: 0 },
    { name: 'an awaited chain is read through the await', code: `(async () => {\n  await update(a).then(() => callback(null, user, context)).catch(callback);\n})();`, bare: true, kind: 'promise', steps: 1, failure: 'catch-all' },
    { name: 'an awaited chain, without the option: none', code: `(async () => {\n  await update(a).then(() => callback(null, user, context));\n})();`, bare: false, kind: null },
    { name: 'a call in statement position is not waited for', code: `update(a);`, bare: true, kind: null },
  ];
  it.each(cases)('$name', ({ code, bare, kind, steps, failure }) => {
    const rule = ruleOf(code);
    let found: Continuation | null = null;
    visit(rule.body, {
      visitStatement(path) {
        // The statement that starts with the update (not the async wrapper around it).
        if (!found && /^(return |await )?update\(a\)/.test(recast.print(path.node).code)) found = matchContinuation(path, names(rule), rule.body as unknown as Node, { bare });
        this.traverse(path);
      },
    });
    const c = found as Continuation | null;
    expect(c?.kind ?? null).toBe(kind);
    if (c?.kind === 'promise' && steps !== undefined) expect(c.steps.length).toBe(steps);
    if (c && failure) expect(c.failure).toBe(failure);
  });
});

describe('passedToThen: a value, not a function, passed to .then', () => {
  const cases: Array<{ name: string; code: string; passed: string | null }> = [
    { name: 'a started call', code: `update(a).then(update(b))`, passed: 'update(b)' },
    { name: 'a function is a handler', code: `update(a).then(() => update(b))`, passed: null },
    { name: '.then(f, g) is not this shape', code: `update(a).then(x, y)`, passed: null },
    { name: '.catch(value) is not this shape', code: `update(a).catch(update(b))`, passed: null },
  ];
  it.each(cases)('$name', ({ code, passed }) => {
    const rule = ruleOf(`${code};`);
    const expr = (rule.body.body[0] as unknown as { expression: unknown }).expression;
    const link = passedToThen(expr);
    expect(link ? recast.print(link.passed as never).code : null).toBe(passed);
    if (link) expect(recast.print(link.promise as never).code).toBe('update(a)');
  });
});
