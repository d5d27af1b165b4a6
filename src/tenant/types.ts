// The tenant-level facts one rule's migration needs, as plain data (it is structured-cloned to workers).

/**
 * How one `global.X` the rule uses is shared in the tenant:
 * - `helper`: a function another rule defines; carried into this Action as a module-level function.
 * - `constant`: a value another rule defines that is the same at every login; a module-level constant.
 * - `configuration`: another rule copies `configuration.KEY` into it; read as the secret.
 * - `defined-here`: this rule defines the helper/constant/configuration value others read; the definition
 *   moves to them (and goes from here).
 * - `local`: this rule writes it and reads it (a cache or memo): a module-level variable, per instance.
 * - `state`: read here, written elsewhere with a value only known at run time: no Action equivalent.
 */
export type GlobalShareKind = 'helper' | 'constant' | 'configuration' | 'defined-here' | 'local' | 'state';

export interface GlobalShare {
  kind: GlobalShareKind;
  /** helper: the function's source (a function expression or declaration); constant: the value's source. */
  code?: string;
  /** configuration: the rules-configs key. */
  key?: string;
  /** The rule defining it. */
  definedBy?: string;
  /** The definition runs before this rule (false: only a warm container had it). */
  earlier?: boolean;
  /** helper: why it cannot be carried. */
  blocker?: string;
  /** helper: require statements of the defining rule it uses. */
  requires?: string[];
  /** helper: user/context/callback of the defining rule it reads (now the current login's). */
  closesOver?: string[];
  /** helper: the defining rule's parameter names by position ('' when not a plain name). */
  definerParams?: string[];
  /** helper: other globals it reads. */
  uses?: string[];
  /** Other rules reading it. */
  readers: string[];
  /** Rules writing it. */
  writers: string[];
}

/** A `context.X` / `user.X` written by one rule and read by another. */
export interface SharedField {
  kind: 'context' | 'user';
  /** The dotted path under context/user (`plan`, `request.query.redirect_uri`); also the transaction metadata key. */
  field: string;
  /** Some rule writes a value that is not a string, number or boolean: JSON-encoded in transaction metadata. */
  json: boolean;
  /** Written by changing what it holds (`context.x.y = …`, `user.roles.push(…)`), not by assignment. */
  nested: boolean;
  /** passes: the later rules reading it; receives: the earlier rules writing it. */
  others: string[];
}

export interface RuleTenantView {
  /** Index in the tenant's execution order, and how many rules the tenant has. */
  position: number;
  rules: number;
  /** Every global name the rule uses (and those its carried helpers use). */
  globals: Record<string, GlobalShare>;
  /** Fields this rule writes that a later rule reads. */
  passes: SharedField[];
  /** Fields this rule reads that an earlier rule writes. */
  receives: SharedField[];
  /** How the order was decided when the input had none (plain .js files: file order). */
  orderNote?: string;
}
