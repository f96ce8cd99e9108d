/**
 * Checking a paging format descriptor before anything walks with it. A
 * descriptor is plain data, often written by hand in a script; a slip in it
 * (a frame field over the present bit, a sixth level, an 8 KiB table in a
 * 4 KiB page) would otherwise show up as wrong translations far from the
 * mistake. Each check throws at once, naming the field and the value:
 * a TypeError when a field has the wrong type, a RangeError when its value
 * is out of range or contradicts another field.
 *
 * What is allowed (paging-format.ts says why):
 * - 1 to MAX_LEVELS levels (ARM64: at most 4, the levels ESR can name);
 * - every table below the root fits in one page; the root may be smaller
 *   than a page or span several;
 * - a leaf maps at most 1 GiB (the walker keeps leaf masks in 32 bits);
 * - each flag is one bit inside the entry, in the half the walker tests it
 *   in, shared with no other flag and outside the frame field (but x86's PAT
 *   bit of a huge leaf, which lives in it), or `NOT_MODELLED` — except the
 *   flags that decide validity and kind;
 * - the frame field lies inside the entry, and the frame numbers of any
 *   installable memory fit in its low 32 bits;
 * - pageShift < physAddrBits ≤ pageShift + frame.width.
 */
import type { BitField, EntryBits } from './entry-bits.ts';
import {
  type Family,
  FLAG_FIELDS,
  MAX_LEVELS,
  type PagingFormat,
  tableBytes,
  virtualAddressBits,
} from './paging-format.ts';
import { MAX_PHYSICAL_BYTES } from './physical-memory.ts';

/** Largest leaf the walker can map: its offset mask must fit an int32. */
export const MAX_LEAF_BYTES = 2 ** 30;

const FAMILIES: readonly Family[] = ['x86', 'riscv', 'arm64'];
const ENTRY_BYTES = [1, 2, 4, 8];
const validated = new WeakSet<object>();

/**
 * Throws a TypeError or RangeError naming the first thing wrong with
 * `format`; returns quietly for a sound descriptor. A descriptor is checked
 * once: later calls with the same object return at once.
 */
export function validatePagingFormat(format: unknown): asserts format is PagingFormat {
  if (typeof format === 'object' && format !== null && validated.has(format)) return;
  check(format);
  validated.add(format as object);
}

/**
 * Checks a descriptor and hands it back with its exact type — the way a
 * script declares its own format:
 * `const mine = definePagingFormat({ id: 'mine', family: 'x86', … })`.
 */
export function definePagingFormat<const F extends PagingFormat>(format: F): F {
  validatePagingFormat(format);
  return format;
}

