/**
 * The MMU of one CPU: ties the TLB, the walker and the control state together.
 *
 * Hot path (after v86): a TLB hit is one set index, a tag compare and one
 * lookup in the permission table. Everything else — the walk, A/D updates,
 * TLB fill, building a fault — lives in `translateSlow`. With no event
 * listener attached, neither path allocates.
 *
 * `translate` returns the physical address (a number) or a `PageFault`
 * (an object): check with `typeof result === 'number'`.
 */
import { Access, accessName, Privilege, privilegeName } from './access.ts';
import { formatHex, narrowAddress, nearestAddress } from './address.ts';
import { type CompiledFormat, checkRoot, compileFormat } from './compiled-format.ts';
import { type ControlState, defaultControlState } from './control.ts';
import { type DecodedEntry, decodeEntry } from './entry.ts';
import { toBigInt } from './entry-bits.ts';
import type { HwEvent, HwListener, TlbFlushScope } from './events.ts';
import { FaultKind, makeFault, type PageFault } from './fault.ts';
import type { PagingFormat } from './paging-format.ts';
import { PERM_SPACE, Perm, type PermissionTable, permissionTableFor } from './permissions.ts';
import type { PhysicalMemory } from './physical-memory.ts';
import { DEFAULT_TLB, Tlb, type TlbConfig } from './tlb.ts';
import { WalkResult, walk } from './walk.ts';

export type Translation = number | PageFault;

const WAY_HINT_MASK = 1023;

export interface MmuOptions {
  readonly format: PagingFormat;
  readonly memory: PhysicalMemory;
  /** TLB geometry, or null for a machine without one (every access walks). */
  readonly tlb?: TlbConfig | null;
  readonly control?: Partial<ControlState>;
  /** CPU number, carried on events. */
  readonly cpu?: number;
}

export interface RightsView {
  readonly read: boolean;
  readonly write: boolean;
  readonly user: boolean;
  readonly userExec: boolean;
  readonly supervisorExec: boolean;
  readonly dirty: boolean;
}

export interface InspectedStep {
  readonly level: number;
  readonly levelName: string;
  readonly entryPa: number;
  readonly entry: DecodedEntry;
}

export type InspectOutcome =
  | {
      readonly kind: 'translated';
      readonly pa: number;
      readonly pageSize: number;
      readonly global: boolean;
      readonly rights: RightsView;
    }
  | { readonly kind: 'fault'; readonly fault: PageFault };

export interface Inspection {
  readonly va: number;
  readonly steps: readonly InspectedStep[];
  readonly outcome: InspectOutcome;
}

export class Mmu {
  readonly format: PagingFormat;
  readonly memory: PhysicalMemory;
  readonly tlb: Tlb | null;
  readonly cpu: number;
  /** Current privilege: the default for accesses that do not name one. */
  privilege: Privilege = Privilege.Supervisor;

  private readonly compiled: CompiledFormat;
  private readonly bytes: Uint8Array;
  private readonly pageShift: number;
  private readonly pageMask: number;
  private readonly state: ControlState;
  private permTable: PermissionTable;
  private listener: HwListener | null = null;
  private readonly listeners: HwListener[] = [];
  private readonly scratch = new WalkResult();
  // The TLB's arrays, held directly so a hit costs no extra indirection.
  private readonly tlbWays: number;
  private readonly tlbPageVa: Float64Array;
  private readonly tlbAsid: Int32Array;
  private readonly tlbGlobal: Uint8Array;
  private readonly tlbPerm: Uint16Array;
  private readonly tlbFrame: Int32Array;
  /** Mirror of state.asid, read on every hit. */
  private asid: number;
  /** Last TLB slot seen for a page-number hash: a way predictor. */
  private readonly wayHint = new Int32Array(WAY_HINT_MASK + 1);
  /** Set while `translateUnprivileged` runs: a fault is then taken from EL1. */
  private unprivileged = false;

