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
 * A huge page is cached as the base-page-sized piece that was touched (the
 * SDM allows this: §4.10.2.3 "may cache … for a smaller page"), and each entry
 * remembers the span of the leaf that produced it so that invalidating any
 * address in a huge page drops all of its pieces.
 *
 * Storage is a handful of typed arrays indexed by entry. The tag is the
 * page's base virtual address (signed, exact as a double), so the MMU's hit
 * check needs only `va & pageMask` and one compare — no division.
 */

export interface TlbConfig {
  /** Total entries (a power of two). */
  readonly entries: number;
  /** Ways per set (a power of two dividing `entries`); `entries` = fully associative. */
  readonly ways: number;
}

export const DEFAULT_TLB: TlbConfig = { entries: 64, ways: 4 };

/** Sentinel tag: no page address is NaN, and NaN equals nothing. */
const INVALID = Number.NaN;

export interface TlbEntryView {
  readonly index: number;
  readonly set: number;
  readonly way: number;
  /** Base virtual address of the cached page. */
  readonly pageVa: number;
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
  readonly pageShift: number;
  readonly pageMask: number;
  /** Base virtual address of the page each entry translates (NaN = invalid). */
  readonly pageVa: Float64Array;
  readonly asid: Int32Array;
  readonly global: Uint8Array;
  /** Physical address of the cached page (below 2^31: see MAX_PHYSICAL_BYTES). */
  readonly framePa: Int32Array;
  /** Normalised `Perm` bits plus protection key. */
  readonly perm: Uint16Array;
  /** Bytes covered by the leaf that filled the entry (page size, or a huge page's span). */
  readonly leafSpan: Float64Array;
  private readonly victim: Uint16Array;
  private hugeEntries = 0;
  /** The tag displaced by the last `fill` (NaN if the slot was free or held the same page). */
  evictedPageVa = INVALID;

  constructor(config: TlbConfig = DEFAULT_TLB, pageShift = 12) {
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
    this.pageShift = pageShift;
    this.pageMask = 2 ** pageShift - 1;
    this.pageVa = new Float64Array(entries).fill(INVALID);
    this.asid = new Int32Array(entries);
    this.global = new Uint8Array(entries);
    this.framePa = new Int32Array(entries);
    this.perm = new Uint16Array(entries);
    this.leafSpan = new Float64Array(entries);
    this.victim = new Uint16Array(this.sets);
  }

  /** First entry of the set that `va` indexes (by the low bits of its page number). */
  setBase(va: number): number {
    return ((va >>> this.pageShift) & this.setMask) * this.ways;
  }

  /** Index of the entry translating the page of `va` in address space `asid`, or -1. */
  lookup(va: number, asid: number): number {
    const page = va - (va & this.pageMask);
    const base = this.setBase(va);
    for (let i = base; i < base + this.ways; i++) {
      if (this.pageVa[i] === page && (this.asid[i] === asid || this.global[i] === 1)) return i;
    }
    return -1;
  }

  /**
   * Caches a translation of the page containing `va`, replacing an entry for
   * the same page and address space if there is one, else a free way, else the
   * set's next victim (round robin: deterministic). Returns the index written.
   */
  fill(va: number, asid: number, global: boolean, framePa: number, perm: number, leafSpan: number): number {
    const page = va - (va & this.pageMask);
    const base = this.setBase(va);
    let index = this.lookup(va, asid);
    if (index < 0) {
      for (let i = base; i < base + this.ways; i++) {
        if (Number.isNaN(this.pageVa[i]!)) {
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
    const old = this.pageVa[index]!;
    this.evictedPageVa = old === page ? INVALID : old;
    if (!Number.isNaN(old) && this.isHuge(index)) this.hugeEntries--;
    this.pageVa[index] = page;
    this.asid[index] = asid;
    this.global[index] = global ? 1 : 0;
    this.framePa[index] = framePa;
    this.perm[index] = perm;
    this.leafSpan[index] = leafSpan;
    if (this.isHuge(index)) this.hugeEntries++;
    return index;
  }

  /**
   * invlpg: drops the entries for the page containing `va` in address space
   * `asid`, and global entries for it (Intel SDM Vol. 3A §4.10.4.1: INVLPG
   * invalidates global translations too). Entries of a huge page that
   * contains `va` go as well. Returns how many entries were dropped.
   */
  invalidatePage(va: number, asid: number): number {
    const page = va - (va & this.pageMask);
    let dropped = 0;
    const base = this.setBase(va);
    for (let i = base; i < base + this.ways; i++) {
      if (this.pageVa[i] === page && (this.asid[i] === asid || this.global[i] === 1)) dropped += this.drop(i);
    }
    if (this.hugeEntries > 0) {
      for (let i = 0; i < this.entries; i++) {
        if (Number.isNaN(this.pageVa[i]!) || !this.isHuge(i)) continue;
        if (this.asid[i] !== asid && this.global[i] !== 1) continue;
        const span = this.leafSpan[i]!;
        const start = Math.floor(this.pageVa[i]! / span) * span;
        if (va >= start && va < start + span) dropped += this.drop(i);
      }
    }
    return dropped;
  }

  /** Drops every non-global entry of one address space (INVPCID single-context). */
  invalidateAsid(asid: number): number {
    let dropped = 0;
    for (let i = 0; i < this.entries; i++) {
      if (this.asid[i] === asid && this.global[i] === 0 && !Number.isNaN(this.pageVa[i]!))
        dropped += this.drop(i);
    }
    return dropped;
  }

  /** Drops every non-global entry (a CR3 write without PCIDs). */
  invalidateNonGlobal(): number {
    let dropped = 0;
    for (let i = 0; i < this.entries; i++) {
      if (this.global[i] === 0 && !Number.isNaN(this.pageVa[i]!)) dropped += this.drop(i);
    }
    return dropped;
  }

  /** Drops everything, globals included (toggling CR4.PGE; TLBI VMALLE1). */
  invalidateAll(): number {
    let dropped = 0;
    for (let i = 0; i < this.entries; i++) if (!Number.isNaN(this.pageVa[i]!)) dropped++;
    this.pageVa.fill(INVALID);
    this.hugeEntries = 0;
    return dropped;
  }

  /** The valid entries, for inspection and invariant checks. */
  snapshot(): TlbEntryView[] {
    const out: TlbEntryView[] = [];
    for (let i = 0; i < this.entries; i++) {
      const pageVa = this.pageVa[i]!;
      if (Number.isNaN(pageVa)) continue;
      out.push({
        index: i,
        set: Math.floor(i / this.ways),
        way: i % this.ways,
        pageVa,
        asid: this.asid[i]!,
        global: this.global[i] === 1,
        framePa: this.framePa[i]!,
        perm: this.perm[i]!,
        leafSpan: this.leafSpan[i]!,
      });
    }
    return out;
  }

  private isHuge(i: number): boolean {
    return this.leafSpan[i]! > this.pageMask + 1;
  }

  private drop(i: number): number {
    if (this.isHuge(i)) this.hugeEntries--;
    this.pageVa[i] = INVALID;
    return 1;
  }
}
