/**
 * kmalloc(): physically contiguous kernel memory, reached through the
 * direct map; it never faults, and it fails (null) rather than wait.
 *
 * Follows mm/slab_common.c (kmalloc_large, which takes whole pages from
 * the buddy allocator: the simulation has no slab caches).
 */
import { PageFlag } from './frames.ts';
import { KernelError } from './kernel.ts';
import { emit, type KernelState, PAGE, shown } from './state.ts';

export function kmalloc(s: KernelState, bytes: number): number | null {
  if (!Number.isSafeInteger(bytes) || bytes <= 0)
    throw new RangeError(`kmalloc size ${bytes} must be a positive integer`);
  const pages = Math.ceil(bytes / PAGE);
  const order = Math.ceil(Math.log2(pages));
  if (order > 10) return null;
  const pfn = s.frames.allocate(order);
  if (pfn < 0) return null;
  for (let i = 0; i < 1 << order; i++) s.frames.set(pfn + i, PageFlag.Kernel);
  if (s.listener !== null) emit(s, { type: 'frame-alloc', pfn, order, purpose: 'kmalloc' });
  const va = directMapAddress(s, pfn);
  s.kmallocs.set(va, { pfn, order });
  return va;
}

export function kfree(s: KernelState, address: number): void {
  const block = s.kmallocs.get(address);
  if (block === undefined) throw new KernelError(`kfree of ${shown(address)}, which kmalloc did not return`);
  s.kmallocs.delete(address);
  s.frames.release(block.pfn, block.order);
  if (s.listener !== null) emit(s, { type: 'frame-free', pfn: block.pfn, order: block.order });
}

/** __va(): where a frame appears in the direct map. */
export function directMapAddress(s: KernelState, pfn: number): number {
  return s.layout.directMapStart + pfn * PAGE;
}

/** __pa() of a direct-map address. */
export function directMapPa(s: KernelState, address: number): number {
  return address - s.layout.directMapStart;
}