  constructor(options: MmuOptions) {
    this.format = options.format;
    this.memory = options.memory;
    this.compiled = compileFormat(options.format);
    if (this.memory.pageSize !== this.compiled.pageSize) {
      throw new RangeError(
        `${this.format.id} uses ${this.compiled.pageSize}-byte pages but memory has ${this.memory.pageSize}-byte frames`,
      );
    }
    this.bytes = this.memory.bytes;
    this.pageShift = this.compiled.pageShift;
    this.pageMask = this.compiled.pageSize - 1;
    this.tlb = options.tlb === null ? null : new Tlb(options.tlb ?? DEFAULT_TLB, this.compiled.pageShift);
    this.cpu = options.cpu ?? 0;
    this.state = { ...defaultControlState(), ...options.control };
    this.checkRoots(this.state);
    this.asid = this.state.asid;
    this.permTable = permissionTableFor(this.format, this.state);
    const tlb = this.tlb ?? new Tlb({ entries: 1, ways: 1 }, this.compiled.pageShift);
    this.tlbWays = this.tlb === null ? 0 : tlb.ways;
    this.tlbPageVa = tlb.pageVa;
    this.tlbAsid = tlb.asid;
    this.tlbGlobal = tlb.global;
    this.tlbPerm = tlb.perm;
    this.tlbFrame = tlb.framePa;
  }

  // ───────────────────────── context ─────────────────────────

  get control(): Readonly<ControlState> {
    return { ...this.state };
  }

  /**
   * Changes control bits. Like the hardware, this flushes nothing: software
   * must. A new root (or ARM64 rootHigh) must be aligned to the root table's
   * size and lie, table and all, inside installed memory: a RangeError says
   * which, and nothing changes.
   */
  setControl(patch: Partial<ControlState>): void {
    for (const [key, value] of Object.entries(patch)) {
      if (!(key in this.state)) throw new RangeError(`unknown control field "${key}"`);
      const current = this.state[key as keyof ControlState];
      if (typeof value !== typeof current)
        throw new TypeError(`control field ${key} must be a ${typeof current}`);
      if (typeof value === 'number' && (!Number.isSafeInteger(value) || value < 0)) {
        throw new RangeError(`control field ${key} must be a non-negative integer, got ${value}`);
      }
    }
    this.checkRoots(patch);
    Object.assign(this.state, patch);
    this.asid = this.state.asid;
    this.permTable = permissionTableFor(this.format, this.state);
    this.emitIfListening('context', Object.keys(patch).join(','));
  }

  /**
   * Switches address space: loads CR3 / satp / TTBR0 (and TTBR1 on ARM64).
   * `flush` says what the write also drops — 'non-global' for a CR3 write
   * without PCIDs, 'none' when a new PCID/ASID tag keeps entries apart.
   */
  switchAddressSpace(
    root: number,
    options: { asid?: number; rootHigh?: number; flush?: 'none' | 'asid' | 'non-global' } = {},
  ): void {
    const patch: Partial<ControlState> = { root };
    if (options.asid !== undefined) patch.asid = options.asid;
    if (options.rootHigh !== undefined) patch.rootHigh = options.rootHigh;
    this.setControl(patch);
    switch (options.flush ?? 'non-global') {
      case 'none':
        break;
      case 'asid':
        this.invalidateAsid(this.state.asid);
        break;
      case 'non-global':
        this.invalidateNonGlobal();
        break;
    }
  }

  /** The roots a patch or a new state sets: rootHigh only where the format has a second root. */
  private checkRoots(patch: Partial<ControlState>): void {
    const c = this.compiled;
    if (patch.root !== undefined) checkRoot(c, this.memory.size, patch.root, 'root');
    if (patch.rootHigh !== undefined && c.splitRoots)
      checkRoot(c, this.memory.size, patch.rootHigh, 'rootHigh');
  }

  /**
   * Opens the window in which the kernel may touch user memory: x86 `stac`
   * (EFLAGS.AC = 1, lifting SMAP), ARM64 PSTATE.PAN = 0, RISC-V sstatus.SUM = 1.
   */
  userAccessBegin(): void {
    this.setControl(userAccessWindow(this.format.family, true));
  }

  /** Closes the user-access window: `clac`, PAN = 1, SUM = 0. */
  userAccessEnd(): void {
    this.setControl(userAccessWindow(this.format.family, false));
  }

  /** Whether the user-access window is open (EFLAGS.AC set, PAN clear, SUM set). */
  get userAccessOpen(): boolean {
    const c = this.control;
    const family = this.format.family;
    return family === 'x86' ? c.alignmentCheck : family === 'arm64' ? !c.pan : c.sum;
  }