function check(raw: unknown): void {
  if (typeof raw !== 'object' || raw === null) {
    throw new TypeError(`a paging format must be an object; got ${show(raw)}`);
  }
  const f = raw as Record<string, unknown>;
  if (typeof f.id !== 'string' || f.id === '') {
    throw new TypeError(`a paging format's id must be a non-empty string; got ${show(f.id)}`);
  }
  const where = `paging format "${f.id}"`;
  const fail = (message: string): never => {
    throw new RangeError(`${where}: ${message}`);
  };
  const wrongType = (message: string): never => {
    throw new TypeError(`${where}: ${message}`);
  };
  if (typeof f.title !== 'string') wrongType(`title must be a string; got ${show(f.title)}`);
  if (typeof f.family !== 'string') wrongType(`family must be a string; got ${show(f.family)}`);
  if (!FAMILIES.includes(f.family as Family)) {
    fail(`family ${show(f.family)} is not one of ${FAMILIES.join(', ')}`);
  }
  const family = f.family as Family;

  const pageShift = integer(f.pageShift, 'pageShift', wrongType);
  if (pageShift < 2 || pageShift > 30) {
    fail(`pageShift ${pageShift} gives ${2 ** pageShift}-byte pages; pages are 4 bytes to 1 GiB (2..30)`);
  }
  const pageSize = 2 ** pageShift;
  if (!ENTRY_BYTES.includes(f.entryBytes as number)) {
    fail(`entryBytes ${show(f.entryBytes)} is not one of ${ENTRY_BYTES.join(', ')}`);
  }
  const entryBits = (f.entryBytes as number) * 8;

  if (f.addressing !== 'unsigned' && f.addressing !== 'sign-extended') {
    fail(`addressing ${show(f.addressing)} is not 'unsigned' or 'sign-extended'`);
  }

  // Levels.
  if (!Array.isArray(f.levels)) wrongType(`levels must be an array; got ${show(f.levels)}`);
  const levels = f.levels as readonly unknown[];
  const maxLevels = family === 'arm64' ? 4 : MAX_LEVELS;
  if (levels.length < 1 || levels.length > maxLevels) {
    fail(
      `levels has ${levels.length} entries; a walk reads 1 to ${maxLevels} levels` +
        (family === 'arm64' ? ' on ARM64 (ESR names levels 0..3)' : ' (MAX_LEVELS)'),
    );
  }
  levels.forEach((level, i) => {
    const name = `levels[${i}]`;
    if (typeof level !== 'object' || level === null)
      wrongType(`${name} must be an object; got ${show(level)}`);
    const l = level as Record<string, unknown>;
    if (typeof l.name !== 'string' || l.name === '') {
      wrongType(`${name}.name must be a non-empty string; got ${show(l.name)}`);
    }
    const indexBits = integer(l.indexBits, `${name}.indexBits`, wrongType);
    if (indexBits < 1 || indexBits > 30) fail(`${name}.indexBits ${indexBits} is not in 1..30`);
    if (typeof l.leaf !== 'boolean') wrongType(`${name}.leaf must be a boolean; got ${show(l.leaf)}`);
    if (i === levels.length - 1 && l.leaf !== true) {
      fail(`${name}.leaf is false, but the last level (${l.name}) always maps pages`);
    }
  });
  const format = raw as PagingFormat;
  for (let i = 0; i < levels.length; i++) {
    const bytes = tableBytes(format, i);
    const name = `levels[${i}] (${format.levels[i]!.name})`;
    if (i > 0 && bytes > pageSize) {
      fail(
        `${name} has 2^${format.levels[i]!.indexBits} entries of ${f.entryBytes} bytes: a ${bytes}-byte table ` +
          `does not fit in a ${pageSize}-byte page, and only the root table may span several pages`,
      );
    }
    if (bytes > MAX_PHYSICAL_BYTES) fail(`${name}: a ${bytes}-byte table exceeds any installable memory`);
  }
  const vaBits = virtualAddressBits(format);
  if (vaBits > 64) fail(`pageShift and the levels' indexBits add up to ${vaBits} address bits, more than 64`);
  let span = pageSize;
  for (let i = levels.length - 1; i >= 0; i--) {
    const level = format.levels[i]!;
    if (level.leaf && span > MAX_LEAF_BYTES) {
      fail(
        `levels[${i}] (${level.name}).leaf: a leaf there would map ${span} bytes; ` +
          `leaves map at most ${MAX_LEAF_BYTES} (1 GiB)`,
      );
    }
    span *= 2 ** level.indexBits;
  }

  // The frame field and the physical address width.
  const frame = field(f.frame, 'frame', entryBits, wrongType, fail);
  const installableFrameBits = Math.min(frame.width, 31 - pageShift);
  if (frame.shift + installableFrameBits > 32) {
    fail(
      `frame starts at bit ${frame.shift}: frame numbers of up to ${installableFrameBits} bits ` +
        `(memory is below 2^31 bytes) must fit in the entry's low 32 bits, which the walker reads them from`,
    );
  }
  const physAddrBits = integer(f.physAddrBits, 'physAddrBits', wrongType);
  if (physAddrBits <= pageShift || physAddrBits > pageShift + frame.width) {
    fail(
      `physAddrBits ${physAddrBits} must be above pageShift (${pageShift}) and at most ` +
        `pageShift + frame.width (${pageShift + frame.width}), what the frame field can address`,
    );
  }

  // Flags.
  if (typeof f.bits !== 'object' || f.bits === null) wrongType(`bits must be an object; got ${show(f.bits)}`);
  const bits = f.bits as Record<string, unknown>;
  const frameMask = fieldMask(frame);
  const taken: { name: string; mask: EntryBits }[] = [];
  for (const flag of FLAG_FIELDS[family]) {
    const name = `bits.${flag.field}`;
    const value = bits[flag.field];
    if (value === undefined) {
      wrongType(`${name} is missing; a format without this flag says NOT_MODELLED`);
    }
    if (value === null) {
      if (flag.required)
        fail(`${name} cannot be NOT_MODELLED: it decides whether an entry is valid, or its kind`);
      continue;
    }
    const mask = maskIn(value, name, wrongType);
    const positions = positionsOf(mask);
    if (positions.length === 0) {
      fail(
        flag.required
          ? `${name} is empty (NO_BITS); it decides whether an entry is valid, or its kind, so it needs a bit`
          : `${name} is empty (NO_BITS); a format without this flag says NOT_MODELLED`,
      );
    }
    if (positions.length > 1)
      fail(`${name} has ${positions.length} bits set (${positions.join(', ')}); a flag is one bit`);
    const at = positions[0]!;
    if (at >= entryBits)
      fail(`${name} is bit ${at}, beyond a ${f.entryBytes}-byte entry (bits 0..${entryBits - 1})`);
    if (flag.half === 'lo' && at >= 32) {
      fail(`${name} is bit ${at}; the walker tests it in the entry's low half (bits 0..31)`);
    }
    if (flag.half === 'hi' && at < 32) {
      fail(`${name} is bit ${at}; the walker tests it in the entry's high half (bits 32..63)`);
    }
    // PAT is the one flag that lives inside the frame field (of a huge leaf).
    if (!(family === 'x86' && flag.field === 'hugePat') && overlaps(mask, frameMask)) {
      fail(`frame (bits ${frame.shift}..${frame.shift + frame.width - 1}) overlaps ${name} (bit ${at})`);
    }
    const other = taken.find((t) => overlaps(t.mask, mask));
    if (other !== undefined) fail(`${name} (bit ${at}) is also ${other.name}`);
    taken.push({ name, mask });
  }

  /** A multi-bit field (reserved bits, a protection key) that must not collide with the rest. */
  const apart = (name: string, mask: EntryBits): void => {
    if (overlaps(mask, frameMask)) {
      fail(
        `${name} (bits ${positionsOf(mask).join(', ')}) overlaps frame (bits ${frame.shift}..${frame.shift + frame.width - 1})`,
      );
    }
    const other = taken.find((t) => overlaps(t.mask, mask));
    if (other !== undefined) fail(`${name} overlaps ${other.name} (bit ${positionsOf(other.mask)[0]})`);
    taken.push({ name, mask });
  };
  switch (family) {
    case 'x86': {
      const key = f.protectionKey;
      if (key !== null)
        apart('protectionKey', fieldMask(field(key, 'protectionKey', entryBits, wrongType, fail)));
      if (typeof f.pageSizeNeedsPse !== 'boolean') {
        wrongType(`pageSizeNeedsPse must be a boolean; got ${show(f.pageSizeNeedsPse)}`);
      }
      break;
    }
    case 'riscv': {
      const reserved = maskIn(bits.reserved, 'bits.reserved', wrongType);
      const beyond = positionsOf(reserved).filter((b) => b >= entryBits);
      if (beyond.length > 0) {
        fail(
          `bits.reserved has bits ${beyond.join(', ')}, beyond a ${f.entryBytes}-byte entry (bits 0..${entryBits - 1})`,
        );
      }
      if (positionsOf(reserved).length > 0) apart('bits.reserved', reserved);
      break;
    }
    case 'arm64':
      break;
  }
}

