// The two modules we use, not the package's index (19 modules at every start).
import { diffLines } from 'diff/lib/diff/line.js';
import { createTwoFilesPatch, FILE_HEADERS_ONLY } from 'diff/lib/patch/create.js';
import type { ChangeObject } from 'diff/lib/types.js';

/**
 * The line diff's budget: jsdiff's Myers diff costs (lines × edits), minutes for a large rule whose every
 * line changed (a 900 KB rule took 372 s). Past this budget the diff is coarse but still exact: the
 * common first and last lines, and one block of removed then added lines between them.
 */
export const DIFF_TIMEOUT_MS = 1000;
export const DIFF_MAX_EDIT_LENGTH = 4000;

/** A unified diff that `git apply` accepts; '' when nothing changed. Bounded in time (see DIFF_TIMEOUT_MS). */
export function unifiedDiff(filename: string, before: string, after: string): string {
  if (before === after) return '';
  const name = filename.replace(/\\/g, '/').replace(/^\/+/, '');
  const exact = createTwoFilesPatch(`a/${name}`, `b/${name}`, before, after, undefined, undefined, {
    context: 3,
    headerOptions: FILE_HEADERS_ONLY,
    timeout: DIFF_TIMEOUT_MS,
    maxEditLength: DIFF_MAX_EDIT_LENGTH,
  });
  return exact ?? coarsePatch(`a/${name}`, `b/${name}`, before, after, 3);
}

/** `diffLines(before, after)` within the same budget (for side-by-side views); coarse past it. */
export function lineChanges(before: string, after: string): ChangeObject<string>[] {
  const exact = diffLines(before, after, { timeout: DIFF_TIMEOUT_MS, maxEditLength: DIFF_MAX_EDIT_LENGTH });
  if (exact) return exact;
  const { a, b, prefix, suffix } = trimCommon(before, after);
  const change = (lines: string[], kind: 'same' | 'removed' | 'added'): ChangeObject<string>[] =>
    lines.length ? [{ value: lines.join(''), count: lines.length, added: kind === 'added', removed: kind === 'removed' }] : [];
  return [
    ...change(a.slice(0, prefix), 'same'),
    ...change(a.slice(prefix, a.length - suffix), 'removed'),
    ...change(b.slice(prefix, b.length - suffix), 'added'),
    ...change(a.slice(a.length - suffix), 'same'),
  ];
}

/** Lines with their line break (the last may have none), as jsdiff splits them. */
function splitLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split('\n').map((line) => `${line}\n`);
  if (text.endsWith('\n')) lines.pop();
  else lines[lines.length - 1] = lines[lines.length - 1].slice(0, -1);
  return lines;
}

function trimCommon(before: string, after: string) {
  const a = splitLines(before);
  const b = splitLines(after);
  let prefix = 0;
  while (prefix < a.length && prefix < b.length && a[prefix] === b[prefix]) prefix++;
  let suffix = 0;
  while (suffix < a.length - prefix && suffix < b.length - prefix && a[a.length - 1 - suffix] === b[b.length - 1 - suffix]) suffix++;
  return { a, b, prefix, suffix };
}

/** One hunk: the changed middle as removed then added lines, with `context` lines around it. Linear time. */
export function coarsePatch(oldName: string, newName: string, before: string, after: string, context: number): string {
  const { a, b, prefix, suffix } = trimCommon(before, after);
  const head = Math.min(context, prefix);
  const tail = Math.min(context, suffix);
  const start = prefix - head;
  const oldEnd = a.length - suffix + tail;
  const newEnd = b.length - suffix + tail;
  const out: string[] = [`--- ${oldName}`, `+++ ${newName}`];
  const oldCount = oldEnd - start;
  const newCount = newEnd - start;
  // An empty side starts at the line before (as diff and jsdiff write it).
  out.push(`@@ -${oldCount === 0 ? start : start + 1},${oldCount} +${newCount === 0 ? start : start + 1},${newCount} @@`);
  const emit = (mark: string, line: string) => {
    out.push(mark + line.replace(/\n$/, ''));
    if (!line.endsWith('\n')) out.push('\\ No newline at end of file');
  };
  for (let i = start; i < prefix; i++) emit(' ', a[i]);
  for (let i = prefix; i < a.length - suffix; i++) emit('-', a[i]);
  for (let i = prefix; i < b.length - suffix; i++) emit('+', b[i]);
  for (let i = a.length - suffix; i < oldEnd; i++) emit(' ', a[i]);
  return `${out.join('\n')}\n`;
}
