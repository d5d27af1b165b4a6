import { isBuiltin } from 'node:module';
import * as recast from 'recast';
import { b, enclosingStatement, n, quote, type NodePath } from '../src/ast.js';
import { isGlobalReference, isReference, patternIdentifiers, ruleScopes, type RuleScopes } from '../src/ast/scope.js';
import { addModuleRequire, moduleDeclares } from '../src/module-requires.js';
import { isConcreteVersion, pinnedVersion } from '../src/pins.js';
import { freshStatements } from '../src/context-writes.js';
import { identifiersIn } from '../src/nodes.js';
import type { Node, RuleShape, Statement, Transform, TransformContext } from '../src/types.js';
import type { namedTypes as K } from 'ast-types';
import { visit } from '../src/visit.js';
import { someNode } from '../src/walk.js';

type Call = recast.types.namedTypes.CallExpression;

/** Modules the Rules sandbox provided as globals, by the name rules used for them. */
const SANDBOX_MODULES: Record<string, string> = { request: 'request', async: 'async', _: 'lodash', jwt: 'jsonwebtoken' };

/** Globals of the Rules sandbox that do not exist at the top of an Action module. */
const RULE_GLOBALS = new Set(['configuration', 'auth0', 'global', 'UnauthorizedError', ...Object.keys(SANDBOX_MODULES)]);

/**
 * `require('x@1.2.3')` → `require('x')` plus the dependency `x@1.2.3` (MIG "Convert
 * dependencies"). A require that is a top-level statement of the rule moves to the top of the
 * module; one nested elsewhere stays where it is. Modules the sandbox gave rules without a require
 * (`request`, `async`, `_`, `jwt`) are required explicitly.
 */
export const requireDependencies: Transform = {
  id: 'require-dependencies',
  description: "require('x@1.2.3') → require('x') at the top of the module + dependency x@1.2.3; sandbox globals required",
  safety: 'safe',
  messages: {
    'dependency-pinned': { severity: 'info', text: '{{name}}@{{version}} becomes a dependency of the Action.' },
    'version-unknown': {
      severity: 'error',
      text:
        '{{name}} is required without a version and no pin names one, so the Action is not deployed: add "{{name}}": "x.y.z" to a pins file ' +
        '(--pins pins.json) or to "dependencies" in rules2actions.config.json, or require \'{{name}}@x.y.z\' (the rule ran whatever version the sandbox had).',
    },
    'version-from-pins': { severity: 'info', text: '{{name}} is required without a version; the pins give {{version}}.' },
    'version-conflict': {
      severity: 'warning',
      text: '{{name}} is required as version {{version}} here and {{other}} elsewhere; the Action has one dependency, {{name}}@{{other}}.',
    },
    'implicit-global': {
      severity: 'warning',
      text: '`{{global}}` was provided by the Rules sandbox without a require; the Action requires {{name}} at the top and lists it as a dependency.',
    },
    'dynamic-require': {
      severity: 'error',
      text: 'This require does not name its module literally; add the module as a dependency of the Action by hand.',
    },
    'local-require': {
      severity: 'error',
      text: "Actions cannot require local files ('{{specifier}}'); inline the code or publish it as a package.",
    },
  },
  apply(ctx) {
    // One scan for the names both passes look for. Hoisting only removes code: a name absent now stays absent.
    const present = identifiersIn(ctx.rule.fn, ['require', ...Object.keys(SANDBOX_MODULES)]);
    const requires = present.has('require') ? findRequires(ctx) : [];
    const pinned = pinnedVersions(requires);
    const hoisted = new Set<Node>();
    // Names do not change until hoisting: resolved once, when first needed.
    let scopes: RuleScopes | undefined;
    const names = () => (scopes ??= ruleScopes(ctx.rule));
    for (const found of requires) {
      const target = resolveRequire(ctx, found, pinned);
      if (target && found.topLevel && !hoisted.has(found.topLevel) && isHoistable(found.topLevel, ctx.rule, names)) hoisted.add(found.topLevel);
    }
    hoistStatements(ctx, hoisted);
    if (Object.keys(SANDBOX_MODULES).some((name) => present.has(name))) requireSandboxGlobals(ctx);
  },
};

/** The first version each package is pinned to anywhere in the rule. */
function pinnedVersions(requires: FoundRequire[]): Map<string, string> {
  const pinned = new Map<string, string>();
  for (const { argument } of requires) {
    const specifier = literalValue(argument.node);
    const parsed = specifier === null ? null : parseSpecifier(specifier);
    if (parsed && isConcreteVersion(parsed.version) && !pinned.has(parsed.name)) pinned.set(parsed.name, parsed.version);
  }
  return pinned;
}