  // ───────────────────────── translation ─────────────────────────

  /** Physical address for an access, or the fault it raises. Sets A/D bits and fills the TLB. */
  translate(va: number, access: Access, privilege: Privilege = this.privilege): Translation {
    // The hot path: a way-predicted TLB probe, one tag compare, one
    // permission-table read — straight-line code with no loop to mispredict.
    // `va & pageMask` is exact for any safe-integer address, negative ones
    // included (ToInt32 keeps the low bits of the two's complement).
    const offset = va & this.pageMask;
    if (this.tlbWays !== 0) {
      const i = this.wayHint[(va >>> this.pageShift) & WAY_HINT_MASK]!;
      if (this.tlbPageVa[i] === va - offset && (this.tlbAsid[i] === this.asid || this.tlbGlobal[i] === 1)) {
        if (this.permTable[(privilege * 3 + access) * PERM_SPACE + this.tlbPerm[i]!] === 1) {
          const pa = this.tlbFrame[i]! + offset;
          if (this.listener !== null) this.emitHit(va, pa, i, access, privilege);
          return pa;
        }
        // Cached rights say no (or the page is still clean for a write):
        // re-walk, as the CPU does before delivering a fault.
        return this.translateSlow(va, access, privilege, true);
      }
      return this.translateSearchTlb(va, access, privilege);
    }
    return this.translateSlow(va, access, privilege, false);
  }

  /**
   * An access to an address given as the exact 64-bit register value (32-bit
   * on unsigned formats): the kernel API's bigint. Any address a number
   * holds exactly takes `translate`; the rest lie outside ±2^53, beyond
   * every implemented range of a format of at most 53 address bits, so they
   * are non-canonical: the fault is raised without a walk (as the CPU checks
   * canonicality first) and its `address` keeps the exact value. Formats of
   * more than 53 bits (LA57, Sv57) would need a wider walk: refused.
   */
  translateWide(va: bigint, access: Access, privilege: Privilege = this.privilege): Translation {
    const narrow = narrowAddress(va, this.compiled.signed);
    if (narrow !== null) return this.translate(narrow, access, privilege);
    if (this.compiled.vaBits > 53) {
      throw new RangeError(
        `${this.format.id}: addresses beyond ±2^53 on a ${this.compiled.vaBits}-bit address space are not modelled`,
      );
    }
    const fault = makeFault(this.format, this.state, {
      kind: FaultKind.NonCanonical,
      va: nearestAddress(va, this.compiled.signed),
      exactVa: va,
      access,
      privilege: this.unprivileged ? Privilege.Supervisor : privilege,
      level: -1,
      protectionKey: false,
      ...(this.unprivileged ? { unprivileged: true } : {}),
    });
    if (this.listener !== null) this.emit({ type: 'fault', cpu: this.cpu, fault });
    return fault;
  }

  /**
   * ARM64 LDTR/STTR (and their byte and halfword forms): a load or store
   * executed at EL1 whose permissions are checked as if at EL0, so PAN does
   * not apply and pages without EL0 access fault; the abort is still taken
   * from EL1 (EC 0x25, "DABT (current EL)"), as the ARM ARM's LDTR/STTR
   * descriptions say for PSTATE.UAO = 0 — the only setting Linux uses since
   * 5.11, whose uaccess routines are built from these instructions.
   */
  translateUnprivileged(va: number, access: typeof Access.Read | typeof Access.Write): Translation {
    return this.asUnprivileged(() => this.translate(va, access, Privilege.User));
  }

  /** translateUnprivileged for an exact 64-bit address (see translateWide). */
  translateUnprivilegedWide(va: bigint, access: typeof Access.Read | typeof Access.Write): Translation {
    return this.asUnprivileged(() => this.translateWide(va, access, Privilege.User));
  }

  /** Runs one translation as an LDTR/STTR: checked as EL0, taken at EL1. */
  private asUnprivileged(translate: () => Translation): Translation {
    if (this.format.family !== 'arm64')
      throw new RangeError(`${this.format.id} has no unprivileged loads and stores (LDTR/STTR are ARM64's)`);
    this.unprivileged = true;
    try {
      return translate();
    } finally {
      this.unprivileged = false;
    }
  }

