/**
 * A paging format compiled for the walk: the descriptor checked once
 * (format-validation.ts), then flattened into numbers and typed arrays so
 * that a walk step is a few loads, ANDs and compares — no property chains,
 * no per-access decisions about what the format has.
 *
 * A flag that is not modelled is decided here, once: it compiles to the mask
 * that makes the walk's test come out the permissive way. A flag whose set
 * state restricts (NX, XN, APTable, PS, G) compiles to 0, which never reads
 * as set. A flag whose clear state restricts compiles to the valid bit, which
 * always reads as set in a valid entry: x86 R/W, U/S and D, the accessed
 * flags, RISC-V U and D (so every page is writable, user-reachable, dirty,
 * accessed — nothing to set, nothing to fault on). Where that trick would
 * change what kind an entry is — RISC-V W and X, which make leaves — or
 * trigger a rule about user pages (ARM64's "EL0-writable is never
 * EL1-executable"), the flag compiles to 0 and the right is added to every
 * leaf through `permAlways`. The A/D bits the MMU writes come from `commit`,
 * which holds the real masks (0 when not modelled).
 */
import { type FieldCodec, type FlagBits, fieldCodec, isModelled, maskOf } from './entry-bits.ts';
import { validatePagingFormat } from './format-validation.ts';
import { modelsPrivilege, type PagingFormat, tableBytes } from './paging-format.ts';
import { Perm } from './permissions.ts';

/** A format with everything the walk needs precomputed as flat numbers. */
export interface CompiledFormat {
  readonly format: PagingFormat;
  readonly levels: number;
  readonly entryBytes: number;
  /** log2(entryBytes). */
  readonly entryShift: number;
  readonly pageShift: number;
  readonly pageSize: number;
  readonly invPageSize: number;
  readonly signed: boolean;
  /** Unsigned: addresses < vaLimit. Signed: -vaLimit ≤ address < vaLimit. */
  readonly vaLimit: number;
  /** Address bits the levels translate (page offset included): 48 on x86-64, 57 with LA57. */
  readonly vaBits: number;
  readonly splitRoots: boolean;
  /** Bit position of each level's index field in the address. */
  readonly indexShift: Int32Array;
  /** 2^-shift of each level's index field (multiplying by a power of two is exact). */
  readonly indexScale: Float64Array;
  readonly indexMask: Int32Array;
  /** Bytes of a table at each level; a root must be aligned to `tableBytes[0]`. */
  readonly tableBytes: Float64Array;
  /** tableBytes[0], for the walk's bounds check on the root. */
  readonly rootTableBytes: number;
  readonly leafAllowed: Uint8Array;
  /** Bytes mapped by a leaf at each level, and its reciprocal. */
  readonly leafSpan: Float64Array;
  /** leafSpan - 1: the address bits a leaf at each level passes through (leaves are ≤ 1 GiB). */
  readonly leafMask: Int32Array;
  /** 32-bit paging honours PS only with CR4.PSE. */
  readonly pageSizeNeedsPse: boolean;
  /** Reserved bits checked in every valid entry. */
  readonly reservedLo: number;
  readonly reservedHi: number;
  /** RISC-V: D, A and U, reserved in a pointer (the real bits, whichever are modelled). */
  readonly pointerReservedLo: number;
  /** x86: bits of a huge leaf's frame field that must be zero, per level. */
  readonly hugeReservedLo: Int32Array;
  readonly hugeReservedHi: Int32Array;
  readonly frame: FieldCodec;
  readonly key: FieldCodec | null;
  /** 0 = x86, 1 = RISC-V, 2 = ARM64: a small integer for the walk's switch. */
  readonly family: 0 | 1 | 2;
  /**
   * The family's flag masks, flattened so the walk reads each with one load
   * (`m.present` rather than `format.bits.present.lo`). `Lo` masks test the
   * entry's low half, `Hi` masks its high half. Compiled for the walk's
   * tests: see the module comment for flags that are not modelled.
   */
  readonly m: FlagMasks;
  /** `Perm` rights every leaf has because the flag that would withhold them is not modelled. */
  readonly permAlways: number;
  /** Whether the format has a user/supervisor flag; without one the permission table ignores privilege. */
  readonly privilegesModelled: boolean;
  /** The bits the MMU sets (or, for ARM64's DBM, clears) when it commits A/D: 0 where not modelled. */
  readonly commit: { readonly accessed: number; readonly dirty: number; readonly readOnly: number };
}

export interface FlagMasks {
  // x86 (and teaching formats)
  readonly present: number;
  readonly writable: number;
  readonly user: number;
  readonly accessed: number;
  readonly dirty: number;
  readonly pageSize: number;
  readonly global: number;
  readonly noExecLo: number;
  readonly noExecHi: number;
  // RISC-V (valid/user/global/accessed/dirty/writable reuse the fields above)
  readonly read: number;
  readonly execute: number;
  // ARM64
  readonly tableOrPage: number;
  readonly apUser: number;
  readonly apReadOnly: number;
  readonly notGlobal: number;
  readonly dbmHi: number;
  readonly pxnHi: number;
  readonly uxnHi: number;
  readonly pxnTableHi: number;
  readonly uxnTableHi: number;
  readonly apTableNoUserHi: number;
  readonly apTableReadOnlyHi: number;
}

