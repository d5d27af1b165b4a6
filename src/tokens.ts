// auth0-deploy-cli keyword tokens (`@@KEY@@`, `##KEY##`) are replaced textually before deploy,
// so they may sit where JavaScript cannot parse them. Mask them with identifiers of the same
// length (line/column positions stay exact) and restore the original bytes after printing.

const TOKEN = /@@[A-Za-z0-9_]+@@|##[A-Za-z0-9_]+##/g;

export interface TokenMask {
  masked: string;
  /** The identifiers standing in for tokens. */
  placeholders: string[];
  /** Puts every original token back; returns null when a token was lost or duplicated. */
  restore(text: string): string | null;
}

export function maskTokens(source: string): TokenMask {
  const byToken = new Map<string, string>();
  let counter = 0;
  const masked = source.replace(TOKEN, (token) => {
    let placeholder = byToken.get(token);
    if (!placeholder) {
      do placeholder = makePlaceholder(token.length, counter++);
      while (source.includes(placeholder) || [...byToken.values()].includes(placeholder));
      byToken.set(token, placeholder);
    }
    return placeholder;
  });
  if (byToken.size === 0) return { masked, placeholders: [], restore: (text) => text };

  const expected = countAll(masked, byToken);
  return {
    masked,
    placeholders: [...byToken.values()],
    restore(text) {
      const found = countAll(text, byToken);
      for (const [token, count] of expected) if (found.get(token) !== count) return null;
      let out = text;
      for (const [token, placeholder] of byToken) out = out.split(placeholder).join(token);
      return out;
    },
  };
}

/** Tokens are at least 5 characters long (`@@X@@`), so the placeholder fits in that. */
function makePlaceholder(length: number, n: number): string {
  const id = `$${n.toString(36)}$`;
  return (id + '_'.repeat(length)).slice(0, length).replace(/_$/, '$');
}

function countAll(text: string, byToken: Map<string, string>): Map<string, number> {
  const counts = new Map<string, number>();
  for (const [token, placeholder] of byToken) counts.set(token, text.split(placeholder).length - 1);
  return counts;
}

export function findTokens(source: string): string[] {
  return source.match(TOKEN) ?? [];
}
