/**
 * Physical memory: one byte array cut into frames. Page tables live here as
 * real encoded entries, so a page walk is a sequence of memory reads — just as
 * on hardware — and a kernel that scribbles over a table breaks translation.
 *
 * Multi-byte values are little-endian, as on x86, RISC-V and (by default) ARM64.
 * Entries are read as two 32-bit halves (`lo`, `hi`) so that the walker never
 * needs a BigInt; the BigInt accessors are for inspection and tests.
 *
 * A memory image — bytes saved by another simulator, a hex dump turned into
 * bytes, a file read with `readFileSync` — goes in with `load`, or becomes a
 * memory of its own with `PhysicalMemory.fromImage`. Page tables in an image
 * are just bytes: the walker reads them as it reads any table.
 */

/** Keeps physical addresses below 2^31 so they stay small integers in V8. */
export const MAX_PHYSICAL_BYTES = 2 ** 31;

export interface PhysicalMemoryOptions {
  /** Number of frames. */
  readonly frames: number;
  /** Bytes per frame: a power of two (4096 for real formats, 32 or 64 for teaching ones). */
  readonly pageSize: number;
}

/** Bytes of a memory image: a Uint8Array (a Node Buffer is one), another typed array or DataView, or an ArrayBuffer. */
export type MemoryImage = ArrayBufferView | ArrayBuffer;

export interface LoadOptions {
  /** Physical address of the image's first byte (default 0). */
  readonly at?: number;
}

export interface FromImageOptions extends LoadOptions {
  /** Bytes per frame, as for the constructor. */
  readonly pageSize: number;
  /** Number of frames; default: just enough to hold the image (at least one). */
  readonly frames?: number;
}

export class PhysicalMemory {
  readonly pageSize: number;
  readonly pageShift: number;
  readonly frameCount: number;
  readonly size: number;
  readonly bytes: Uint8Array;
  /** 16- and 32-bit views of the same bytes, for the walker's aligned entry reads. */
  readonly u16: Uint16Array;
  readonly u32: Uint32Array;
  private readonly view: DataView;

  constructor(options: PhysicalMemoryOptions) {
    const { frames, pageSize } = options;
    if (!Number.isInteger(pageSize) || pageSize < 4 || (pageSize & (pageSize - 1)) !== 0) {
      throw new RangeError(`page size ${pageSize} must be a power of two of at least 4 bytes`);
    }
    if (!Number.isInteger(frames) || frames < 1) throw new RangeError(`frame count ${frames} must be ≥ 1`);
    if (frames * pageSize > MAX_PHYSICAL_BYTES) {
      throw new RangeError(
        `${frames} frames of ${pageSize} bytes exceed the ${MAX_PHYSICAL_BYTES} byte limit`,
      );
    }
    this.pageSize = pageSize;
    this.pageShift = Math.log2(pageSize);
    this.frameCount = frames;
    this.size = frames * pageSize;
    const buffer = new ArrayBuffer(this.size);
    this.bytes = new Uint8Array(buffer);
    this.u16 = new Uint16Array(buffer);
    this.u32 = new Uint32Array(buffer);
    this.view = new DataView(buffer);
  }

  /**
   * Memory holding `image` at `at` (default 0) and zeros elsewhere: the
   * image's own size rounded up to whole frames, or `frames` frames. A
   * RangeError says when the image does not fit.
   */
  static fromImage(image: MemoryImage, options: FromImageOptions): PhysicalMemory {
    const bytes = imageBytes(image);
    const at = options.at ?? 0;
    const pageSize = options.pageSize;
    const needed = Math.max(1, Math.ceil((at + bytes.length) / pageSize));
    const memory = new PhysicalMemory({ frames: options.frames ?? needed, pageSize });
    memory.load(bytes, { at });
    return memory;
  }

  /**
   * Copies `image` into memory starting at physical address `at` (default
   * 0); the bytes around it are left as they are. Multi-byte values in the
   * image are read little-endian, as everything here is. Throws a TypeError
   * for something that is not bytes and a RangeError, naming the sizes, when
   * the image does not fit in installed memory.
   */
  load(image: MemoryImage, options: LoadOptions = {}): void {
    const bytes = imageBytes(image);
    const at = options.at ?? 0;
    if (!Number.isSafeInteger(at) || at < 0) {
      throw new RangeError(`load: at must be a non-negative integer physical address; got ${at}`);
    }
    if (at + bytes.length > this.size) {
      throw new RangeError(
        `load: an image of ${bytes.length} bytes at 0x${at.toString(16)} ends at 0x${(at + bytes.length).toString(16)}, ` +
          `past installed memory (${this.size} bytes: ${this.frameCount} frames of ${this.pageSize})`,
      );
    }
    this.bytes.set(bytes, at);
  }

  /** True when [pa, pa+length) is installed memory. */
  contains(pa: number, length = 1): boolean {
    return Number.isInteger(pa) && pa >= 0 && length >= 0 && pa + length <= this.size;
  }

