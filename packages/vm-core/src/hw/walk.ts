/**
 * The page walk: one generic walker driven by a `PagingFormat`.
 *
 * Geometry (how many levels, which address bits index each, entry width,
 * where the frame number sits) comes from the descriptor; the few rules that
 * are not bit positions — how a leaf is recognised and how permissions
 * combine down the levels — are picked by the format's family.
 *
 * The walk itself never changes anything: it reads entries, and reports either
 * a translation (frame, rights, global bit, which accessed/dirty flags still
 * need setting) or the reason it stopped. The MMU then commits A/D updates and
 * fills the TLB — only after a successful walk, as Intel processors do
 * (page-walk first, then atomic A/D updates; see the KVM commit "MMU: Update
 * accessed and dirty bits after guest pagetable walk"). The same walk, with
 * nothing committed, is the side-effect-free inspection the visualiser uses.
 *
 * Results go into a reusable `WalkResult` so a TLB miss allocates nothing.
 */
import { Access, accessSlot, type Privilege } from './access.ts';
import type { ControlState } from './control.ts';
import { type FieldCodec, fieldCodec, readField } from './entry-bits.ts';
import { FaultKind } from './fault.ts';
import type { PagingFormat } from './paging-format.ts';
import {
  PERM_KEY_SHIFT,
  PERM_SPACE,
  Perm,
  type PermissionTable,
  protectionKeyDenies,
} from './permissions.ts';
import type { PhysicalMemory } from './physical-memory.ts';

/** A format with everything the walk needs precomputed as flat numbers. */
export interface CompiledFormat {
  readonly format: PagingFormat;
  readonly levels: number;
  readonly entryBytes: number;
  readonly pageShift: number;
  readonly pageSize: number;
  readonly invPageSize: number;
  readonly signed: boolean;
  /** Unsigned: addresses < vaLimit. Signed: -vaLimit ≤ address < vaLimit. */
  readonly vaLimit: number;
  readonly splitRoots: boolean;
  /** 2^-shift of each level's index field (multiplying by a power of two is exact). */
  readonly indexScale: Float64Array;
  readonly indexMask: Int32Array;
  readonly leafAllowed: Uint8Array;
  /** Bytes mapped by a leaf at each level, and its reciprocal. */
  readonly leafSpan: Float64Array;
  readonly invLeafSpan: Float64Array;
  /** Frames per leaf at each level (1 at the last level). */
  readonly leafFrames: Float64Array;
  /** Reserved bits checked in every valid entry. */
  readonly reservedLo: number;
  readonly reservedHi: number;
  /** x86: bits of a huge leaf's frame field that must be zero, per level. */
  readonly hugeReservedLo: Int32Array;
  readonly hugeReservedHi: Int32Array;
  readonly frame: FieldCodec;
  readonly key: FieldCodec | null;
}

const compiled = new WeakMap<PagingFormat, CompiledFormat>();