  /**
   * The prediction missed: search the set as the hardware's parallel compare
   * would, and remember the way for next time. The hint only speeds up the
   * search — every use re-checks the tag, so it can never create a hit.
   */
  private translateSearchTlb(va: number, access: Access, privilege: Privilege): Translation {
    const i = this.tlb!.lookup(va, this.asid);
    if (i < 0) return this.translateSlow(va, access, privilege, false);
    this.wayHint[(va >>> this.pageShift) & WAY_HINT_MASK] = i;
    return this.translate(va, access, privilege);
  }

  private translateSlow(va: number, access: Access, privilege: Privilege, recheck: boolean): Translation {
    assertAddress(va);
    const listening = this.listener !== null;
    if (listening && this.tlb !== null) {
      this.emit({ type: 'tlb-miss', cpu: this.cpu, va, asid: this.state.asid, permissionRecheck: recheck });
    }
    const w = this.scratch;
    walk(this.compiled, this.memory, this.state, this.permTable, va, access, privilege, w);
    if (listening) this.emitWalkSteps(va, w);
    if (!w.ok) {
      const fault = this.faultFromWalk(w, va, access, privilege);
      // SDM §4.10.4.1: a page fault invalidates TLB entries for the address.
      if (recheck && this.tlb !== null) this.tlb.invalidatePage(va, this.state.asid);
      if (listening) this.emit({ type: 'fault', cpu: this.cpu, fault });
      return fault;
    }
    if (w.setAccessed || w.setDirty) this.commitAccessedDirty(va, w, access === Access.Write);
    if (this.tlb !== null) {
      const index = this.tlb.fill(
        va,
        this.state.asid,
        w.global,
        w.pagePa,
        w.perm,
        this.compiled.leafSpan[w.leafLevel]!,
      );
      this.wayHint[(va >>> this.pageShift) & WAY_HINT_MASK] = index;
      if (listening) {
        const evicted = this.tlb.evictedPageVa;
        this.emit({
          type: 'tlb-fill',
          cpu: this.cpu,
          va,
          pageVa: va - (va & this.pageMask),
          pagePa: w.pagePa,
          asid: this.state.asid,
          global: w.global,
          index,
          evictedPageVa: Number.isNaN(evicted) ? null : evicted,
        });
      }
    }
    if (listening) {
      this.emit({
        type: 'access',
        cpu: this.cpu,
        va,
        pa: w.pa,
        access: accessName(access),
        privilege: privilegeName(privilege),
        size: 1,
      });
    }
    return w.pa;
  }

  /**
   * Sets accessed flags (every level on x86; the leaf on RISC-V and ARM64)
   * and the dirty state of the leaf on a write, writing the entries back to
   * memory as the page walker's locked update does.
   */
  private commitAccessedDirty(va: number, w: WalkResult, write: boolean): void {
    const f = this.format;
    // The real bits, 0 where the format does not model them (compiled-format.ts).
    const bits = this.compiled.commit;
    const mem = this.memory;
    const eb = this.compiled.entryBytes;
    const first = f.family === 'x86' ? 0 : w.leafLevel;
    for (let level = first; level <= w.leafLevel; level++) {
      const pa = w.entryPa[level]!;
      const lo = mem.entryLo(pa, eb);
      const hi = mem.entryHi(pa, eb);
      let newLo = lo;
      const newHi = hi;
      const isLeaf = level === w.leafLevel;
      switch (f.family) {
        case 'x86':
          newLo |= bits.accessed;
          if (isLeaf && write && w.setDirty) newLo |= bits.dirty;
          break;
        case 'riscv':
          if (w.setAccessed) newLo |= bits.accessed;
          if (write && w.setDirty) newLo |= bits.dirty;
          break;
        case 'arm64':
          if (w.setAccessed) newLo |= bits.accessed;
          // DBM: the first write to a writable-clean page clears AP[2].
          if (write && w.setDirty) newLo &= ~bits.readOnly;
          break;
      }
      newLo >>>= 0;
      if (newLo === lo && newHi === hi) continue;
      mem.storeEntry(pa, eb, newLo, newHi);
      if (this.listener !== null) {
        this.emit({
          type: 'ad-update',
          cpu: this.cpu,
          va,
          level,
          entryPa: pa,
          before: formatHex(toBigInt(lo, hi), eb),
          after: formatHex(toBigInt(newLo, newHi), eb),
          accessed: true,
          dirty: isLeaf && write && w.setDirty,
        });
      }
    }
  }