  frameAddress(pfn: number): number {
    return pfn * this.pageSize;
  }

  read8(pa: number): number {
    this.check(pa, 1);
    return this.bytes[pa]!;
  }

  write8(pa: number, value: number): void {
    this.check(pa, 1);
    this.bytes[pa] = value;
  }

  read16(pa: number): number {
    this.check(pa, 2);
    return this.view.getUint16(pa, true);
  }

  write16(pa: number, value: number): void {
    this.check(pa, 2);
    this.view.setUint16(pa, value, true);
  }

  read32(pa: number): number {
    this.check(pa, 4);
    return this.view.getUint32(pa, true);
  }

  write32(pa: number, value: number): void {
    this.check(pa, 4);
    this.view.setUint32(pa, value >>> 0, true);
  }

  read64(pa: number): bigint {
    this.check(pa, 8);
    return this.view.getBigUint64(pa, true);
  }

  write64(pa: number, value: bigint): void {
    this.check(pa, 8);
    this.view.setBigUint64(pa, BigInt.asUintN(64, value), true);
  }

  /**
   * Low 32 bits of the naturally aligned entry of `entryBytes` at `pa`.
   * Unchecked: callers (the walker) have already bounds-checked the table.
   */
  entryLo(pa: number, entryBytes: number): number {
    switch (entryBytes) {
      case 8:
      case 4:
        return this.u32[pa >>> 2]!;
      case 2:
        return this.u16[pa >>> 1]!;
      default:
        return this.bytes[pa]!;
    }
  }

  /** High 32 bits of an 8-byte entry (0 for narrower entries). Unchecked. */
  entryHi(pa: number, entryBytes: number): number {
    return entryBytes === 8 ? this.u32[(pa >>> 2) + 1]! : 0;
  }

  /** Stores an entry from its halves. Unchecked, like `entryLo`. */
  storeEntry(pa: number, entryBytes: number, lo: number, hi: number): void {
    switch (entryBytes) {
      case 8:
        this.u32[pa >>> 2] = lo;
        this.u32[(pa >>> 2) + 1] = hi;
        return;
      case 4:
        this.u32[pa >>> 2] = lo;
        return;
      case 2:
        this.u16[pa >>> 1] = lo;
        return;
      default:
        this.bytes[pa] = lo;
    }
  }

  readEntry(pa: number, entryBytes: number): bigint {
    this.checkEntry(pa, entryBytes);
    return (BigInt(this.entryHi(pa, entryBytes)) << 32n) | BigInt(this.entryLo(pa, entryBytes) >>> 0);
  }

  writeEntry(pa: number, entryBytes: number, value: bigint): void {
    this.checkEntry(pa, entryBytes);
    const v = BigInt.asUintN(entryBytes * 8, value);
    this.storeEntry(pa, entryBytes, Number(v & 0xffffffffn), Number(v >> 32n));
  }

  zeroFrame(pfn: number): void {
    this.checkFrame(pfn);
    this.bytes.fill(0, pfn * this.pageSize, (pfn + 1) * this.pageSize);
  }

  copyFrame(fromPfn: number, toPfn: number): void {
    this.checkFrame(fromPfn);
    this.checkFrame(toPfn);
    this.bytes.copyWithin(toPfn * this.pageSize, fromPfn * this.pageSize, (fromPfn + 1) * this.pageSize);
  }

  /** A read-only copy of one frame's bytes, for inspection. */
  frameBytes(pfn: number): Uint8Array {
    this.checkFrame(pfn);
    return this.bytes.slice(pfn * this.pageSize, (pfn + 1) * this.pageSize);
  }

  private check(pa: number, length: number): void {
    if (!this.contains(pa, length)) {
      throw new RangeError(
        `physical address ${pa} (+${length}) is outside installed memory (0..${this.size - 1})`,
      );
    }
  }

  private checkEntry(pa: number, entryBytes: number): void {
    this.check(pa, entryBytes);
    if (pa % entryBytes !== 0) throw new RangeError(`entry address ${pa} is not ${entryBytes}-byte aligned`);
  }

  private checkFrame(pfn: number): void {
    if (!Number.isInteger(pfn) || pfn < 0 || pfn >= this.frameCount) {
      throw new RangeError(`frame ${pfn} is outside physical memory (0..${this.frameCount - 1})`);
    }
  }
}

function imageBytes(image: MemoryImage): Uint8Array {
  if (image instanceof ArrayBuffer) return new Uint8Array(image);
  if (ArrayBuffer.isView(image)) return new Uint8Array(image.buffer, image.byteOffset, image.byteLength);
  throw new TypeError(
    `a memory image must be bytes (a Uint8Array, Buffer, typed array or ArrayBuffer); got ${
      image === null ? 'null' : typeof image
    }`,
  );
}