function integer(value: unknown, name: string, wrongType: (m: string) => never): number {
  if (typeof value !== 'number' || !Number.isInteger(value))
    wrongType(`${name} must be an integer; got ${show(value)}`);
  return value as number;
}

function field(
  value: unknown,
  name: string,
  entryBits: number,
  wrongType: (m: string) => never,
  fail: (m: string) => never,
): BitField {
  if (typeof value !== 'object' || value === null)
    wrongType(`${name} must be { shift, width }; got ${show(value)}`);
  const v = value as Record<string, unknown>;
  const shift = integer(v.shift, `${name}.shift`, wrongType);
  const width = integer(v.width, `${name}.width`, wrongType);
  if (shift < 0 || width < 1)
    fail(`${name} { shift: ${shift}, width: ${width} } needs shift ≥ 0 and width ≥ 1`);
  if (shift + width > entryBits) {
    fail(
      `${name} (bits ${shift}..${shift + width - 1}) goes beyond a ${entryBits / 8}-byte entry (bits 0..${entryBits - 1})`,
    );
  }
  return { shift, width };
}

function maskIn(value: unknown, name: string, wrongType: (m: string) => never): EntryBits {
  const v = value as Record<string, unknown> | null;
  const half = (x: unknown) => typeof x === 'number' && Number.isInteger(x) && x >= 0 && x <= 0xffff_ffff;
  if (typeof v !== 'object' || v === null || !half(v.lo) || !half(v.hi)) {
    wrongType(
      `${name} must be entry bits { lo, hi } of two unsigned 32-bit masks (use bit(n)); got ${show(value)}`,
    );
  }
  return value as EntryBits;
}

function fieldMask(f: BitField): EntryBits {
  let lo = 0;
  let hi = 0;
  for (let b = f.shift; b < f.shift + f.width; b++) {
    if (b < 32) lo |= 1 << b;
    else hi |= 1 << (b - 32);
  }
  return { lo: lo >>> 0, hi: hi >>> 0 };
}

function overlaps(a: EntryBits, b: EntryBits): boolean {
  return (a.lo & b.lo) !== 0 || (a.hi & b.hi) !== 0;
}

function positionsOf(m: EntryBits): number[] {
  const out: number[] = [];
  for (let b = 0; b < 64; b++) if (((b < 32 ? m.lo >>> b : m.hi >>> (b - 32)) & 1) === 1) out.push(b);
  return out;
}

function show(value: unknown): string {
  if (typeof value === 'string') return `"${value}"`;
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'object' && value !== null) {
    try {
      return JSON.stringify(value);
    } catch {
      return String(value);
    }
  }
  return String(value);
}
