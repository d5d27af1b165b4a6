// Errors every layer shares: readers (src/inputs/), writers (src/emit/) and the CLI.
import { lstatSync, readlinkSync, statSync } from 'node:fs';

/** A problem with an input the run can go on without (the rule is reported as failed). */
export interface InputProblem {
  source: string;
  message: string;
  line?: number;
  column?: number;
  /** Finding code when the file was skipped on purpose (InputLimitError); default 'read-error'. */
  code?: string;
}

/** A problem that stops the run before anything is migrated (exit 2). */
export class UsageError extends Error {}

/** A file skipped on purpose (too large, binary, not a regular file): reported, the run goes on. */
export class InputLimitError extends Error {
  constructor(
    readonly file: string,
    readonly code: 'too-large' | 'binary-file' | 'not-a-file',
    message: string,
  ) {
    super(message);
  }
}

/** A path in an export that leads outside it (`../../etc/passwd`, a symbolic link to elsewhere): not read. */
export class ConfinementError extends Error {
  readonly code = 'ESCAPE';
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(message);
  }
}

/** A file that is not valid text in its encoding: reported at the first bad byte, never rewritten. */
export class EncodingError extends Error {
  readonly code = 'encoding';
  constructor(
    readonly file: string,
    readonly line: number,
    readonly column: number,
    message: string,
  ) {
    super(message);
  }
}

/** What a file-system error code means, for messages. */
export function describeFsError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException)?.code;
  const meaning: Record<string, string> = {
    ENOENT: 'no such file or folder',
    ENOTDIR: 'a part of the path is a file, not a folder',
    EEXIST: 'a file is in the way',
    EISDIR: 'it is a folder',
    EACCES: 'permission denied',
    EPERM: 'operation not permitted',
    EROFS: 'read-only file system',
    ENOSPC: 'no space left on the device',
    ENAMETOOLONG: 'the name is too long',
    ELOOP: 'too many symbolic links (a loop?)',
  };
  if (code) return meaning[code] ? `${meaning[code]} (${code})` : code;
  return error instanceof Error ? error.message : String(error);
}

/** Why a path named directly cannot be read, when stat says it does not exist: a broken link or a loop is not "missing". */
export function describeMissing(file: string): string {
  const link = lstatSync(file, { throwIfNoEntry: false });
  if (!link) return `No such file or folder: ${file}`;
  if (link.isSymbolicLink()) {
    let target = '?';
    try {
      target = readlinkSync(file);
    } catch {
      // unreadable link
    }
    try {
      statSync(file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ELOOP') return `${file} is a symbolic link loop (ELOOP); nothing to read.`;
    }
    return `${file} is a broken symbolic link (to ${target}); nothing to read.`;
  }
  return `Cannot read ${file}`;
}
