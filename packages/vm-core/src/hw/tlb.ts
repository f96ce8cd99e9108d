/**
 * The TLB: a set-associative cache of finished translations, tagged by
 * ASID/PCID, with global entries that match every address space.
 *
 * Entries cache *permissions* and the dirty state along with the frame, so a
 * PTE changed in memory without an invalidation keeps working through the
 * stale entry — precisely the bug the TLB exercises teach (Intel SDM Vol. 3A
 * §4.10.4: "the processor may use a stale TLB entry"). Not-present entries
 * are never cached (§4.10.2.3).
 *
 * A huge page is cached as the 4 KiB-sized piece that was touched (the SDM
 * allows this: §4.10.2.3 "may cache … for a smaller page"), and each entry
 * remembers the span of the leaf that produced it so that invalidating any
 * address in a huge page drops all of its pieces.
 *
 * Storage is a handful of typed arrays: a lookup is an index computation and a
 * tag compare, with no allocation.
 */

export interface TlbConfig {
  /** Total entries (a power of two). */
  readonly entries: number;
  /** Ways per set (a power of two dividing `entries`); `entries` = fully associative. */
  readonly ways: number;
}

export const DEFAULT_TLB: TlbConfig = { entries: 64, ways: 4 };

/** Sentinel tag: no virtual page number is NaN, and NaN equals nothing. */
const INVALID = Number.NaN;

export interface TlbEntryView {
  readonly index: number;
  readonly set: number;
  readonly way: number;
  readonly vpn: number;
  readonly asid: number;
  readonly global: boolean;
  readonly framePa: number;
  readonly perm: number;
  readonly leafSpan: number;
}

export class Tlb {
  readonly entries: number;
  readonly ways: number;
  readonly sets: number;
  readonly setMask: number;
  /** Virtual page number per entry (NaN = invalid). */
  readonly vpn: Float64Array;
  readonly asid: Int32Array;
  readonly global: Uint8Array;
  /** Physical address of the cached page. */
  readonly framePa: Float64Array;
  /** Normalised `Perm` bits plus protection key. */
  readonly perm: Uint16Array;
  /** Bytes covered by the leaf that filled the entry (page size, or a huge page's span). */
  readonly leafSpan: Float64Array;
  private readonly victim: Uint16Array;
  private hugeEntries = 0;

  constructor(config: TlbConfig = DEFAULT_TLB) {
    const { entries, ways } = config;
    const pow2 = (n: number) => Number.isInteger(n) && n >= 1 && (n & (n - 1)) === 0;
    if (!pow2(entries) || entries > 65536)
      throw new RangeError(`TLB size ${entries} must be a power of two ≤ 65536`);
    if (!pow2(ways) || ways > entries)
      throw new RangeError(`TLB ways ${ways} must be a power of two ≤ ${entries}`);
    this.entries = entries;
    this.ways = ways;
    this.sets = entries / ways;
    this.setMask = this.sets - 1;
    this.vpn = new Float64Array(entries).fill(INVALID);
    this.asid = new Int32Array(entries);
    this.global = new Uint8Array(entries);
    this.framePa = new Float64Array(entries);
    this.perm = new Uint16Array(entries);
    this.leafSpan = new Float64Array(entries);
    this.victim = new Uint16Array(this.sets);
  }

  /** Index of the entry translating `vpn` in address space `asid`, or -1. */
  lookup(vpn: number, asid: number): number {
    const base = (vpn & this.setMask) * this.ways;
    for (let i = base; i < base + this.ways; i++) {
      if (this.vpn[i] === vpn && (this.asid[i] === asid || this.global[i] === 1)) return i;
    }
    return -1;
  }

