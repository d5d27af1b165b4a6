// Option parsers shared by the commands.
import { InvalidArgumentError } from 'commander';
import { UsageError } from '../io/errors.js';
import type { SdkMajor } from '../types.js';

/** `--sdk 7|4`, as migrate and audit take it. */
export function parseSdk(value: string): SdkMajor {
  if (value !== '7' && value !== '4') throw new InvalidArgumentError('use 7 or 4');
  return Number(value) as SdkMajor;
}

/** `--max-size` values: bytes, or with a k/kb/m/mb suffix (1024-based). */
export function parseSize(value: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(k|kb|m|mb)?\s*$/i.exec(value);
  if (!match) throw new UsageError(`--max-size: '${value}' is not a size; use bytes or a number with k or m (e.g. 512k, 2m).`);
  const unit = match[2]?.toLowerCase().startsWith('m') ? 1024 * 1024 : match[2] ? 1024 : 1;
  return Math.floor(Number(match[1]) * unit);
}

/** `--sdk 7|4|both`, as verify takes it. */
export function parseSdkChoice(value: string): SdkMajor | 'both' {
  if (value === 'both') return 'both';
  if (value !== '7' && value !== '4') throw new InvalidArgumentError('use 7, 4 or both');
  return Number(value) as SdkMajor;
}

/** `--timeout <ms>`: a positive whole number of milliseconds. */
export function parseTimeout(value: string): number {
  const ms = Number(value);
  if (!Number.isInteger(ms) || ms <= 0) throw new InvalidArgumentError('give a number of milliseconds');
  return ms;
}