interface FoundRequire {
  call: Call;
  argument: NodePath;
  /** The statement of the rule body holding the require, when it is a direct child of the body. */
  topLevel: Statement | null;
}

function findRequires(ctx: TransformContext): FoundRequire[] {
  const { rule } = ctx;
  const found: FoundRequire[] = [];
  visit(rule.fn, {
    visitCallExpression(path) {
      const call = path.node;
      if (n.Identifier.check(call.callee) && isGlobalReference(path.get('callee'), 'require', rule) && call.arguments.length === 1) {
        const statement = enclosingStatement(path)?.node;
        found.push({ call, argument: path.get('arguments', 0), topLevel: rule.body.body.includes(statement) ? statement : null });
      }
      this.traverse(path);
    },
  }, (node) => (node.callee as { name?: unknown } | undefined)?.name === 'require' && (node.arguments as unknown[] | undefined)?.length === 1);
  return found;
}

interface Specifier {
  /** The package (`@scope/pkg`), or the core module. */
  name: string;
  version: string;
  /** What the Action requires: the package and any sub-path, without the version. */
  bare: string;
}

/**
 * `@scope/pkg@1.0.0/sub` → { name: '@scope/pkg', version: '1.0.0', bare: '@scope/pkg/sub' }; the
 * version may also follow the sub-path (`uuid/v1@3.3.2` → uuid 3.3.2, `uuid/v1`).
 */
export function parseSpecifier(specifier: string): Specifier | null {
  const match = /^((?:@[^/@\s]+\/)?[^/@\s]+)(?:@([^/\s]*))?(\/[^@\s]*)?(?:@([^/@\s]+))?$/.exec(specifier);
  if (!match) return null;
  const [, name, before = '', subPath = '', after = ''] = match;
  if (before && after) return null;
  return { name, version: before || after, bare: name + subPath };
}

function literalValue(node: unknown): string | null {
  if (n.StringLiteral.check(node)) return node.value;
  if (n.Literal.check(node) && typeof node.value === 'string') return node.value;
  if (n.TemplateLiteral.check(node) && node.expressions.length === 0) return node.quasis[0].value.cooked ?? null;
  return null;
}

/** Rewrites the specifier and records the dependency; null when the require could not be resolved. */
function resolveRequire(ctx: TransformContext, { call, argument }: FoundRequire, pinned: Map<string, string>): Specifier | null {
  const specifier = literalValue(argument.node);
  if (specifier === null) {
    ctx.todo({ node: call, code: 'dynamic-require', statement: enclosingStatement(argument)!.node });
    return null;
  }
  if (/^[./]/.test(specifier)) {
    ctx.todo({ node: call, code: 'local-require', data: { specifier }, statement: enclosingStatement(argument)!.node });
    return null;
  }
  const parsed = parseSpecifier(specifier);
  if (!parsed) {
    ctx.todo({ node: call, code: 'dynamic-require', statement: enclosingStatement(argument)!.node });
    return null;
  }
  if (parsed.bare !== specifier) argument.replace(b.stringLiteral(parsed.bare));
  // Node core modules come with the runtime.
  if (isBuiltin(parsed.bare) || isBuiltin(parsed.name)) return parsed;

  // The rule's own version wins; else the user's pins; never an invented one (`latest` is no version).
  const own = pinned.get(parsed.name) ?? '';
  const chosen = own || pinnedVersion(ctx.options.pins, parsed.name);
  const version = isConcreteVersion(parsed.version) ? parsed.version : '';
  if (version && version !== chosen) {
    ctx.report({ node: call, code: 'version-conflict', data: { name: parsed.name, version, other: chosen } });
  } else if (version) {
    ctx.report({ node: call, code: 'dependency-pinned', data: { name: parsed.name, version } });
  } else if (!chosen) {
    ctx.report({ node: call, code: 'version-unknown', data: { name: parsed.name } });
  } else if (!own) {
    ctx.report({ node: call, code: 'version-from-pins', data: { name: parsed.name, version: chosen } });
  }
  // Pinned elsewhere in the rule: that version is the dependency's.
  ctx.addDependency({ name: parsed.name, version: chosen });
  return parsed;
}

/**
 * A top-level statement can move to the module top when it only requires: `require('x');` or a
 * declaration whose initializers use nothing of the rule (no local variable, no rule global) and
 * whose names are never reassigned.
 */