  // ───────────────────────── memory accessors ─────────────────────────

  read8(va: number, privilege: Privilege = this.privilege): number | PageFault {
    const pa = this.translate(va, Access.Read, privilege);
    return typeof pa === 'number' ? this.bytes[pa]! : pa;
  }

  write8(va: number, value: number, privilege: Privilege = this.privilege): PageFault | null {
    const pa = this.translate(va, Access.Write, privilege);
    if (typeof pa !== 'number') return pa;
    this.bytes[pa] = value;
    return null;
  }

  /** Instruction fetch of one byte. */
  fetch8(va: number, privilege: Privilege = this.privilege): number | PageFault {
    const pa = this.translate(va, Access.Execute, privilege);
    return typeof pa === 'number' ? this.bytes[pa]! : pa;
  }

  /**
   * Little-endian read of `size` (1, 2 or 4) bytes. An access that crosses a
   * page boundary translates both pages before reading, so a fault on the
   * second page leaves nothing half done.
   */
  read(va: number, size: 1 | 2 | 4, privilege: Privilege = this.privilege): number | PageFault {
    const first = this.translate(va, Access.Read, privilege);
    if (typeof first !== 'number') return first;
    let value = this.bytes[first]!;
    for (let i = 1; i < size; i++) {
      const pa = this.translate(va + i, Access.Read, privilege);
      if (typeof pa !== 'number') return pa;
      value |= this.bytes[pa]! << (8 * i);
    }
    return value >>> 0;
  }

  /** Little-endian write of `size` bytes; all bytes are translated before any is stored. */
  write(va: number, size: 1 | 2 | 4, value: number, privilege: Privilege = this.privilege): PageFault | null {
    const pas: number[] = [];
    for (let i = 0; i < size; i++) {
      const pa = this.translate(va + i, Access.Write, privilege);
      if (typeof pa !== 'number') return pa;
      pas.push(pa);
    }
    for (let i = 0; i < size; i++) this.bytes[pas[i]!] = (value >>> (8 * i)) & 0xff;
    return null;
  }

  // ───────────────────────── TLB maintenance ─────────────────────────

  /** invlpg / sfence.vma va / TLBI VAE1: the page containing `va` (this ASID, and globals). */
  invalidatePage(va: number, asid: number = this.state.asid): number {
    const dropped = this.tlb === null ? 0 : this.tlb.invalidatePage(va, asid);
    this.emitFlush('page', va, asid, dropped);
    return dropped;
  }

  /** INVPCID single-context / sfence.vma x0, asid / TLBI ASIDE1: one address space's non-global entries. */
  invalidateAsid(asid: number): number {
    const dropped = this.tlb === null ? 0 : this.tlb.invalidateAsid(asid);
    this.emitFlush('asid', null, asid, dropped);
    return dropped;
  }

  /** A CR3 write without PCIDs: every non-global entry. */
  invalidateNonGlobal(): number {
    const dropped = this.tlb === null ? 0 : this.tlb.invalidateNonGlobal();
    this.emitFlush('non-global', null, null, dropped);
    return dropped;
  }

  /** Everything, globals included (CR4.PGE toggle, sfence.vma x0, x0, TLBI VMALLE1). */
  invalidateAll(): number {
    const dropped = this.tlb === null ? 0 : this.tlb.invalidateAll();
    this.emitFlush('all', null, null, dropped);
    return dropped;
  }

  // ───────────────────────── inspection ─────────────────────────

