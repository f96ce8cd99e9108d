/**
 * Counters of what the kernel and the hardware did, for checks of cost
 * rather than of outcome: a correct COW break that copies a page it could
 * have reused, a flush that interrupts every CPU instead of those in the
 * mm's cpumask, a reclaim that writes clean pages to swap — each gets the
 * right answer at a price these numbers show.
 *
 * They are counted from the kernel's event stream (every hardware and
 * kernel event), so they cost nothing the kernel does not already report.
 */
import type { TraceEvent } from '@faultline/vm-core';

export interface Counters {
  /** invlpg-like invalidations of one page, summed over CPUs (flush_tlb_page's local work and each IPI's). */
  readonly tlbFlushPage: number;
  /** Invalidations of one address space's entries (PCID/ASID), summed over CPUs. */
  readonly tlbFlushAsid: number;
  /** CR3 writes without PCIDs: every non-global entry dropped. */
  readonly tlbFlushNonGlobal: number;
  /** Whole-TLB flushes, global entries included. */
  readonly tlbFlushAll: number;
  /**
   * TLB invalidations the kernel asked of a CPU other than the one the
   * operation ran on: on real hardware each is an inter-processor interrupt.
   */
  readonly shootdownIpis: number;
  /** Pages written to the swap device (clean pages dropped from the swap cache are not written). */
  readonly swapOuts: number;
  /** Pages read back from the swap device (a swap-cache hit reads nothing). */
  readonly swapIns: number;
  /**
   * Frames the page allocator handed out for user memory: demand-zero pages,
   * COW copies, page-cache pages, swap-ins. Page tables and kmalloc/vmalloc
   * memory are not counted.
   */
  readonly framesAllocated: number;
  /** Faults taken, however each ended: page faults, and the #GP of a non-canonical address. */
  readonly faults: number;
}

export type CounterName = keyof Counters;

/** Singular and plural nouns of each counter, for messages ("sent 3 shootdown IPIs"). */
export const COUNTER_NOUNS: Readonly<Record<CounterName, readonly [string, string]>> = {
  tlbFlushPage: ['single-page TLB invalidation', 'single-page TLB invalidations'],
  tlbFlushAsid: ['address-space TLB flush', 'address-space TLB flushes'],
  tlbFlushNonGlobal: ['non-global TLB flush (CR3 write)', 'non-global TLB flushes (CR3 writes)'],
  tlbFlushAll: ['full TLB flush', 'full TLB flushes'],
  shootdownIpis: ['shootdown IPI', 'shootdown IPIs'],
  swapOuts: ['page written to swap', 'pages written to swap'],
  swapIns: ['page read from swap', 'pages read from swap'],
  framesAllocated: ['frame allocated', 'frames allocated'],
  faults: ['page fault', 'page faults'],
};

export const COUNTER_NAMES = Object.keys(COUNTER_NOUNS) as readonly CounterName[];

export function isCounterName(name: string): name is CounterName {
  return (COUNTER_NAMES as readonly string[]).includes(name);
}

/** "1 shootdown IPI", "3 shootdown IPIs". */
export function countText(name: CounterName, n: number): string {
  const [one, many] = COUNTER_NOUNS[name];
  return `${n} ${n === 1 ? one : many}`;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

export function zeroCounters(): Counters {
  return Object.fromEntries(COUNTER_NAMES.map((name) => [name, 0])) as unknown as Counters;
}

/** What happened between two readings. */
export function counterDelta(after: Counters, before: Counters): Counters {
  return Object.fromEntries(
    COUNTER_NAMES.map((name) => [name, after[name] - before[name]]),
  ) as unknown as Counters;
}

/**
 * Counts events as they come. `localCpu` is the CPU the current operation
 * runs on, set by whoever starts the operation: shootdowns to any other CPU
 * are IPIs.
 */
export class CounterListener {
  localCpu = 0;
  private readonly counts: Mutable<Counters> = zeroCounters();

  readonly listen = (event: TraceEvent): void => {
    const c = this.counts;
    switch (event.type) {
      case 'tlb-flush':
        if (event.scope === 'page') c.tlbFlushPage++;
        else if (event.scope === 'asid') c.tlbFlushAsid++;
        else if (event.scope === 'non-global') c.tlbFlushNonGlobal++;
        else c.tlbFlushAll++;
        break;
      case 'tlb-shootdown':
        for (const cpu of event.cpus) if (cpu !== this.localCpu) c.shootdownIpis++;
        break;
      case 'swap-out':
        c.swapOuts++;
        break;
      case 'swap-in':
        if (!event.fromCache) c.swapIns++;
        break;
      case 'frame-alloc':
        if (event.purpose === 'user page') c.framesAllocated += 2 ** event.order;
        break;
      case 'fault-resolved':
        c.faults++;
        break;
      default:
        break;
    }
  };

  /** The counts so far (a copy). */
  read(): Counters {
    return { ...this.counts };
  }
}
