/**
 * TLB maintenance by the kernel: one page through the (replaceable) flush
 * hook, a whole mm by its tag, the per-CPU invalidation of one page that an
 * IPI performs (invlpg; sfence.vma addr, asid — remote harts get it through
 * SBI; on ARM64, the share of one broadcast TLBI VALE1IS that reaches that
 * CPU), and the tags themselves (PCIDs, ASIDs).
 *
 * Follows arch/x86/mm/tlb.c (flush_tlb_mm_range, flush_tlb_func,
 * native_flush_tlb_multi, choose_new_asid), arch/riscv/mm/tlbflush.c
 * (__sbi_tlb_flush_range: local_flush_tlb_page_asid, sbi_remote_sfence_vma_asid)
 * and arch/arm64/include/asm/tlbflush.h (flush_tlb_page, flush_tlb_mm:
 * TLBI VALE1IS, ASIDE1IS).
 */
import { KernelError } from './kernel.ts';
import type { Mm } from './mm.ts';
import { cpuOf, emit, type KernelState, mmById } from './state.ts';

/** flush_tlb_page() after a PTE change: the hook decides which CPUs must drop the old translation. */
export function flushTlbPage(s: KernelState, mmId: number, address: number): void {
  mmById(s, mmId);
  s.hooks.flushTlbPage(s.api, { mm: mmId, address: s.va.toVirtual(address) });
}

/** mm_cpumask(): CPUs whose TLBs may hold translations of this mm. */
export function cpusThatMayCache(s: KernelState, mmId: number): readonly number[] {
  return [...mmById(s, mmId).cpus];
}

/** One page on one CPU — invlpg, sfence.vma addr, asid, TLBI VALE1IS as it reaches that CPU — an IPI's work when it is not the local one (ARM64 needs no IPI). */
export function invalidateTlbEntry(s: KernelState, cpuId: number, mmId: number, address: number): void {
  const mm = mmById(s, mmId);
  cpuOf(s, cpuId).mmu.invalidatePage(address, mm.asid);
  if (s.listener !== null) emit(s, { type: 'tlb-shootdown', fromCpu: -1, cpus: [cpuId], address });
}

/** flush_tlb_mm(): every CPU that may cache the mm drops all of its (PCID- / ASID-tagged) entries. */
export function flushTlbMm(s: KernelState, mm: Mm): void {
  for (const id of mm.cpus) s.cpus[id]!.mmu.invalidateAsid(mm.asid);
  if (mm.cpus.size > 1 && s.listener !== null)
    emit(s, { type: 'tlb-shootdown', fromCpu: -1, cpus: [...mm.cpus], address: null });
}

/**
 * A PCID (ASID) no live address space uses. (Linux recycles a handful of
 * dynamic PCIDs per CPU, and RISC-V's and arm64's allocators their ASIDs by
 * generation, flushing at a rollover (arch/arm64/mm/context.c); one tag per
 * live mm keeps the same guarantee — no two address spaces ever share
 * cached translations. Tag 0 is the kernel's, as ASID 0 is reserved on
 * arm64.)
 */
export function allocateAsid(s: KernelState): number {
  const { name, count } = s.arch.asidSpace ?? { name: 'PCID', count: 4096 };
  for (let asid = 1; asid < count; asid++) {
    if (!s.asidsInUse.has(asid)) {
      s.asidsInUse.add(asid);
      return asid;
    }
  }
  throw new KernelError(`out of ${name}s: more than ${count - 1} live address spaces`);
}
