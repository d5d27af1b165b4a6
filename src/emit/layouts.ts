// The output layouts, apart from their writers: the CLI names them in --help on every start.
import type { TenantFormat } from '../inputs/types.js';

export type Emit = 'directory' | 'yaml' | 'terraform';
export const EMITS: Emit[] = ['directory', 'yaml', 'terraform'];

/** The input's own format; dumps and plain rules become a deploy-cli directory. */
export const defaultEmit = (format: TenantFormat): Emit => (format === 'yaml' ? 'yaml' : 'directory');
