/**
 * auth0-deploy-cli keyword tokens, replaced the way a0deploy does before deploy (formats.md §4):
 * `@@KEY@@` (with the quotes around it, if any) becomes JSON.stringify(value), `##KEY##` the value as
 * text. A rule holding a token has no runnable text until the token has a value.
 */

export type KeywordValues = Record<string, unknown>;

export interface Substitution {
  code: string;
  /** Tokens left in the text because no value was given, in order of first appearance. */
  missing: string[];
}

// Same token shape as src/tokens.ts; kept here so src/verify/ stays self-contained for the child build.
const TOKEN = /@@[A-Za-z0-9_]+@@|##[A-Za-z0-9_]+##/g;
const QUOTED_AT = /(['"`]?)@@([A-Za-z0-9_]+)@@\1/g;
const HASH = /##([A-Za-z0-9_]+)##/g;

export function substituteKeywords(source: string, values: KeywordValues): Substitution {
  const missing = [...new Set((source.match(TOKEN) ?? []).filter((t) => !(t.slice(2, -2) in values)))];
  const code = source
    .replace(QUOTED_AT, (whole, _quote: string, key: string) => (key in values ? JSON.stringify(values[key]) : whole))
    .replace(HASH, (whole, key: string) => (key in values ? String(values[key]) : whole));
  return { code, missing };
}
