/**
 * Software's side of paging: building and editing tables in physical memory
 * as an OS does — allocate a zeroed frame for a missing table, write the
 * pointer, write the leaf. Tests, benchmarks, the demo and the kernel layer
 * use it; the hardware never does.
 */

import { type CompiledFormat, compileFormat } from './compiled-format.ts';
import { decodeEntry, encodeEntry, entryFrame, isValidEntry, type LeafSpec } from './entry.ts';
import type { PagingFormat } from './paging-format.ts';
import type { PhysicalMemory } from './physical-memory.ts';

/** Hands out zeroed frames for new tables; returns a frame number. */
export type FrameSource = () => number;

/** A bump allocator over a range of frames: enough for tests and demos. */
export function bumpFrames(memory: PhysicalMemory, first = 1, end = memory.frameCount): FrameSource {
  let next = first;
  return () => {
    if (next >= end)
      throw new RangeError(`out of frames: all ${end - first} frames from ${first} are in use`);
    const pfn = next++;
    memory.zeroFrame(pfn);
    return pfn;
  };
}

export interface MapOptions extends Omit<LeafSpec, 'kind'> {
  /** Level of the leaf: the last level by default; higher for a huge page / block. */
  readonly level?: number;
}

export class PageTableEditor {
  private readonly levels: number;
  private readonly c: CompiledFormat;

  /** Checks `format` (see validatePagingFormat) and that memory's frames are its pages. */
  constructor(
    readonly memory: PhysicalMemory,
    readonly format: PagingFormat,
    private readonly allocate: FrameSource,
  ) {
    this.c = compileFormat(format);
    if (memory.pageSize !== this.c.pageSize) {
      throw new RangeError(
        `${format.id} uses ${this.c.pageSize}-byte pages but memory has ${memory.pageSize}-byte frames`,
      );
    }
    this.levels = format.levels.length;
  }

  /**
   * A new, empty root table; returns its physical address. A root table
   * larger than a page takes that many frames from the source, which must
   * come consecutive and start on a multiple of the table's size (as
   * `bumpFrames` from a suitable first frame gives them).
   */
  createRoot(): number {
    const bytes = this.c.tableBytes[0]!;
    const pageSize = this.memory.pageSize;
    const first = this.allocate();
    for (let i = 1; i < bytes / pageSize; i++) {
      const next = this.allocate();
      if (next !== first + i) {
        throw new RangeError(
          `${this.format.id}: a ${bytes}-byte root table needs consecutive frames; the frame source gave ${next} after ${first + i - 1}`,
        );
      }
    }
    const root = first * pageSize;
    if (root % bytes !== 0) {
      throw new RangeError(
        `${this.format.id}: a ${bytes}-byte root table must start on a multiple of its size; frame ${first} (0x${root.toString(16)}) does not`,
      );
    }
    return root;
  }

  /** Physical address of the entry for `va` at `level`, creating missing tables on the way. */
  entryAddress(root: number, va: number, level: number, create = true): number | null {
    const c = this.c;
    let table = root;
    for (let l = 0; ; l++) {
      const index = Math.floor(va * c.indexScale[l]!) & c.indexMask[l]!;
      const pa = table + index * c.entryBytes;
      if (l === level) return pa;
      const entry = this.memory.readEntry(pa, c.entryBytes);
      if (!isValidEntry(this.format, entry)) {
        if (!create) return null;
        const pfn = this.allocate();
        this.memory.writeEntry(pa, c.entryBytes, encodeEntry(this.format, l, { kind: 'table', pfn }));
        table = pfn * this.memory.pageSize;
        continue;
      }
      if (decodeEntry(this.format, l, entry).kind !== 'table') {
        throw new RangeError(
          `${this.format.levels[l]!.name} entry for this address maps a huge page, not a table`,
        );
      }
      table = entryFrame(this.format, entry) * this.memory.pageSize;
    }
  }

  /** Maps the page (or huge page) containing `va` to frame `pfn`. Returns the leaf entry's address. */
  map(root: number, va: number, options: MapOptions): number {
    const level = options.level ?? this.levels - 1;
    const pa = this.entryAddress(root, va, level)!;
    const { level: _level, ...leaf } = options;
    this.memory.writeEntry(
      pa,
      this.format.entryBytes,
      encodeEntry(this.format, level, { kind: 'leaf', ...leaf }),
    );
    return pa;
  }

  /** Writes a raw entry value at `level` for `va` (for hand-made reserved or odd encodings). */
  setRaw(root: number, va: number, level: number, value: bigint): number {
    const pa = this.entryAddress(root, va, level)!;
    this.memory.writeEntry(pa, this.format.entryBytes, value);
    return pa;
  }

  /** Reads the entry for `va` at `level`, or null if a table on the way is missing. */
  read(root: number, va: number, level: number = this.levels - 1): bigint | null {
    const pa = this.entryAddress(root, va, level, false);
    return pa === null ? null : this.memory.readEntry(pa, this.format.entryBytes);
  }

  /** Clears the leaf for `va`; returns the old entry (remember to invalidate the TLB). */
  unmap(root: number, va: number, level: number = this.levels - 1): bigint | null {
    const pa = this.entryAddress(root, va, level, false);
    if (pa === null) return null;
    const old = this.memory.readEntry(pa, this.format.entryBytes);
    this.memory.writeEntry(pa, this.format.entryBytes, 0n);
    return old;
  }
}