  /**
   * Walks the tables for `va` the way the MMU would, without side effects: no
   * A/D updates, no TLB fill, no events. For debuggers and the visualiser.
   */
  inspect(va: number, access: Access = Access.Read, privilege: Privilege = this.privilege): Inspection {
    assertAddress(va);
    const w = new WalkResult();
    walk(this.compiled, this.memory, this.state, this.permTable, va, access, privilege, w);
    const steps: InspectedStep[] = [];
    for (let level = 0; level < w.steps; level++) {
      steps.push({
        level,
        levelName: this.format.levels[level]!.name,
        entryPa: w.entryPa[level]!,
        entry: decodeEntry(this.format, level, toBigInt(w.entryLo[level]!, w.entryHi[level]!)),
      });
    }
    if (!w.ok) {
      const fault = this.faultFromWalk(w, va, access, privilege);
      return { va, steps, outcome: { kind: 'fault', fault } };
    }
    const p = w.perm;
    return {
      va,
      steps,
      outcome: {
        kind: 'translated',
        pa: w.pa,
        pageSize: this.compiled.leafSpan[w.leafLevel]!,
        global: w.global,
        rights: {
          read: (p & Perm.Read) !== 0,
          write: (p & Perm.Write) !== 0,
          user: (p & Perm.User) !== 0,
          userExec: (p & Perm.UserExec) !== 0,
          supervisorExec: (p & Perm.SupervisorExec) !== 0,
          // A write access already counts as dirtying in the walk result.
          dirty: (p & Perm.Dirty) !== 0 && !(access === Access.Write && w.setDirty),
        },
      },
    };
  }

  /** The fault a failed walk describes, as the architecture reports it. */
  private faultFromWalk(w: WalkResult, va: number, access: Access, privilege: Privilege): PageFault {
    return makeFault(this.format, this.state, {
      kind: w.faultKind,
      va,
      access,
      // An unprivileged access is checked as EL0 but runs, and faults, at EL1.
      privilege: this.unprivileged ? Privilege.Supervisor : privilege,
      level: w.faultLevel,
      protectionKey: w.protectionKey,
      ...(this.unprivileged ? { unprivileged: true } : {}),
    });
  }

  // ───────────────────────── events ─────────────────────────

  /** Subscribes to this CPU's hardware events; returns the unsubscribe function. */
  subscribe(listener: HwListener): () => void {
    this.listeners.push(listener);
    this.updateListener();
    return () => {
      const i = this.listeners.indexOf(listener);
      if (i >= 0) this.listeners.splice(i, 1);
      this.updateListener();
    };
  }

  private updateListener(): void {
    const all = this.listeners.slice();
    this.listener =
      all.length === 0
        ? null
        : all.length === 1
          ? all[0]!
          : (e) => {
              for (const l of all) l(e);
            };
  }

  private emit(event: HwEvent): void {
    this.listener?.(event);
  }

  private emitIfListening(what: 'context', detail: string): void {
    if (this.listener !== null) this.emit({ type: what, cpu: this.cpu, what: detail });
  }

  private emitHit(va: number, pa: number, index: number, access: Access, privilege: Privilege): void {
    this.emit({ type: 'tlb-hit', cpu: this.cpu, va, asid: this.state.asid, index });
    this.emit({
      type: 'access',
      cpu: this.cpu,
      va,
      pa,
      access: accessName(access),
      privilege: privilegeName(privilege),
      size: 1,
    });
  }

  private emitWalkSteps(va: number, w: WalkResult): void {
    for (let level = 0; level < w.steps; level++) {
      this.emit({
        type: 'walk-step',
        cpu: this.cpu,
        va,
        level,
        levelName: this.format.levels[level]!.name,
        entryPa: w.entryPa[level]!,
        entry: formatHex(toBigInt(w.entryLo[level]!, w.entryHi[level]!), this.compiled.entryBytes),
      });
    }
  }

  private emitFlush(scope: TlbFlushScope, va: number | null, asid: number | null, dropped: number): void {
    if (this.listener !== null) this.emit({ type: 'tlb-flush', cpu: this.cpu, scope, va, asid, dropped });
  }
}

/** The control bit each architecture flips to open (or close) the user-access window. */
function userAccessWindow(family: PagingFormat['family'], open: boolean): Partial<ControlState> {
  switch (family) {
    case 'x86':
      return { alignmentCheck: open };
    case 'arm64':
      return { pan: !open };
    case 'riscv':
      return { sum: open };
  }
}

/**
 * Addresses are safe integers; anything else (NaN, 1.5, 2^60) is a caller's
 * bug, not an address the MMU could fault on. Checked on the slow path only:
 * such a value can never match a TLB tag, so it always gets here.
 */
function assertAddress(va: number): void {
  if (!Number.isSafeInteger(va)) {
    throw new RangeError(
      `virtual address ${va} is not an integer address (use toAddress() for 64-bit values)`,
    );
  }
}

/** Shorthand used in messages: is this translation a fault? */
export function isFault(t: Translation): t is PageFault {
  return typeof t !== 'number';
}
