/**
 * One clock for both sides of a scenario: the verify child replaces the global `Date` with one whose
 * "now" is fixed per scenario, so a rule and its Action that store `new Date()` or `Date.now()` write
 * the same value. Dates built from arguments, `Date.parse` and `Date.UTC` are untouched. Time does not
 * advance: run time limits use timers, and the emulator measures with `performance.now()`.
 */
const RealDate = Date;

/** Default "now": after every `created_at` of the built-in scenarios. */
export const DEFAULT_NOW = '2025-06-03T10:00:00.000Z';

let nowMs = RealDate.parse(DEFAULT_NOW);

export function setNow(iso: string | undefined): void {
  const parsed = RealDate.parse(iso ?? DEFAULT_NOW);
  if (Number.isNaN(parsed)) throw new Error(`not a date: ${iso}`);
  nowMs = parsed;
}

function FrozenDate(this: unknown, ...args: unknown[]): unknown {
  if (!new.target) return new RealDate(nowMs).toString();
  return Reflect.construct(RealDate, args.length === 0 ? [nowMs] : args, new.target);
}
FrozenDate.prototype = RealDate.prototype;
Object.setPrototypeOf(FrozenDate, RealDate);
(FrozenDate as unknown as { now: () => number }).now = () => nowMs;

let installed = false;

export function installFrozenClock(): void {
  if (installed) return;
  installed = true;
  globalThis.Date = FrozenDate as unknown as DateConstructor;
}
