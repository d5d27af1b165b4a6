import type { namedTypes } from 'ast-types';
import type { ExpressionKind, NodeKind, StatementKind } from 'ast-types/lib/gen/kinds.js';
import type { RuleTenantView } from './tenant/types.js';
import type { SharedPart } from './tenant/module.js';

export type Node = NodeKind;
/** A recast NodePath whose node is a statement inside a block. */
export interface StatementPath {
  node: Node;
  replace(...nodes: Node[]): unknown;
}
export type File = namedTypes.File;
export type Statement = StatementKind;
export type Expression = ExpressionKind;
export type BlockStatement = namedTypes.BlockStatement;
export type RuleFunction =
  | namedTypes.FunctionDeclaration
  | namedTypes.FunctionExpression
  | namedTypes.ArrowFunctionExpression;

export type Severity = 'error' | 'warning' | 'info';

/** error: not converted, needs a human; warning: converted, review it; info: converted. */
export interface Finding {
  code: string;
  transform: string;
  severity: Severity;
  message: string;
  /** 1-based */
  line: number;
  /** 1-based */
  column: number;
  suggestion?: string;
}

export interface MessageSpec {
  severity: Severity;
  /** Template with {{placeholders}} filled from report data. */
  text: string;
  suggestion?: string;
  /** The Action could not run with what this finding marks: the rule ends `failed` (returned unchanged). */
  fails?: boolean;
}

export interface Dependency {
  name: string;
  /** Empty when the rule did not pin one: the user has to choose. */
  version: string;
}

/** What the Action needs set up before it is deployed. */
export interface Requirements {
  secrets: string[];
  dependencies: Dependency[];
  /** Management API scopes for the M2M application. */
  scopes: string[];
}

export interface RuleShape {
  /** The top-level statement holding the rule; rule-signature replaces it with the handler. */
  statement: Statement;
  fn: RuleFunction;
  body: BlockStatement;
  /** Parameter names by position; undefined when the rule declares fewer. */
  user?: string;
  context?: string;
  callback?: string;
  isAsync: boolean;
}

/** Pieces of the output module that transforms contribute outside the handler body. */
export interface ModuleParts {
  /** `const x = require('x')` statements placed at the top of the module. */
  requires: Statement[];
  /** Helper declarations placed after the requires (e.g. a Management API client factory). */
  prelude: Statement[];
  /** Body of `exports.onContinuePostLogin`, when the rule had a redirect-callback branch. */
  continueBody: BlockStatement | null;
  /** Reads of a passed context/user field that start the rule's local copy (src/tenant/prepare.ts): not read-backs. */
  copies?: Node[];
}

export interface ReportInput {
  node: Node | null | undefined;
  code: string;
  data?: Record<string, string | number>;
}

export interface TransformContext {
  readonly ast: File;
  /** The text `ast` was parsed from (keyword tokens masked, an anonymous rule named). */
  readonly text: string;
  readonly rule: RuleShape;
  readonly options: Readonly<ResolvedOptions>;
  readonly needs: Requirements;
  readonly module: ModuleParts;
  /** Records a finding located at `node` (falls back to the rule function when it has no location). */
  report(input: ReportInput): void;
  /** Reports like `report` and leaves a `// TODO(rules2actions): <message>` above `statement` (default: `node`). */
  todo(input: ReportInput & { statement?: Node }): void;
  /**
   * For code that cannot run in an Action: comments the statement out (it stays in the output,
   * under a TODO marker) and records an error finding.
   */
  disable(input: ReportInput & { statement: StatementPath }): void;
  addSecret(name: string): void;
  addDependency(dep: Dependency): void;
  addScope(scope: string): void;
  /** Marks the rule as account linking (MigrationResult.linking); optional for contexts built elsewhere. */
  markLinking?(): void;
}

export interface Transform {
  /** kebab-case; equals the file name in transforms/ and the fixture folder name. */
  id: string;
  description: string;
  safety: 'safe' | 'review';
  messages: Record<string, MessageSpec>;
  /**
   * A cheap test on the rule's text: when it is false the transform has nothing to do and is skipped.
   * It must never be false for a rule the transform would change or report on.
   */
  relevant?: RegExp;
  apply(ctx: TransformContext): void;
}

export type SdkMajor = 4 | 7;

export interface MigrateOptions {
  /** Used in diff headers and messages. */
  filename?: string;
  /** Target `auth0` SDK major for Management API calls (default 7). */
  sdk?: SdkMajor;
  /** Run only these transform ids (registry order is kept). */
  transforms?: string[];
  /** Rule id (`rul_…`) when known: the Action starts with an `api.rules.wasExecuted` guard. */
  ruleId?: string;
  /** Emit the wasExecuted guard when ruleId is known (default true). */
  guard?: boolean;
  /** Compute `diff` (default true); runs that only write Actions skip its cost. */
  diff?: boolean;
  /**
   * Versions for modules required without one (`--pins`, rules2actions.config.json; src/pins.ts):
   * package → exact version. A module with neither a version nor a pin gets an error finding.
   */
  pins?: Record<string, string>;
  /** What the other rules of the tenant share with this one (src/tenant); migrateTenant fills it. */
  tenant?: RuleTenantView;
  /** `--module`: also give the Action requiring the tenant's shared-helpers module (MigrationResult.shared). */
  sharedModule?: boolean;
}

export type ResolvedOptions = Required<Omit<MigrateOptions, 'ruleId' | 'transforms' | 'pins' | 'tenant' | 'sharedModule'>> &
  Pick<MigrateOptions, 'ruleId' | 'transforms' | 'pins' | 'tenant' | 'sharedModule'>;

/** Library view of one file. The report view (migrated/review/failed) is derived in report.ts. */
export type FileStatus = 'ok' | 'nochange' | 'error';

export interface MigrationResult {
  /** The Action, or the input unchanged when status is not 'ok'. */
  code: string;
  findings: Finding[];
  /** Unified diff input → code; '' when unchanged. Computed when first read. */
  diff: string;
  status: FileStatus;
  needs: Requirements;
  /** True when account-linking code was detected. */
  linking: boolean;
  /** A library rule: it only defined shared helpers/values, now carried into the Actions using them; no Action to deploy. */
  noAction?: boolean;
  /**
   * `sharedModule`: the Action with its stand-alone carried helpers taken out for the tenant's
   * shared-helpers Actions Module (`code` requires it), and what it gives that module.
   */
  shared?: SharedPart & { code: string };
}
