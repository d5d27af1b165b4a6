import { createTwoFilesPatch, FILE_HEADERS_ONLY } from 'diff';

/** A unified diff that `git apply` accepts; '' when nothing changed. */
export function unifiedDiff(filename: string, before: string, after: string): string {
  if (before === after) return '';
  const name = filename.replace(/\\/g, '/').replace(/^\/+/, '');
  return createTwoFilesPatch(`a/${name}`, `b/${name}`, before, after, undefined, undefined, {
    context: 3,
    headerOptions: FILE_HEADERS_ONLY,
  });
}