  /**
   * Caches a translation, replacing an entry for the same page and address
   * space if there is one, else the set's next victim (round robin, which is
   * deterministic). Returns the index written and the tag it evicted (NaN if none).
   */
  fill(
    vpn: number,
    asid: number,
    global: boolean,
    framePa: number,
    perm: number,
    leafSpan: number,
    pageSize: number,
  ): number {
    const base = (vpn & this.setMask) * this.ways;
    let index = this.lookup(vpn, asid);
    if (index < 0) {
      for (let i = base; i < base + this.ways; i++) {
        if (Number.isNaN(this.vpn[i]!)) {
          index = i;
          break;
        }
      }
    }
    if (index < 0) {
      const set = base / this.ways;
      index = base + this.victim[set]!;
      this.victim[set] = (this.victim[set]! + 1) % this.ways;
    }
    this.evictedVpn = this.vpn[index]!;
    if (!Number.isNaN(this.evictedVpn) && this.leafSpan[index]! > pageSize) this.hugeEntries--;
    this.vpn[index] = vpn;
    this.asid[index] = asid;
    this.global[index] = global ? 1 : 0;
    this.framePa[index] = framePa;
    this.perm[index] = perm;
    this.leafSpan[index] = leafSpan;
    if (leafSpan > pageSize) this.hugeEntries++;
    return index;
  }

  /** The tag displaced by the last `fill` (NaN if the slot was free or held the same page). */
  evictedVpn = INVALID;

  /**
   * invlpg: drops the entries for the page containing `va` in address space
   * `asid`, and global entries for it (Intel SDM Vol. 3A §4.10.4.1: INVLPG
   * invalidates global translations too). Entries of a huge page that
   * contains `va` go as well. Returns how many entries were dropped.
   */
  invalidatePage(va: number, asid: number, pageSize: number): number {
    const vpn = Math.floor(va / pageSize);
    let dropped = 0;
    const base = (vpn & this.setMask) * this.ways;
    for (let i = base; i < base + this.ways; i++) {
      if (this.vpn[i] === vpn && (this.asid[i] === asid || this.global[i] === 1))
        dropped += this.drop(i, pageSize);
    }
    if (this.hugeEntries > 0) {
      for (let i = 0; i < this.entries; i++) {
        const span = this.leafSpan[i]!;
        if (span <= pageSize || Number.isNaN(this.vpn[i]!)) continue;
        if (this.asid[i] !== asid && this.global[i] !== 1) continue;
        const start = Math.floor((this.vpn[i]! * pageSize) / span) * span;
        if (va >= start && va < start + span) dropped += this.drop(i, pageSize);
      }
    }
    return dropped;
  }

  /** Drops every non-global entry of one address space (INVPCID single-context). */
  invalidateAsid(asid: number, pageSize: number): number {
    let dropped = 0;
    for (let i = 0; i < this.entries; i++) {
      if (this.asid[i] === asid && this.global[i] === 0 && !Number.isNaN(this.vpn[i]!))
        dropped += this.drop(i, pageSize);
    }
    return dropped;
  }

  /** Drops every non-global entry (a CR3 write without PCIDs). */
  invalidateNonGlobal(pageSize: number): number {
    let dropped = 0;
    for (let i = 0; i < this.entries; i++) {
      if (this.global[i] === 0 && !Number.isNaN(this.vpn[i]!)) dropped += this.drop(i, pageSize);
    }
    return dropped;
  }

  /** Drops everything, globals included (toggling CR4.PGE; TLBI VMALLE1). */
  invalidateAll(): number {
    let dropped = 0;
    for (let i = 0; i < this.entries; i++) if (!Number.isNaN(this.vpn[i]!)) dropped++;
    this.vpn.fill(INVALID);
    this.hugeEntries = 0;
    return dropped;
  }

  /** The valid entries, for inspection and invariant checks. */
  snapshot(): TlbEntryView[] {
    const out: TlbEntryView[] = [];
    for (let i = 0; i < this.entries; i++) {
      const vpn = this.vpn[i]!;
      if (Number.isNaN(vpn)) continue;
      out.push({
        index: i,
        set: Math.floor(i / this.ways),
        way: i % this.ways,
        vpn,
        asid: this.asid[i]!,
        global: this.global[i] === 1,
        framePa: this.framePa[i]!,
        perm: this.perm[i]!,
        leafSpan: this.leafSpan[i]!,
      });
    }
    return out;
  }

  private drop(i: number, pageSize: number): number {
    if (this.leafSpan[i]! > pageSize) this.hugeEntries--;
    this.vpn[i] = INVALID;
    return 1;
  }
}