/** Low-half mask of a flag whose set state restricts: 0 when not modelled (never set). */
const lo = (f: FlagBits): number => maskOf(f).lo;
const hi = (f: FlagBits): number => maskOf(f).hi;
/** Low-half mask of a flag whose clear state restricts: the valid bit when not modelled (always set). */
const loOrValid = (f: FlagBits, valid: number): number => (isModelled(f) ? f.lo : valid);

function flagMasks(format: PagingFormat): FlagMasks {
  const none = {
    present: 0,
    writable: 0,
    user: 0,
    accessed: 0,
    dirty: 0,
    pageSize: 0,
    global: 0,
    noExecLo: 0,
    noExecHi: 0,
    read: 0,
    execute: 0,
    tableOrPage: 0,
    apUser: 0,
    apReadOnly: 0,
    notGlobal: 0,
    dbmHi: 0,
    pxnHi: 0,
    uxnHi: 0,
    pxnTableHi: 0,
    uxnTableHi: 0,
    apTableNoUserHi: 0,
    apTableReadOnlyHi: 0,
  };
  switch (format.family) {
    case 'x86': {
      const b = format.bits;
      const p = b.present.lo;
      return {
        ...none,
        present: p,
        writable: loOrValid(b.writable, p),
        user: loOrValid(b.user, p),
        accessed: loOrValid(b.accessed, p),
        dirty: loOrValid(b.dirty, p),
        pageSize: lo(b.pageSize),
        global: lo(b.global),
        noExecLo: lo(b.noExecute),
        noExecHi: hi(b.noExecute),
      };
    }
    case 'riscv': {
      const b = format.bits;
      const v = b.valid.lo;
      return {
        ...none,
        present: v,
        read: b.read.lo,
        // W and X make an entry a leaf: not modelled, they read clear and
        // every leaf gets the right through permAlways.
        writable: lo(b.write),
        execute: lo(b.execute),
        user: loOrValid(b.user, v),
        global: lo(b.global),
        accessed: loOrValid(b.accessed, v),
        dirty: loOrValid(b.dirty, v),
      };
    }
    case 'arm64': {
      const b = format.bits;
      const v = b.valid.lo;
      return {
        ...none,
        present: v,
        tableOrPage: b.tableOrPage.lo,
        // Not modelled, AP[1] reads clear (so no EL0-writable page loses
        // EL1 execution) and permAlways grants EL0 access.
        apUser: lo(b.apUser),
        apReadOnly: lo(b.apReadOnly),
        accessed: loOrValid(b.accessFlag, v),
        // nG not modelled: every entry reads as non-global.
        notGlobal: loOrValid(b.notGlobal, v),
        dbmHi: hi(b.dirtyBitModifier),
        pxnHi: hi(b.pxn),
        uxnHi: hi(b.uxn),
        pxnTableHi: hi(b.pxnTable),
        uxnTableHi: hi(b.uxnTable),
        apTableNoUserHi: hi(b.apTableNoUser),
        apTableReadOnlyHi: hi(b.apTableReadOnly),
      };
    }
  }
}

function permAlways(format: PagingFormat): number {
  switch (format.family) {
    case 'x86':
      return 0;
    case 'riscv': {
      const b = format.bits;
      return (
        (isModelled(b.write) ? 0 : Perm.Write) |
        (isModelled(b.execute) ? 0 : Perm.UserExec | Perm.SupervisorExec)
      );
    }
    case 'arm64':
      return isModelled(format.bits.apUser) ? 0 : Perm.User;
  }
}

const compiled = new WeakMap<PagingFormat, CompiledFormat>();

