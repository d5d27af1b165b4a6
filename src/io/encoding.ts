// Bytes ↔ text without a silent change.
import { EncodingError, InputLimitError } from './errors.js';

/** How a text file was stored; UTF-16 (with its byte order mark) is written back as it came. */
export type TextEncoding = 'utf8' | 'utf16le' | 'utf16be';

/** Offset of the first byte that is not part of a well-formed UTF-8 sequence (RFC 3629), or -1. */
function invalidUtf8Offset(bytes: Uint8Array): number {
  for (let i = 0; i < bytes.length; ) {
    const b = bytes[i];
    if (b < 0x80) {
      i++;
      continue;
    }
    const length = b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0;
    if (length === 0 || i + length > bytes.length) return i;
    const second = bytes[i + 1];
    const low = b === 0xe0 ? 0xa0 : b === 0xf0 ? 0x90 : 0x80;
    const high = b === 0xed ? 0x9f : b === 0xf4 ? 0x8f : 0xbf;
    if (second < low || second > high) return i;
    for (let k = 2; k < length; k++) if ((bytes[i + k] & 0xc0) !== 0x80) return i;
    i += length;
  }
  return -1;
}

/**
 * Bytes to text without a silent change: UTF-16 needs its byte order mark; anything else must be
 * valid UTF-8 (an EncodingError names the line and column of the first bad byte); a NUL byte
 * outside UTF-16 means a binary file. The text keeps a leading BOM, as the pipeline expects.
 */
export function decodeText(file: string, bytes: Buffer): { text: string; encoding: TextEncoding } {
  const utf16 = bytes[0] === 0xff && bytes[1] === 0xfe ? 'utf16le' : bytes[0] === 0xfe && bytes[1] === 0xff ? 'utf16be' : null;
  if (utf16) {
    try {
      const text = new TextDecoder(utf16 === 'utf16le' ? 'utf-16le' : 'utf-16be', { fatal: true, ignoreBOM: true }).decode(bytes);
      return { text, encoding: utf16 };
    } catch {
      throw new EncodingError(file, 1, 1, `${file}: not valid ${utf16 === 'utf16le' ? 'UTF-16LE' : 'UTF-16BE'} (odd length or an unpaired surrogate); not read.`);
    }
  }
  const nul = bytes.indexOf(0);
  if (nul >= 0) throw new InputLimitError(file, 'binary-file', `Skipped ${file}: a binary file (NUL byte at offset ${nul}), not JavaScript, JSON or YAML.`);
  const bad = invalidUtf8Offset(bytes);
  if (bad >= 0) {
    const lineStart = bytes.lastIndexOf(0x0a, bad - 1) + 1;
    const line = bytes.subarray(0, bad).filter((b) => b === 0x0a).length + 1;
    const column = bytes.subarray(lineStart, bad).toString('utf8').length + 1;
    throw new EncodingError(
      file,
      line,
      column,
      `${file}:${line}:${column}: not valid UTF-8 (byte 0x${bytes[bad].toString(16).padStart(2, '0')} at offset ${bad}; Latin-1 or Windows-1252?). Convert the file to UTF-8; it is not read or rewritten.`,
    );
  }
  return { text: bytes.toString('utf8'), encoding: 'utf8' };
}

/** Text back to bytes in the encoding it was read from (a UTF-16 file's BOM is the text's first character). */
export function encodeText(text: string, encoding: TextEncoding = 'utf8'): Buffer {
  if (encoding === 'utf8') return Buffer.from(text, 'utf8');
  const le = Buffer.from(text, 'utf16le');
  return encoding === 'utf16le' ? le : le.swap16();
}
