import type { PagingFormat } from '../paging-format.ts';
import { arm64 } from './arm64.ts';
import { riscvSv39 } from './riscv-sv39.ts';
import { tiny8, tiny16 } from './teaching.ts';
import { x86_32 } from './x86-32.ts';
import { x86_64 } from './x86-64.ts';

/** The flag bits 32-bit and 4-level x86 paging share: a start for an x86-family format of your own. */
export { x86FlagBits } from './x86-flags.ts';
export { arm64, riscvSv39, tiny8, tiny16, x86_32, x86_64 };

export const formats = {
  'x86-64': x86_64,
  'x86-32': x86_32,
  'riscv-sv39': riscvSv39,
  arm64,
  tiny8,
  tiny16,
} as const satisfies Record<string, PagingFormat>;

export type FormatId = keyof typeof formats;

export function formatById(id: string): PagingFormat {
  const format = (formats as Record<string, PagingFormat>)[id];
  if (format === undefined) {
    throw new RangeError(`unknown paging format "${id}"; known: ${Object.keys(formats).join(', ')}`);
  }
  return format;
}