/** Checks `format` (a TypeError or RangeError names what is wrong) and compiles it; cached per descriptor. */
export function compileFormat(format: PagingFormat): CompiledFormat {
  const cached = compiled.get(format);
  if (cached) return cached;
  validatePagingFormat(format);
  const n = format.levels.length;
  const indexShift = new Int32Array(n);
  const indexScale = new Float64Array(n);
  const indexMask = new Int32Array(n);
  const tables = new Float64Array(n);
  const leafAllowed = new Uint8Array(n);
  const leafSpan = new Float64Array(n);
  const leafMask = new Int32Array(n);
  const hugeReservedLo = new Int32Array(n);
  const hugeReservedHi = new Int32Array(n);
  let shift = format.pageShift;
  for (let level = n - 1; level >= 0; level--) {
    const lf = format.levels[level]!;
    indexShift[level] = shift;
    indexScale[level] = 2 ** -shift;
    indexMask[level] = (1 << lf.indexBits) - 1;
    tables[level] = tableBytes(format, level);
    leafAllowed[level] = lf.leaf || level === n - 1 ? 1 : 0;
    leafSpan[level] = 2 ** shift;
    // Leaves are at most 1 GiB, so the mask fits an int32; levels that
    // cannot hold a leaf never use theirs.
    leafMask[level] = leafAllowed[level] === 1 ? 2 ** shift - 1 : 0;
    if (format.family === 'x86' && level < n - 1) {
      // SDM Tables 4-15/4-17/4-5: in a huge leaf, the frame bits below the
      // page's alignment are reserved, except the PAT bit (bit 12).
      const patLo = lo(format.bits.hugePat);
      const low = format.frame.shift;
      const high = low + (shift - format.pageShift) - 1;
      let hugeLo = 0;
      let hugeHi = 0;
      for (let b = low; b <= high; b++) {
        if (b < 32) hugeLo |= 1 << b;
        else hugeHi |= 1 << (b - 32);
      }
      hugeReservedLo[level] = hugeLo & ~patLo;
      hugeReservedHi[level] = hugeHi;
    }
    shift += lf.indexBits;
  }
  const vaBits = shift;
  const signed = format.addressing === 'sign-extended';
  const frame = fieldCodec(format.frame);

  // Frame-field bits above the physical address width are reserved (x86
  // MAXPHYADDR, §4.5 "Reserved (must be 0)"); RISC-V has its own list.
  let reservedLo = 0;
  let reservedHi = 0;
  // Entry bit b holds physical address bit b - frame.shift + pageShift.
  const frameTop = format.frame.shift + format.frame.width;
  const firstReserved = format.physAddrBits - format.pageShift + format.frame.shift;
  for (let b = firstReserved; b < frameTop; b++) {
    if (format.family !== 'x86') break;
    if (b < 32) reservedLo |= 1 << b;
    else reservedHi |= 1 << (b - 32);
  }
  let pointerReservedLo = 0;
  if (format.family === 'riscv') {
    const b = format.bits;
    reservedLo |= b.reserved.lo;
    reservedHi |= b.reserved.hi;
    pointerReservedLo = lo(b.dirty) | lo(b.accessed) | lo(b.user);
  }

  const result: CompiledFormat = {
    format,
    levels: n,
    entryBytes: format.entryBytes,
    entryShift: Math.log2(format.entryBytes),
    pageShift: format.pageShift,
    pageSize: 2 ** format.pageShift,
    invPageSize: 2 ** -format.pageShift,
    signed,
    // ARM64 gives each TTBR its own full 48-bit half: 0..2^48 and -2^48..0.
    vaLimit: signed && format.family !== 'arm64' ? 2 ** (vaBits - 1) : 2 ** vaBits,
    vaBits,
    splitRoots: format.family === 'arm64',
    indexShift,
    indexScale,
    indexMask,
    tableBytes: tables,
    rootTableBytes: tables[0]!,
    leafAllowed,
    leafSpan,
    leafMask,
    pageSizeNeedsPse: format.family === 'x86' && format.pageSizeNeedsPse,
    reservedLo: reservedLo >>> 0,
    reservedHi: reservedHi >>> 0,
    pointerReservedLo: pointerReservedLo >>> 0,
    hugeReservedLo,
    hugeReservedHi,
    frame,
    key: format.family === 'x86' && format.protectionKey ? fieldCodec(format.protectionKey) : null,
    family: format.family === 'x86' ? 0 : format.family === 'riscv' ? 1 : 2,
    m: flagMasks(format),
    permAlways: permAlways(format),
    privilegesModelled: modelsPrivilege(format),
    commit: {
      accessed: lo(format.family === 'arm64' ? format.bits.accessFlag : format.bits.accessed),
      dirty: format.family === 'arm64' ? 0 : lo(format.bits.dirty),
      readOnly: format.family === 'arm64' ? lo(format.bits.apReadOnly) : 0,
    },
  };
  compiled.set(format, result);
  return result;
}

/**
 * Throws a RangeError unless `root` can hold the root table: an integer
 * aligned to the table's size, the whole table inside installed memory.
 * `register` names what holds it in the message (root, rootHigh).
 */
export function checkRoot(c: CompiledFormat, memorySize: number, root: number, register = 'root'): void {
  const bytes = c.rootTableBytes;
  if (!Number.isSafeInteger(root) || root < 0) {
    throw new RangeError(`${c.format.id}: ${register} ${root} is not a physical address`);
  }
  if (root % bytes !== 0) {
    throw new RangeError(`${c.format.id}: ${register} ${hex(root)} is not aligned to its ${rootTable(c)}`);
  }
  if (root + bytes > memorySize) {
    throw new RangeError(
      `${c.format.id}: ${register} ${hex(root)}: the ${rootTable(c)} does not fit in installed memory (0..${hex(memorySize - 1)})`,
    );
  }
}

const rootTable = (c: CompiledFormat) => `${c.rootTableBytes}-byte root table (${c.format.levels[0]!.name})`;
const hex = (n: number) => (Number.isFinite(n) ? `0x${n.toString(16)}` : String(n));
