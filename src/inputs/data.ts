// Reading JSON and YAML export files that may hold auth0-deploy-cli keyword tokens.
// a0deploy replaces tokens in the raw text before parsing, so `"enabled": @@ENABLED@@` or
// `value: ##SECRET##` are legal in an export but not JSON/YAML as written. The masking of
// src/tokens.ts yields identifiers, which bare JSON cannot hold; here a bare token becomes a quoted
// string placeholder of the same length (positions in errors stay exact), and every parsed string
// gets its original token bytes back.
import { lazyModule } from '../lazy-module.js';

const yamlLibrary = lazyModule<typeof import('yaml')>('yaml');

const TOKEN = /@@[A-Za-z0-9_]+@@|##[A-Za-z0-9_]+##/g;
// Private-use characters: printable in YAML, legal unescaped inside JSON strings.
const START = '\uE000';
const PAD = '\uE001';
const PLACEHOLDER = /\uE000(\d+)\uE001*/g;

/** A JSON or YAML file that cannot be read as written: file, 1-based line and column, message. */
export class DataError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly column: number,
    message: string,
  ) {
    super(`${file}:${line}:${column}: ${message}`);
  }
}

interface Masked {
  text: string;
  tokens: string[];
}

function placeholder(index: number, length: number): string {
  const head = `${START}${index}`;
  return head + PAD.repeat(Math.max(0, length - head.length));
}

/** JSON: tokens inside strings become placeholders; bare ones become a quoted placeholder string. */
function maskJson(source: string): Masked {
  const tokens: string[] = [];
  let out = '';
  let inString = false;
  let escaped = false;
  let last = 0;
  for (let i = 0; i < source.length; i++) {
    const char = source[i];
    if (char === '@' || char === '#') {
      TOKEN.lastIndex = i;
      const match = TOKEN.exec(source);
      if (match && match.index === i) {
        const token = match[0];
        const index = tokens.push(token) - 1;
        out += source.slice(last, i) + (inString ? placeholder(index, token.length) : `"${placeholder(index, token.length - 2)}"`);
        i += token.length - 1;
        last = i + 1;
        escaped = false;
        continue;
      }
    }
    if (inString) {
      if (escaped) escaped = false;
      else if (char === '\\') escaped = true;
      else if (char === '"') inString = false;
    } else if (char === '"') inString = true;
  }
  return { text: out + source.slice(last), tokens };
}

function maskYaml(source: string): Masked {
  const tokens: string[] = [];
  const text = source.replace(TOKEN, (token) => placeholder(tokens.push(token) - 1, token.length));
  return { text, tokens };
}

function restore<T>(value: T, tokens: string[]): T {
  if (tokens.length === 0) return value;
  const fix = (text: string) => text.replace(PLACEHOLDER, (_, index: string) => tokens[Number(index)] ?? '');
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return fix(v);
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object') {
      return Object.fromEntries(Object.entries(v).map(([k, item]) => [fix(k), walk(item)]));
    }
    return v;
  };
  return walk(value) as T;
}

/** Puts the original token bytes back into text written from a masked document. */
export function unmaskText(text: string, tokens: string[]): string {
  return tokens.length ? text.replace(PLACEHOLDER, (_, index: string) => tokens[Number(index)] ?? '') : text;
}

function lineColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, Math.max(0, Math.min(offset, text.length)));
  const line = before.split('\n').length;
  return { line, column: offset - (before.lastIndexOf('\n') + 1) + 1 };
}

/**
 * Parses JSON with tokens masked. Errors name the file, line, column and the kind of problem, never
 * the text: export files hold secrets (rules-configs values), and V8's messages quote a snippet.
 */
export function parseJson(source: string, file: string): unknown {
  const { text, tokens } = maskJson(source.replace(/^\uFEFF/, ''));
  try {
    return restore(JSON.parse(text), tokens);
  } catch {
    const { offset, kind } = jsonError(text);
    const { line, column } = lineColumn(text, offset);
    throw new DataError(file, line, column, `invalid JSON: ${kind}. Fix the file and run again.`);
  }
}

/**
 * Parses YAML with tokens masked. Returns the plain value plus what is needed to edit the
 * document and write it back with the tokens intact.
 */
export function parseYaml(source: string, file: string) {
  const { text, tokens } = maskYaml(source.replace(/^\uFEFF/, ''));
  const document = yamlLibrary().parseDocument(text, { prettyErrors: false, uniqueKeys: false });
  const problem = document.errors[0];
  if (problem) {
    const offset = problem.pos?.[0] ?? 0;
    const at = problem.linePos?.[0];
    const { line, column } = at ? { line: at.line, column: at.col } : lineColumn(text, offset);
    // The library's code, not its message: messages may quote the document (a secret value).
    const kind = String(problem.code ?? 'syntax error').toLowerCase().replace(/_/g, ' ');
    throw new DataError(file, line, column, `invalid YAML: ${kind}. Fix the file and run again.`);
  }
  return { value: restore(document.toJS() as unknown, tokens), document, tokens };
}

/**
 * Offset and kind of the first syntax error in text that JSON.parse rejected, in our own words: V8
 * does not always say where, and quotes the text ("Unexpected token 'x', "…" is not valid JSON").
 */
function jsonError(text: string): { offset: number; kind: string } {
  let i = 0;
  let kind = 'unexpected character';
  const fail = (at: number, why?: string): never => {
    if (why) kind = why;
    else if (at >= text.length) kind = 'unexpected end of the file';
    throw at;
  };
  const ws = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i])) i++;
  };
  const literal = (word: string) => (text.startsWith(word, i) ? (i += word.length) : fail(i));
  const string = () => {
    i++;
    while (i < text.length && text[i] !== '"') {
      if (text.charCodeAt(i) < 0x20) fail(i, 'control character or line break inside a string');
      i += text[i] === '\\' ? 2 : 1;
    }
    if (i >= text.length) fail(i, 'unterminated string');
    i++;
  };
  const number = () => {
    const match = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(text.slice(i));
    if (!match) fail(i, 'invalid number');
    i += match![0].length;
  };
  const value = (): void => {
    ws();
    const char = text[i];
    if (char === '{') return members('}', true);
    if (char === '[') return members(']', false);
    if (char === '"') return string();
    if (char === 't') return void literal('true');
    if (char === 'f') return void literal('false');
    if (char === 'n') return void literal('null');
    if (char === '-' || (char >= '0' && char <= '9')) return number();
    fail(i);
  };
  const members = (close: string, object: boolean) => {
    i++;
    ws();
    if (text[i] === close) return void i++;
    for (;;) {
      if (object) {
        ws();
        if (text[i] !== '"') fail(i, i >= text.length ? undefined : 'expected a double-quoted property name');
        string();
        ws();
        if (text[i] !== ':') fail(i, i >= text.length ? undefined : "expected ':' after a property name");
        i++;
      }
      value();
      ws();
      if (text[i] === ',') {
        i++;
        continue;
      }
      if (text[i] === close) return void i++;
      fail(i, i >= text.length ? undefined : `expected ',' or '${close}'`);
    }
  };
  try {
    value();
    ws();
    if (i < text.length) kind = 'unexpected text after the end of the value';
    return { offset: Math.min(i, text.length), kind };
  } catch (at) {
    return { offset: typeof at === 'number' ? at : 0, kind };
  }
}
