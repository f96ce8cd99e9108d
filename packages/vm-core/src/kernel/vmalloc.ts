/**
 * vmalloc(): virtually contiguous kernel memory in the vmalloc area, built
 * from scattered single frames — and, where the kernel half's top-level
 * entries are not shared from boot (x86-32; RISC-V before 6.5), how a new
 * entry reaches every page directory: by version (linux-version.ts), lazily
 * through the fault that syncs it into the current one (x86-32 before 5.8,
 * RISC-V before 6.5), or copied into all of them as vmalloc maps (x86-32
 * since 5.8).
 *
 * Follows mm/vmalloc.c (__vmalloc_node_range, vmap_range_noflush, vfree),
 * arch/x86/mm/fault.c (vmalloc_fault, vmalloc_sync_one,
 * arch_sync_kernel_mappings) and arch/riscv/mm/fault.c (vmalloc_fault).
 */
import { adoptKernelTables } from './boot.ts';
import { PageFlag } from './frames.ts';
import { KernelError } from './kernel.ts';
import { linuxAtLeast } from './linux-version.ts';
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
  if (vmallocSync(s) === 'on-map') syncKernelMappings(s, start, start + pages * PAGE);
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

/**
 * How the vmalloc area's top-level entries reach every page directory.
 * `preallocated`: they exist from boot, shared by all (x86-64 here, as
 * since 5.9: commit 6eb82f994026; earlier x86-64 kernels synced too, which
 * is not modelled). `lazy-fault`: x86-32 before 5.8 — vmalloc writes only
 * init_mm's directory and a process that lacks the entry faults on first
 * touch (vmalloc_fault copies it). `on-map`: x86-32 since 5.8 — vmalloc
 * copies each new entry into every directory as it maps (commits
 * 2ba3e6947aed "mm/vmalloc: track which page-table levels were modified"
 * and 86cf69f1d893 "x86/mm/32: implement arch_sync_kernel_mappings()").
 * 5.8 also removed vmalloc_fault (7f0a002b5a21); 5.9 brought it back on
 * x86-32 (4819e15f740e) only to close a race between mapping and syncing,
 * which a single-threaded simulation never opens: the hook stays, and no
 * access reaches it. `kernel-root`: ARM64, whose kernel half is TTBR1's
 * one table — no user pgd holds a copy to sync.
 */
export function vmallocSync(s: KernelState): 'preallocated' | 'lazy-fault' | 'on-map' | 'kernel-root' {
  if (s.layout.vmallocSync === 'preallocated') return 'preallocated';
  // ARM64: the kernel half is TTBR1's one table; no user pgd holds a copy.
  if (s.layout.vmallocSync === 'kernel-root') return 'kernel-root';
  // RISC-V: vmalloc_fault() copies the entry into the faulting root until
  // 6.5 preallocates the area's top-level entries at boot
  // (preallocate_pgd_pages_range, commit 7d3332be011e, which also stopped
  // taking the vmalloc fault on 64-bit).
  if (s.arch.name === 'riscv-sv39') return linuxAtLeast(s.linux, '6.5') ? 'preallocated' : 'lazy-fault';
  return linuxAtLeast(s.linux, '5.8') ? 'on-map' : 'lazy-fault';
}

/**
 * arch_sync_kernel_mappings() (x86-32): for each top-level entry of
 * [start, end), vmalloc_sync_one into every page directory (pgd_list: each
 * address space's).
 */
function syncKernelMappings(s: KernelState, start: number, end: number): void {
  const span = s.tables.span(0);
  for (let va = start - (start % span); va < end; va += span) {
    for (const mm of s.mms.values()) copyTopLevelEntry(s, mm.pgdPfn, va);
  }
}

/** vmalloc_sync_one(): copies init_mm's top-level entry for `address` into the directory at `targetPgd`; true if it changed. */
function copyTopLevelEntry(s: KernelState, targetPgd: number, address: number): boolean {
  const entryBytes = s.layout.format.entryBytes;
  const index = s.tables.index(address, 0);
  const reference = s.memory.readEntry(s.initMm.pgdPfn * PAGE + index * entryBytes, entryBytes);
  if (!s.arch.pte.valid(reference)) return false;
  const current = s.memory.readEntry(targetPgd * PAGE + index * entryBytes, entryBytes);
  if (current === reference) return false;
  s.memory.writeEntry(targetPgd * PAGE + index * entryBytes, entryBytes, reference);
  return true;
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
  // ARM64: the kernel half is TTBR1's one table; no mm's root has a copy.
  if (!s.arch.kernelHalfInUserRoot) return false;
  // A kernel thread runs on whatever tables are loaded; sync those.
  const targetPgd = mm?.pgdPfn ?? fault?.cpu.loadedMm.pgdPfn ?? s.initMm.pgdPfn;
  return copyTopLevelEntry(s, targetPgd, address);
}