function isHoistable(statement: Statement, rule: RuleShape, names: () => RuleScopes): boolean {
  if (n.ExpressionStatement.check(statement)) return isRequireCall(statement.expression);
  if (!n.VariableDeclaration.check(statement)) return false;
  if (!statement.declarations.every((d) => n.VariableDeclarator.check(d) && d.init && containsRequire(d.init))) return false;
  let independent = true;
  visit(statement, {
    visitFunction() {
      // Functions inside an initializer (callbacks passed at require time) are rare: keep them in place.
      independent = false;
      return false;
    },
    visitAwaitExpression() {
      independent = false;
      return false;
    },
    visitThisExpression() {
      independent = false;
      return false;
    },
    visitIdentifier(path) {
      const { name } = path.node;
      const isDeclared = n.VariableDeclarator.check(path.parent?.node) && path.name === 'id';
      const inPattern = !isDeclared && isInsideDeclaratorId(path);
      if (!isDeclared && !inPattern && isReference(path) && name !== 'require') {
        // A variable of the rule (or one the statement declares itself) would not exist at module level.
        if (RULE_GLOBALS.has(name) || names().resolve(path.node) !== null) independent = false;
      }
      this.traverse(path);
    },
  });
  if (!independent) return false;
  const declared = statement.declarations.flatMap((d) => (n.VariableDeclarator.check(d) ? patternIdentifiers(d.id) : []));
  // At module level these would be hidden by the handler's own parameters.
  if (declared.some((id) => id.name === 'event' || id.name === 'api')) return false;
  // A module-level binding is shared by every execution: one that the rule reassigns stays local.
  if (!mayBeWritten(rule.fn, new Set(declared.map((id) => id.name)), statement)) return true;
  return !declared.some((id) => (names().declared(id)?.writes.length ?? 0) > 0);
}

/**
 * False when nothing under `root` can write one of `names`: no assignment, update or for-in/of head
 * holding the name, no other declarator of it (src/ast/scope.ts counts both as writes). Spares the
 * analysis for the usual `const x = require('x')`.
 */
function mayBeWritten(root: Node, names: ReadonlySet<string>, own: K.VariableDeclaration): boolean {
  const holds = (target: unknown) => someNode(target, (node) => n.Identifier.check(node) && names.has(node.name));
  return someNode(root, (node) =>
    (n.AssignmentExpression.check(node) && holds(node.left)) ||
    (n.UpdateExpression.check(node) && holds(node.argument)) ||
    ((n.ForInStatement.check(node) || n.ForOfStatement.check(node)) && holds(node.left)) ||
    (n.VariableDeclarator.check(node) && !own.declarations.includes(node) && holds(node.id)),
  );
}

function isInsideDeclaratorId(path: NodePath): boolean {
  for (let current: NodePath | null = path; current?.parent; current = current.parent) {
    if (n.VariableDeclarator.check(current.parent.node)) return current.name === 'id';
  }
  return false;
}

function isRequireCall(node: unknown): boolean {
  return n.CallExpression.check(node) && n.Identifier.check(node.callee) && node.callee.name === 'require';
}

function containsRequire(node: Node): boolean {
  return someNode(node, isRequireCall);
}


function hoistStatements(ctx: TransformContext, hoisted: Set<Node>) {
  const body = ctx.rule.body.body;
  for (const statement of [...body]) {
    if (!hoisted.has(statement)) continue;
    if (n.VariableDeclaration.check(statement)) statement.kind = 'const';
    const result = addModuleRequire(ctx.module, statement);
    // A name already taken at module level: the statement stays in the rule, where it was.
    if (result !== 'conflict') body.splice(body.indexOf(statement), 1);
  }
}

function requireSandboxGlobals(ctx: TransformContext) {
  const { rule } = ctx;
  const firstUse = new Map<string, Node>();
  visit(rule.fn, {
    visitIdentifier(path) {
      const { name } = path.node;
      // Own keys only: a free `toString` is not a module (it made quote() throw).
      if (Object.hasOwn(SANDBOX_MODULES, name) && !firstUse.has(name) && isGlobalReference(path, name, rule)) firstUse.set(name, path.node);
      this.traverse(path);
    },
  }, (node) => typeof node.name === 'string' && Object.hasOwn(SANDBOX_MODULES, node.name));
  for (const [global, node] of firstUse) {
    if (moduleDeclares(ctx.module, global)) continue;
    const name = SANDBOX_MODULES[global];
    const [statement] = freshStatements(`const ${global} = require(${quote(name)});`);
    addModuleRequire(ctx.module, statement);
    ctx.report({ node, code: 'implicit-global', data: { global, name } });
    const version = pinnedVersion(ctx.options.pins, name);
    if (!version) ctx.report({ node, code: 'version-unknown', data: { name } });
    ctx.addDependency({ name, version });
  }
}
