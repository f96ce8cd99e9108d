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
 *
 * The MMU's other parts live beside it: the A/D write-back after a walk
 * (accessed-dirty.ts), a failed walk as the fault the CPU raises, with
 * ARM64's unprivileged accesses (translation-fault.ts), the walk without
 * side effects (mmu-inspect.ts) and the events a listener sees
 * (mmu-events.ts).
 */
import { Access, Privilege } from './access.ts';
import { commitAccessedDirty } from './accessed-dirty.ts';
import { narrowAddress, nearestAddress } from './address.ts';
import { type CompiledFormat, compileFormat } from './compiled-format.ts';
import { type ControlState, defaultControlState, permissionKey } from './control.ts';
import { checkControlPatch, checkRoots } from './control-patch.ts';
import type { HwEvent, HwListener, TlbFlushScope } from './events.ts';
import { FaultKind, makeFault, type PageFault } from './fault.ts';
import { combineListeners, emitAccess, emitFill, emitWalkSteps } from './mmu-events.ts';
import { type Inspection, inspectWalk } from './mmu-inspect.ts';
import { readBytes, writeBytes } from './multibyte.ts';
import type { PagingFormat } from './paging-format.ts';
import { PERM_SPACE, type PermissionTable, permissionTableFor } from './permissions.ts';
import type { PhysicalMemory } from './physical-memory.ts';
import { DEFAULT_TLB, Tlb, type TlbConfig } from './tlb.ts';
import { assertAddress, faultFromWalk } from './translation-fault.ts';
import { userAccessWindow, userAccessWindowOpen } from './user-access-window.ts';
import { WalkResult, walk } from './walk.ts';

export type { InspectedStep, Inspection, InspectOutcome, RightsView } from './mmu-inspect.ts';

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
  private controlView: Readonly<ControlState> | null = null;
  private permTable!: PermissionTable;
  /** What the permission table was built for (control.ts's permissionKey, and PKRU where it counts). */
  private permKey = -1;
  private permPkru = 0;
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
  private asid = 0;
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
    checkRoots(this.compiled, this.memory.size, this.state);
    this.controlChanged();
    const tlb = this.tlb ?? new Tlb({ entries: 1, ways: 1 }, this.compiled.pageShift);
    this.tlbWays = this.tlb === null ? 0 : tlb.ways;
    this.tlbPageVa = tlb.pageVa;
    this.tlbAsid = tlb.asid;
    this.tlbGlobal = tlb.global;
    this.tlbPerm = tlb.perm;
    this.tlbFrame = tlb.framePa;
  }

  // ───────────────────────── context ─────────────────────────

  /** A snapshot of the control state (frozen, and the same object until the state next changes). */
  get control(): Readonly<ControlState> {
    this.controlView ??= Object.freeze({ ...this.state });
    return this.controlView;
  }

  /**
   * Changes control bits. Like the hardware, this flushes nothing: software
   * must. A new root (or ARM64 rootHigh) must be aligned to the root table's
   * size and lie, table and all, inside installed memory: a RangeError says
   * which, and nothing changes.
   */
  setControl(patch: Partial<ControlState>): void {
    checkControlPatch(this.compiled, this.memory.size, this.state, patch);
    Object.assign(this.state, patch);
    this.controlChanged();
    this.emitIfListening('context', Object.keys(patch).join(','));
  }

  /** What follows from the state: the ASID the hot path compares, its snapshot, the permission table. */
  private controlChanged(): void {
    this.controlView = null;
    this.asid = this.state.asid;
    // Most changes (a new root, a new ASID) leave the rights as they were.
    const key = permissionKey(this.state);
    const pkru = this.state.protectionKeys ? this.state.pkru : 0;
    if (key === this.permKey && pkru === this.permPkru) return;
    this.permKey = key;
    this.permPkru = pkru;
    this.permTable = permissionTableFor(this.format, this.state);
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
    return userAccessWindowOpen(this.format.family, this.state);
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
    if (listening) emitWalkSteps(this.listener!, this.cpu, this.compiled, va, w);
    if (!w.ok) {
      const fault = this.faultFromWalk(w, va, access, privilege);
      // SDM §4.10.4.1: a page fault invalidates TLB entries for the address.
      if (recheck && this.tlb !== null) this.tlb.invalidatePage(va, this.state.asid);
      if (listening) this.emit({ type: 'fault', cpu: this.cpu, fault });
      return fault;
    }
    if (w.setAccessed || w.setDirty) {
      commitAccessedDirty(
        this.compiled,
        this.memory,
        va,
        w,
        access === Access.Write,
        this.listener,
        this.cpu,
      );
    }
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
        const { evictedPageVa } = this.tlb;
        emitFill(this.listener!, this.cpu, va, this.pageMask, w, this.state.asid, index, evictedPageVa);
      }
    }
    if (listening) emitAccess(this.listener!, this.cpu, va, w.pa, access, privilege);
    return w.pa;
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
    return readBytes(this, va, size, privilege);
  }

  /** Little-endian write of `size` bytes; all bytes are translated before any is stored. */
  write(va: number, size: 1 | 2 | 4, value: number, privilege: Privilege = this.privilege): PageFault | null {
    return writeBytes(this, va, size, value, privilege);
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
    return inspectWalk(this.compiled, this.memory, this.state, this.permTable, va, access, privilege, (w) =>
      this.faultFromWalk(w, va, access, privilege),
    );
  }

  /** The fault a failed walk describes, as the architecture reports it. */
  private faultFromWalk(w: WalkResult, va: number, access: Access, privilege: Privilege): PageFault {
    return faultFromWalk(this.format, this.state, w, va, access, privilege, this.unprivileged);
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
    this.listener = combineListeners(this.listeners);
  }

  private emit(event: HwEvent): void {
    this.listener?.(event);
  }

  private emitIfListening(what: 'context', detail: string): void {
    if (this.listener !== null) this.emit({ type: what, cpu: this.cpu, what: detail });
  }

  private emitHit(va: number, pa: number, index: number, access: Access, privilege: Privilege): void {
    this.emit({ type: 'tlb-hit', cpu: this.cpu, va, asid: this.state.asid, index });
    emitAccess(this.listener!, this.cpu, va, pa, access, privilege);
  }

  private emitFlush(scope: TlbFlushScope, va: number | null, asid: number | null, dropped: number): void {
    if (this.listener !== null) this.emit({ type: 'tlb-flush', cpu: this.cpu, scope, va, asid, dropped });
  }
}

/** Shorthand used in messages: is this translation a fault? */
export function isFault(t: Translation): t is PageFault {
  return typeof t !== 'number';
}
