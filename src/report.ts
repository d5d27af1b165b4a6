import * as recastModule from 'recast';
import { mapLocation, type Insertion } from './analyze.js';
import type { Finding, MigrationResult, Node, ReportInput, Severity, Transform } from './types.js';

const b = recastModule.types.builders;

export const TODO_MARKER = 'TODO(rules2actions)';

export type RuleStatus = 'migrated' | 'review' | 'failed';

/** The one place where the library's file status becomes the report's rule status. */
export function ruleStatus(result: Pick<MigrationResult, 'status' | 'findings'>): RuleStatus {
  if (result.status === 'error') return 'failed';
  return result.findings.some((f) => f.severity !== 'info') ? 'review' : 'migrated';
}

export function render(template: string, data: Record<string, string | number> = {}): string {
  return template.replace(/\{\{(\w+)\}\}/g, (_, key: string) => {
    if (!(key in data)) throw new Error(`message placeholder {{${key}}} has no value`);
    return String(data[key]);
  });
}

interface Located {
  loc?: { start: { line: number; column: number } } | null;
}

interface Position {
  line: number;
  column: number;
}

/** A parsed node's location: recast adds the lines of the text it came from. */
interface ParsedLoc {
  start: Position;
  end: Position;
  lines?: { sliceString(start: Position, end: Position): string };
}

/** Binds findings to one transform: the id is never passed by hand. */
export function createReporter(
  transform: Pick<Transform, 'id' | 'messages'>,
  findings: Finding[],
  insertion: Insertion | null,
  fallback: Node,
) {
  function report({ node, code, data }: ReportInput): Finding {
    const spec = transform.messages[code];
    if (!spec) throw new Error(`transform ${transform.id} has no message '${code}'`);
    const loc = (node as Located | null | undefined)?.loc ?? (fallback as Located).loc;
    const start = loc ? mapLocation(insertion, loc.start.line, loc.start.column + 1) : { line: 1, column: 1 };
    const finding: Finding = {
      code,
      transform: transform.id,
      severity: spec.severity,
      message: render(spec.text, data),
      line: start.line,
      column: start.column,
      ...(spec.suggestion ? { suggestion: render(spec.suggestion, data) } : {}),
    };
    findings.push(finding);
    return finding;
  }
  function todo(input: ReportInput & { statement?: Node }): void {
    const finding = report(input);
    const target = (input.statement ?? input.node) as Node & { comments?: unknown[] };
    if (target) addTodoComment(target, finding.message);
  }
  return { report, todo };
}

export function addTodoComment(node: Node & { comments?: unknown[] }, message: string): void {
  const text = ` ${TODO_MARKER}: ${message.replace(/\s*\n\s*/g, ' ')}`;
  const comments = (node.comments ??= []);
  comments.push(b.commentLine(text, true, false));
}

const severityRank: Record<Severity, number> = { error: 0, warning: 1, info: 2 };

export function sortFindings(findings: Finding[]): Finding[] {
  const seen = new Set<string>();
  return findings
    .filter((f) => {
      const key = `${f.code}:${f.line}:${f.column}:${f.message}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    })
    .sort((a, b) => a.line - b.line || a.column - b.column || severityRank[a.severity] - severityRank[b.severity] || byCodeUnits(a.code, b.code));
}

// Finding codes are lowercase kebab-case, where code-unit order is localeCompare's; the first
// localeCompare of a process builds ICU's collator (6-22 ms of a one-rule run).
const byCodeUnits = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

const DISABLED = '__rules2actions_disabled_';

/**
 * Statements that cannot run in an Action are swapped for a marker while the AST is printed,
 * then the marker line becomes the TODO comment followed by the original code, commented out.
 */
export function createDisabler(lineBreaks: string[] = []) {
  const disabled: Array<{ message: string; code: string; column: number }> = [];
  // A character that will be a line break continues the comment on the next line: `//` after it.
  const breaks = lineBreaks.length ? new RegExp(`[${lineBreaks.join('')}]`, 'g') : null;
  const commented = (line: string) => (breaks ? line.replace(breaks, (c) => `${c}// `) : line);
  return {
    marker(node: Node & { loc?: ParsedLoc | null }, message: string): Node {
      // recast hands Babel a copy of the text with tabs expanded and line breaks made \n, so Babel's
      // offsets do not index the rule's text: the rule's own characters come from recast's lines.
      const lines = node.loc?.lines;
      const code = lines ? lines.sliceString(node.loc!.start, node.loc!.end) : recastPrint(node);
      const column = lines ? lines.sliceString({ line: node.loc!.start.line, column: 0 }, node.loc!.start).length : 0;
      disabled.push({ message, code, column });
      return b.expressionStatement(b.identifier(`${DISABLED}${disabled.length - 1}`));
    },
    expand(printed: string, eol: string): string {
      if (disabled.length === 0) return printed;
      const pattern = new RegExp(`^([ \\t]*)${DISABLED}(\\d+);?[ \\t]*$`, 'gm');
      return printed.replace(pattern, (_, indent: string, index: string) => {
        const { message, code, column } = disabled[Number(index)];
        const lines = dedent(code.split(/\r\n|\r|\n/), column);
        return [`${indent}// ${TODO_MARKER}: ${message}`, ...lines.map((line) => `${indent}// ${line}`.trimEnd())].map(commented).join(eol);
      });
    },
  };
}

function recastPrint(node: Node): string {
  return recastModule.print(node).code;
}

/** Continuation lines lose the statement's own indentation (the first line starts at the node). */
function dedent(lines: string[], column: number): string[] {
  return lines.map((line, i) => (i === 0 ? line : line.slice(Math.min(column, /^[ \t]*/.exec(line)![0].length))));
}
