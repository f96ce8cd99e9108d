/**
 * vmalloc(): virtually contiguous kernel memory in the vmalloc area, built
 * from scattered single frames — and, where the kernel half's top-level
 * entries are not shared from boot (x86-32), the fault that syncs them
 * into the current page directory.
 *
 * Follows mm/vmalloc.c (__vmalloc_node_range, vfree) and arch/x86/mm/fault.c
 * (vmalloc_fault, vmalloc_sync_one).
 */
import { adoptKernelTables } from './boot.ts';
import { PageFlag } from './frames.ts';
import { KernelError } from './kernel.ts';
import { OutOfMemory } from './mm.ts';
import { type FaultContext, KERNEL_DATA, type KernelState, mmById, PAGE, shown } from './state.ts';

export function vmalloc(s: KernelState, bytes: number): number | null {
  if (!Number.isSafeInteger(bytes) || bytes <= 0)
    throw new RangeError(`vmalloc size ${bytes} must be a positive integer`);
  const pages = Math.ceil(bytes / PAGE);
  // A guard page after each area, as vmalloc leaves one.
  const start = s.vmallocNext;
  if (start + (pages + 1) * PAGE > s.layout.vmallocEnd) return null;
  const pfns: number[] = [];
  for (let i = 0; i < pages; i++) {
    const pfn = s.frames.allocate();
    if (pfn < 0) {
      for (const p of pfns) s.frames.release(p);
      return null;
    }
    s.frames.set(pfn, PageFlag.Kernel);
    pfns.push(pfn);
  }
  try {
    pfns.forEach((pfn, i) => {
      const pa = s.tables.entryAddress(s.initMm.pgdPfn, start + i * PAGE, { create: s.initMm });
      s.tables.writeAt(pa!, s.arch.pte.make(pfn, KERNEL_DATA));
    });
  } catch (error) {
    if (!(error instanceof OutOfMemory)) throw error;
    // Undo: no kernel PTE may point at a frame that goes back to the allocator.
    pfns.forEach((_pfn, i) => {
      const pa = s.tables.entryAddress(s.initMm.pgdPfn, start + i * PAGE);
      if (pa !== null) s.tables.writeAt(pa, 0n);
    });
    for (const p of pfns) s.frames.release(p);
    return null;
  } finally {
    adoptKernelTables(s);
  }
  s.vmallocNext = start + (pages + 1) * PAGE;
  s.vmallocs.set(start, { pfns });
  return start;
}

export function vfree(s: KernelState, address: number): void {
  const area = s.vmallocs.get(address);
  if (area === undefined) throw new KernelError(`vfree of ${shown(address)}, which vmalloc did not return`);
  s.vmallocs.delete(address);
  area.pfns.forEach((pfn, i) => {
    const va = address + i * PAGE;
    s.tables.writeAt(s.tables.entryAddress(s.initMm.pgdPfn, va)!, 0n);
    // flush_tlb_kernel_range: kernel mappings are global, on every CPU.
    for (const cpu of s.cpus) cpu.mmu.invalidatePage(va);
    s.frames.release(pfn);
  });
}

export function isVmallocAddress(s: KernelState, address: number): boolean {
  return address >= s.layout.vmallocStart && address < s.layout.vmallocEnd;
}

/**
 * Copies init_mm's top-level entry for `address` into `mmId`'s tables —
 * or, for a kernel thread (no mm), into the tables loaded on the CPU that
 * faulted. True if an entry was copied.
 */
export function syncKernelMapping(
  s: KernelState,
  fault: FaultContext | null,
  mmId: number | null,
  address: number,
): boolean {
  const mm = mmId === null ? null : mmById(s, mmId);
  // A kernel thread runs on whatever tables are loaded; sync those.
  const targetPgd = mm?.pgdPfn ?? fault?.cpu.loadedMm.pgdPfn ?? s.initMm.pgdPfn;
  const entryBytes = s.layout.format.entryBytes;
  const index = s.tables.index(address, 0);
  const reference = s.memory.readEntry(s.initMm.pgdPfn * PAGE + index * entryBytes, entryBytes);
  if (!s.arch.pte.valid(reference)) return false;
  const current = s.memory.readEntry(targetPgd * PAGE + index * entryBytes, entryBytes);
  if (current === reference) return false;
  s.memory.writeEntry(targetPgd * PAGE + index * entryBytes, entryBytes, reference);
  return true;
}