export function compileFormat(format: PagingFormat): CompiledFormat {
  const cached = compiled.get(format);
  if (cached) return cached;
  const n = format.levels.length;
  const indexScale = new Float64Array(n);
  const indexMask = new Int32Array(n);
  const leafAllowed = new Uint8Array(n);
  const leafSpan = new Float64Array(n);
  const invLeafSpan = new Float64Array(n);
  const leafFrames = new Float64Array(n);
  const hugeReservedLo = new Int32Array(n);
  const hugeReservedHi = new Int32Array(n);
  let shift = format.pageShift;
  for (let level = n - 1; level >= 0; level--) {
    const lf = format.levels[level]!;
    indexScale[level] = 2 ** -shift;
    indexMask[level] = (1 << lf.indexBits) - 1;
    leafAllowed[level] = lf.leaf || level === n - 1 ? 1 : 0;
    leafSpan[level] = 2 ** shift;
    invLeafSpan[level] = 2 ** -shift;
    leafFrames[level] = 2 ** (shift - format.pageShift);
    if (format.family === 'x86' && level < n - 1) {
      // SDM Tables 4-15/4-17/4-5: in a huge leaf, the frame bits below the
      // page's alignment are reserved, except the PAT bit (bit 12).
      const patLo = format.bits.hugePat.lo;
      const low = format.frame.shift;
      const high = low + (shift - format.pageShift) - 1;
      let lo = 0;
      let hi = 0;
      for (let b = low; b <= high; b++) {
        if (b < 32) lo |= 1 << b;
        else hi |= 1 << (b - 32);
      }
      hugeReservedLo[level] = lo & ~patLo;
      hugeReservedHi[level] = hi;
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
  if (format.family === 'riscv') {
    reservedLo |= format.bits.reserved.lo;
    reservedHi |= format.bits.reserved.hi;
  }

  const result: CompiledFormat = {
    format,
    levels: n,
    entryBytes: format.entryBytes,
    pageShift: format.pageShift,
    pageSize: 2 ** format.pageShift,
    invPageSize: 2 ** -format.pageShift,
    signed,
    // ARM64 gives each TTBR its own full 48-bit half: 0..2^48 and -2^48..0.
    vaLimit: signed && format.family !== 'arm64' ? 2 ** (vaBits - 1) : 2 ** vaBits,
    splitRoots: format.family === 'arm64',
    indexScale,
    indexMask,
    leafAllowed,
    leafSpan,
    invLeafSpan,
    leafFrames,
    reservedLo: reservedLo >>> 0,
    reservedHi: reservedHi >>> 0,
    hugeReservedLo,
    hugeReservedHi,
    frame,
    key: format.family === 'x86' && format.protectionKey ? fieldCodec(format.protectionKey) : null,
  };
  compiled.set(format, result);
  return result;
}

export const MAX_LEVELS = 5;

/** What a walk found. Reused across walks; copy out anything you keep. */
export class WalkResult {
  ok = false;
  faultKind: FaultKind = FaultKind.NotPresent;
  /** Level whose entry decided the fault; -1 if none was read or the page itself is not installed. */
  faultLevel = -1;
  protectionKey = false;
  /** Entries read, root first. */
  steps = 0;
  readonly entryPa = new Float64Array(MAX_LEVELS);
  readonly entryLo = new Uint32Array(MAX_LEVELS);
  readonly entryHi = new Uint32Array(MAX_LEVELS);
  leafLevel = -1;
  /** Physical address of the start of the (base-size) page holding the address. */
  pagePa = 0;
  pa = 0;
  perm = 0;
  global = false;
  /** A/D work the MMU must commit on success (hardware-managed flags only). */
  setAccessed = false;
  setDirty = false;
}

/**
 * Walks the tables for `va` and checks the access; true when it translates.
 * Pure: reads memory only.
 * `table` is the permission table for the current control state.
 */
export function walk(
  c: CompiledFormat,
  mem: PhysicalMemory,
  s: ControlState,
  table: PermissionTable,
  va: number,
  access: Access,
  privilege: Privilege,
  out: WalkResult,
): boolean {
  out.ok = false;
  out.steps = 0;
  out.leafLevel = -1;
  out.protectionKey = false;
  out.setAccessed = false;
  out.setDirty = false;

  let root = s.root;
  if (c.signed) {
    if (va >= c.vaLimit || va < -c.vaLimit) return fail(out, FaultKind.NonCanonical, -1);
    if (c.splitRoots && va < 0) root = s.rootHigh;
  } else if (va < 0 || va >= c.vaLimit) {
    return fail(out, FaultKind.NonCanonical, -1);
  }

  const f = c.format;
  const last = c.levels - 1;
  const entryBytes = c.entryBytes;
  let tableBase = root;
  // Rights gathered on the way down, for formats whose upper levels limit the leaf.
  let allWritable = 1;
  let allUser = 1;
  let anyNoExec = 0;
  let anyGlobal = 0;
  let allAccessed = 1;
  let level = 0;
  let lo = 0;
  let hi = 0;
  let perm = 0;
  let global = false;

  for (; ; level++) {
    const index = Math.floor(va * c.indexScale[level]!) & c.indexMask[level]!;
    const entryPa = tableBase + index * entryBytes;
    if (entryPa < 0 || entryPa + entryBytes > mem.size) return fail(out, FaultKind.BusError, level);
    lo = mem.entryLo(entryPa, entryBytes);
    hi = mem.entryHi(entryPa, entryBytes);
    out.entryPa[level] = entryPa;
    out.entryLo[level] = lo;
    out.entryHi[level] = hi;
    out.steps = level + 1;

    let leaf = false;
    switch (f.family) {
      case 'x86': {
        const b = f.bits;
        // SDM §4.5: P = 0 stops the walk; a set reserved bit makes the entry
        // invalid whatever the access (RSVD = 1 in the error code).
        if ((lo & b.present.lo) === 0) return fail(out, FaultKind.NotPresent, level);
        if (((lo & c.reservedLo) | (hi & c.reservedHi)) !== 0) return fail(out, FaultKind.ReservedBit, level);
        const xd = ((lo & b.noExecute.lo) | (hi & b.noExecute.hi)) !== 0;
        if (xd && !s.noExecuteEnabled) return fail(out, FaultKind.ReservedBit, level);
        const pageSizeBit = level < last && (lo & b.pageSize.lo) !== 0 && (!f.pageSizeNeedsPse || s.pse);
        if (pageSizeBit) {
          // PS in a PML4E is reserved; in a PDPTE/PDE it makes a huge leaf
          // whose low frame bits (but PAT) must be zero.
          if (c.leafAllowed[level] === 0) return fail(out, FaultKind.ReservedBit, level);
          if (((lo & c.hugeReservedLo[level]!) | (hi & c.hugeReservedHi[level]!)) !== 0) {
            return fail(out, FaultKind.ReservedBit, level);
          }
        }
        if ((lo & b.writable.lo) === 0) allWritable = 0;
        if ((lo & b.user.lo) === 0) allUser = 0;
        if (xd) anyNoExec = 1;
        if ((lo & b.accessed.lo) === 0) allAccessed = 0;
        if (level === last || pageSizeBit) {
          leaf = true;
          // §4.6: a page is writable/user only if every level says so; XD at
          // any level forbids fetches.
          const exec = anyNoExec === 1 && s.noExecuteEnabled ? 0 : Perm.UserExec | Perm.SupervisorExec;
          perm =
            Perm.Read |
            (allWritable ? Perm.Write : 0) |
            (allUser ? Perm.User : 0) |
            exec |
            ((lo & b.dirty.lo) !== 0 ? Perm.Dirty : 0);
          if (c.key !== null && s.protectionKeys) perm |= readField(c.key, lo, hi) << PERM_KEY_SHIFT;
          global = (lo & b.global.lo) !== 0;
          out.setAccessed = allAccessed === 0;
        }
        break;
      }
      case 'riscv': {
        const b = f.bits;
        // Privileged Spec §4.3.2 step 3: V = 0, or W without R, or a reserved
        // bit set → page fault.
        if ((lo & b.valid.lo) === 0) return fail(out, FaultKind.NotPresent, level);
        const r = (lo & b.read.lo) !== 0;
        const w = (lo & b.write.lo) !== 0;
        const x = (lo & b.execute.lo) !== 0;
        if (!r && w) return fail(out, FaultKind.ReservedBit, level);
        if (((lo & c.reservedLo) | (hi & c.reservedHi)) !== 0) return fail(out, FaultKind.ReservedBit, level);
        if ((lo & b.global.lo) !== 0) anyGlobal = 1;
        if (r || w || x) {
          // Step 4: any of R/W/X makes a leaf, at any level.
          leaf = true;
          // Step 6: a superpage whose low PPN bits are not zero is misaligned.
          const pfn = readField(c.frame, lo, hi);
          if (pfn % c.leafFrames[level]! !== 0) return fail(out, FaultKind.ReservedBit, level);
          perm =
            (r ? Perm.Read : 0) |
            (w ? Perm.Write : 0) |
            (x ? Perm.UserExec | Perm.SupervisorExec : 0) |
            ((lo & b.user.lo) !== 0 ? Perm.User : 0) |
            ((lo & b.dirty.lo) !== 0 ? Perm.Dirty : 0);
          global = anyGlobal === 1;
        } else {
          // A pointer: D, A and U are reserved in non-leaf PTEs; step 4 faults
          // when the last level is still a pointer.
          if ((lo & (b.dirty.lo | b.accessed.lo | b.user.lo)) !== 0)
            return fail(out, FaultKind.ReservedBit, level);
          if (level === last) return fail(out, FaultKind.ReservedBit, level);
        }
        break;
      }
      case 'arm64': {
        const b = f.bits;
        // ARM ARM D8.3: bit 0 clear → invalid → translation fault at this level.
        if ((lo & b.valid.lo) === 0) return fail(out, FaultKind.NotPresent, level);
        const tableOrPage = (lo & b.tableOrPage.lo) !== 0;
        if (level < last && tableOrPage) {
          // Table descriptor: APTable/UXNTable/PXNTable limit everything below.
          if ((hi & b.apTableReadOnly.hi) !== 0) allWritable = 0;
          if ((hi & b.apTableNoUser.hi) !== 0) allUser = 0;
          if ((hi & b.uxnTable.hi) !== 0) anyNoExec |= 1;
          if ((hi & b.pxnTable.hi) !== 0) anyNoExec |= 2;
          break;
        }
        // A block (levels 1–2) or a page (level 3, bits[1:0] = 0b11). A block
        // at level 0, or 0b01 at level 3, is a reserved encoding.
        if (level === last ? !tableOrPage : c.leafAllowed[level] === 0) {
          return fail(out, FaultKind.ReservedBit, level);
        }
        leaf = true;
        const readOnly = (lo & b.apReadOnly.lo) !== 0;
        const dbm = (hi & b.dirtyBitModifier.hi) !== 0;
        // With TCR_EL1.HD, DBM = 1 marks a writable-clean page: AP[2] = 1 until
        // the first write, which the MMU turns into AP[2] = 0 (D8.4.6).
        const writable = (!readOnly || (s.hardwareDirty && dbm)) && allWritable === 1;
        const user = (lo & b.apUser.lo) !== 0 && allUser === 1;
        const uxn = (hi & b.uxn.hi) !== 0 || (anyNoExec & 1) !== 0;
        // D8.4.3: a page writable at EL0 is never executable at EL1.
        const pxn = (hi & b.pxn.hi) !== 0 || (anyNoExec & 2) !== 0 || (user && writable);
        const dirty = s.hardwareDirty ? !readOnly : true;
        perm =
          Perm.Read |
          (writable ? Perm.Write : 0) |
          (user ? Perm.User : 0) |
          (uxn ? 0 : Perm.UserExec) |
          (pxn ? 0 : Perm.SupervisorExec) |
          (dirty ? Perm.Dirty : 0);
        global = (lo & b.notGlobal.lo) === 0;
        // The Access flag is checked before permissions: AF = 0 without
        // hardware management is an Access flag fault.
        if ((lo & b.accessFlag.lo) === 0) {
          if (!s.hardwareAccessed) {
            out.leafLevel = level;
            return fail(out, FaultKind.AccessFlag, level);
          }
          out.setAccessed = true;
        }
        break;
      }
    }

    if (leaf) break;
    // Next table: the frame this entry names.
    tableBase = readField(c.frame, lo, hi) * c.pageSize;
  }

  out.leafLevel = level;
  const write = access === Access.Write;

  // Rights, with the dirty state treated as settable: the walk's job is to
  // decide whether the access is legal; setting D is the MMU's.
  if (table[accessSlot(access, privilege) * PERM_SPACE + (perm | Perm.Dirty)] === 0) {
    out.protectionKey = f.family === 'x86' && protectionKeyDenies(s, perm, access, privilege);
    return fail(out, FaultKind.Protection, level);
  }

  const clean = (perm & Perm.Dirty) === 0;
  if (f.family === 'riscv') {
    // §4.3.2 step 7: A = 0, or D = 0 on a store → either fault (Svade) or set
    // them (Svadu).
    const b = f.bits;
    const needA = (lo & b.accessed.lo) === 0;
    if (needA || (write && clean)) {
      if (!s.hardwareAccessed) return fail(out, FaultKind.AccessFlag, level);
      out.setAccessed = needA;
    }
  }
  if (write && clean) {
    if (f.family === 'riscv' && !s.hardwareDirty) return fail(out, FaultKind.AccessFlag, level);
    out.setDirty = true;
    perm |= Perm.Dirty;
  }

  // The page itself must be installed memory.
  const offsetInLeaf = va - Math.floor(va * c.invLeafSpan[level]!) * c.leafSpan[level]!;
  const leafPfn = readField(c.frame, lo, hi);
  // Low frame bits of a huge leaf are PAT (x86), zero (checked above) or RES0 (ARM): not address bits.
  const leafBase = (leafPfn - (leafPfn % c.leafFrames[level]!)) * c.pageSize;
  const pagePa = leafBase + Math.floor(offsetInLeaf * c.invPageSize) * c.pageSize;
  if (pagePa + c.pageSize > mem.size) return fail(out, FaultKind.BusError, -1);

  out.ok = true;
  out.perm = perm;
  out.global = global;
  out.pagePa = pagePa;
  out.pa = leafBase + offsetInLeaf;
  return true;
}

function fail(out: WalkResult, kind: FaultKind, level: number): false {
  out.ok = false;
  out.faultKind = kind;
  out.faultLevel = level;
  return false;
}
