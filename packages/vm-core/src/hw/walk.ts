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
 * The descriptor reaches the walk compiled (compiled-format.ts): what a
 * format has or lacks is decided there, not here.
 */
import { Access, accessSlot, type Privilege } from './access.ts';
import type { CompiledFormat } from './compiled-format.ts';
import type { ControlState } from './control.ts';
import { readField } from './entry-bits.ts';
import { FaultKind } from './fault.ts';
import { MAX_LEVELS } from './paging-format.ts';
import {
  asSeenBy,
  PERM_KEY_SHIFT,
  PERM_SPACE,
  Perm,
  type PermissionTable,
  protectionKeyDenies,
} from './permissions.ts';
import type { PhysicalMemory } from './physical-memory.ts';

export { type CompiledFormat, compileFormat, type FlagMasks } from './compiled-format.ts';
export { MAX_LEVELS };

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

  const m = c.m;
  const last = c.levels - 1;
  const entryBytes = c.entryBytes;
  const entryShift = c.entryShift;
  const pageShift = c.pageShift;
  const u32 = mem.u32;
  // A table must lie wholly inside installed memory — the root table all of
  // its bytes, however many pages it spans (the MMU refuses such roots; a
  // caller of walk() with its own ControlState may still pass one).
  if (!(root >= 0 && root + c.rootTableBytes <= mem.size)) return fail(out, FaultKind.BusError, 0);
  let tableBase = root | 0;
  // The address as two 32-bit halves, so every index below is int32 arithmetic
  // (ToUint32 is "modulo 2^32", which is right for negative addresses too).
  const vaLo = va >>> 0;
  const vaHi = Math.floor(va * 2 ** -32) | 0;
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
    const shift = c.indexShift[level]!;
    const bitsAt = shift >= 32 ? vaHi >> (shift - 32) : (vaLo >>> shift) | (vaHi << (32 - shift));
    const entryPa = tableBase + ((bitsAt & c.indexMask[level]!) << entryShift);
    if (entryBytes === 8) {
      // `| 0` keeps the halves in int32 registers; the bit tests don't care
      // about the sign and readField's `>>>` restores unsigned values.
      lo = u32[entryPa >>> 2]! | 0;
      hi = u32[(entryPa >>> 2) + 1]! | 0;
    } else {
      lo = mem.entryLo(entryPa, entryBytes);
    }
    out.entryPa[level] = entryPa;
    out.entryLo[level] = lo;
    out.entryHi[level] = hi;
    out.steps = level + 1;

    let leaf = false;
    switch (c.family) {
      case 0: {
        // x86. SDM §4.5: P = 0 stops the walk; a set reserved bit makes the
        // entry invalid whatever the access (RSVD = 1 in the error code).
        if ((lo & m.present) === 0) return fail(out, FaultKind.NotPresent, level);
        if (((lo & c.reservedLo) | (hi & c.reservedHi)) !== 0) return fail(out, FaultKind.ReservedBit, level);
        const xd = ((lo & m.noExecLo) | (hi & m.noExecHi)) !== 0;
        if (xd && !s.noExecuteEnabled) return fail(out, FaultKind.ReservedBit, level);
        const pageSizeBit = level < last && (lo & m.pageSize) !== 0 && (s.pse || !c.pageSizeNeedsPse);
        if (pageSizeBit) {
          // PS in a PML4E is reserved; in a PDPTE/PDE it makes a huge leaf
          // whose low frame bits (but PAT) must be zero.
          if (c.leafAllowed[level] === 0) return fail(out, FaultKind.ReservedBit, level);
          if (((lo & c.hugeReservedLo[level]!) | (hi & c.hugeReservedHi[level]!)) !== 0) {
            return fail(out, FaultKind.ReservedBit, level);
          }
        }
        if ((lo & m.writable) === 0) allWritable = 0;
        if ((lo & m.user) === 0) allUser = 0;
        if (xd) anyNoExec = 1;
        if ((lo & m.accessed) === 0) allAccessed = 0;
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
            ((lo & m.dirty) !== 0 ? Perm.Dirty : 0);
          if (c.key !== null && s.protectionKeys) perm |= readField(c.key, lo, hi) << PERM_KEY_SHIFT;
          global = (lo & m.global) !== 0;
          out.setAccessed = allAccessed === 0;
        }
        break;
      }
      case 1: {
        // RISC-V. Privileged Spec §4.3.2 step 3: V = 0, or W without R, or a
        // reserved bit set → page fault.
        if ((lo & m.present) === 0) return fail(out, FaultKind.NotPresent, level);
        const r = (lo & m.read) !== 0;
        const w = (lo & m.writable) !== 0;
        const x = (lo & m.execute) !== 0;
        if (!r && w) return fail(out, FaultKind.ReservedBit, level);
        if (((lo & c.reservedLo) | (hi & c.reservedHi)) !== 0) return fail(out, FaultKind.ReservedBit, level);
        if ((lo & m.global) !== 0) anyGlobal = 1;
        if (r || w || x) {
          // Step 4: any of R/W/X makes a leaf, at any level.
          leaf = true;
          // Step 6: a superpage whose low PPN bits are not zero is misaligned.
          if ((((lo & c.frame.loMask) >>> c.frame.loShift) & (c.leafMask[level]! >>> pageShift)) !== 0) {
            return fail(out, FaultKind.ReservedBit, level);
          }
          perm =
            (r ? Perm.Read : 0) |
            (w ? Perm.Write : 0) |
            (x ? Perm.UserExec | Perm.SupervisorExec : 0) |
            ((lo & m.user) !== 0 ? Perm.User : 0) |
            ((lo & m.dirty) !== 0 ? Perm.Dirty : 0) |
            c.permAlways;
          global = anyGlobal === 1;
        } else {
          // A pointer: D, A and U are reserved in non-leaf PTEs; step 4 faults
          // when the last level is still a pointer.
          if ((lo & c.pointerReservedLo) !== 0) return fail(out, FaultKind.ReservedBit, level);
          if (level === last) return fail(out, FaultKind.ReservedBit, level);
        }
        break;
      }
      case 2: {
        // ARM64. ARM ARM D8.3: bit 0 clear → invalid → translation fault.
        if ((lo & m.present) === 0) return fail(out, FaultKind.NotPresent, level);
        const tableOrPage = (lo & m.tableOrPage) !== 0;
        if (level < last && tableOrPage) {
          // Table descriptor: APTable/UXNTable/PXNTable limit everything below.
          if ((hi & m.apTableReadOnlyHi) !== 0) allWritable = 0;
          if ((hi & m.apTableNoUserHi) !== 0) allUser = 0;
          if ((hi & m.uxnTableHi) !== 0) anyNoExec |= 1;
          if ((hi & m.pxnTableHi) !== 0) anyNoExec |= 2;
          break;
        }
        // A block (levels 1–2) or a page (level 3, bits[1:0] = 0b11). A block
        // at level 0, or 0b01 at level 3, is a reserved encoding.
        if (level === last ? !tableOrPage : c.leafAllowed[level] === 0) {
          return fail(out, FaultKind.ReservedBit, level);
        }
        leaf = true;
        const readOnly = (lo & m.apReadOnly) !== 0;
        const dbm = (hi & m.dbmHi) !== 0;
        // With TCR_EL1.HD, DBM = 1 marks a writable-clean page: AP[2] = 1 until
        // the first write, which the MMU turns into AP[2] = 0 (D8.4.6).
        const writable = (!readOnly || (s.hardwareDirty && dbm)) && allWritable === 1;
        const user = (lo & m.apUser) !== 0 && allUser === 1;
        const uxn = (hi & m.uxnHi) !== 0 || (anyNoExec & 1) !== 0;
        // D8.4.3: a page writable at EL0 is never executable at EL1.
        const pxn = (hi & m.pxnHi) !== 0 || (anyNoExec & 2) !== 0 || (user && writable);
        const dirty = s.hardwareDirty ? !readOnly : true;
        perm =
          Perm.Read |
          (writable ? Perm.Write : 0) |
          (user ? Perm.User : 0) |
          (uxn ? 0 : Perm.UserExec) |
          (pxn ? 0 : Perm.SupervisorExec) |
          (dirty ? Perm.Dirty : 0) |
          c.permAlways;
        global = (lo & m.notGlobal) === 0;
        // The Access flag is checked before permissions: AF = 0 without
        // hardware management is an Access flag fault.
        if ((lo & m.accessed) === 0) {
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
    // Next table: the frame this entry names. A frame number with high-half
    // bits set, or past the last frame, is memory that is not installed.
    // Tables below the root fit in one page (format-validation.ts), so a
    // table that starts in installed memory ends there.
    const frame = c.frame;
    const tableFrame = (lo & frame.loMask) >>> frame.loShift;
    if ((hi & frame.hiMask) !== 0 || tableFrame >= mem.frameCount)
      return fail(out, FaultKind.BusError, level + 1);
    tableBase = tableFrame << pageShift;
  }

  out.leafLevel = level;
  const write = access === Access.Write;

  // Rights, with the dirty state treated as settable: the walk's job is to
  // decide whether the access is legal; setting D is the MMU's.
  if (table[accessSlot(access, privilege) * PERM_SPACE + (perm | Perm.Dirty)] === 0) {
    out.protectionKey =
      c.family === 0 &&
      protectionKeyDenies(s, c.privilegesModelled ? perm : asSeenBy(perm, privilege), access, privilege);
    return fail(out, FaultKind.Protection, level);
  }

  const clean = (perm & Perm.Dirty) === 0;
  if (c.family === 1) {
    // RISC-V §4.3.2 step 7: A = 0, or D = 0 on a store → either fault (Svade)
    // or set them (Svadu).
    const needA = (lo & m.accessed) === 0;
    if (needA || (write && clean)) {
      if (!s.hardwareAccessed) return fail(out, FaultKind.AccessFlag, level);
      out.setAccessed = needA;
    }
  }
  if (write && clean) {
    if (c.family === 1 && !s.hardwareDirty) return fail(out, FaultKind.AccessFlag, level);
    out.setDirty = true;
    perm |= Perm.Dirty;
  }

  // The page itself must be installed memory. Low frame bits of a huge leaf
  // are PAT (x86), zero (checked above) or RES0 (ARM): not address bits.
  // Installed memory is below 2^31, so all of this is int32 arithmetic.
  const frame = c.frame;
  if ((hi & frame.hiMask) !== 0) return fail(out, FaultKind.BusError, -1);
  const leafMask = c.leafMask[level]!;
  const leafPfn = ((lo & frame.loMask) >>> frame.loShift) & ~(leafMask >>> pageShift);
  const pageFrame = leafPfn + ((vaLo & leafMask) >>> pageShift);
  if (pageFrame >= mem.frameCount) return fail(out, FaultKind.BusError, -1);
  const pagePa = pageFrame << pageShift;

  out.ok = true;
  out.perm = perm;
  out.global = global;
  out.pagePa = pagePa;
  out.pa = pagePa + (vaLo & (c.pageSize - 1));
  return true;
}

function fail(out: WalkResult, kind: FaultKind, level: number): false {
  out.ok = false;
  out.faultKind = kind;
  out.faultLevel = level;
  return false;
}
