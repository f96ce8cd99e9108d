/**
 * Where things live in the virtual address space, per architecture, after
 * Documentation/arch/x86/x86_64/mm.rst, arch/x86/include/asm/page_32_types.h
 * Documentation/riscv/vm-layout.rst and Documentation/arm64/memory.rst (6.1:
 * 4K pages, 4 levels, 48-bit VA).
 * The simulated areas keep Linux's addresses but are sized down where Linux
 * reserves terabytes (one PML4 slot of vmalloc space instead of 32 TiB).
 */
import { toAddress } from '../hw/address.ts';
import { arm64 } from '../hw/formats/arm64.ts';
import { riscvSv39 } from '../hw/formats/riscv-sv39.ts';
import { x86_32 } from '../hw/formats/x86-32.ts';
import { x86_64 } from '../hw/formats/x86-64.ts';
import type { PagingFormat } from '../hw/paging-format.ts';
import type { KernelArch } from './arch/arch.ts';

export type { KernelArch } from './arch/arch.ts';

export interface KernelLayout {
  readonly arch: KernelArch;
  readonly format: PagingFormat;
  /** TASK_SIZE: user addresses are below this. */
  readonly userEnd: number;
  /**
   * vm.mmap_min_addr (dac_mmap_min_addr): mappings below it need
   * CAP_SYS_RAWIO (cap_mmap_addr), a NULL-dereference guard.
   */
  readonly mmapMinAddr: number;
  /**
   * CONFIG_LSM_MMAP_MIN_ADDR, where the kernel's config sets it above
   * vm.mmap_min_addr. The kernel's own mmap_min_addr is the larger of the two
   * (security/min_addr.c update_mmap_min_addr), and it — not the sysctl —
   * is where a hint is moved up to, where the top-down search stops, and
   * below which a stack never grows; only the CAP_SYS_RAWIO check reads the
   * sysctl. See kernelMmapMinAddr.
   */
  readonly lsmMmapMinAddr?: number;
  /** PAGE_OFFSET: the direct map of all physical memory starts here. */
  readonly directMapStart: number;
  /** Largest amount of RAM the direct map can cover (x86-32 "lowmem": 896 MiB). */
  readonly directMapMaxBytes: number;
  readonly vmallocStart: number;
  readonly vmallocEnd: number;
  /**
   * Where the first vmalloc area goes, when it is not vmallocStart: ARM64's
   * kernel image sits at the bottom of the vmalloc range.
   */
  readonly vmallocFirst?: number;
  /** Where the kernel's text would be: uaccess instructions' addresses live here. */
  readonly kernelText: number;
  /** Top of the user stack. */
  readonly stackTop: number;
  /** Base for top-down mmap placement (below the stack's maximum size and gap). */
  readonly mmapBase: number;
  /** Default start of the heap (brk). */
  readonly brkStart: number;
  /** RLIMIT_STACK. */
  readonly stackLimit: number;
  /** stack_guard_gap: 256 pages kept free below a stack (mm/mmap.c). */
  readonly stackGuardGap: number;
  /**
   * Index range of root-table entries that make up the kernel half (from
   * here to the end); the root's size where no user root holds any (ARM64).
   */
  readonly kernelRootFirst: number;
  /**
   * x86-64 preallocates the vmalloc area's upper-level tables at boot, so
   * every process shares them (commit 6eb82f994026, "x86/mm: Pre-allocate
   * P4D/PUD pages for vmalloc area"); x86-32's page directories each hold
   * their own copy of the entries, synced lazily on fault before Linux 5.8
   * and as vmalloc maps since; RISC-V's roots too, synced on fault
   * (vmalloc_fault() in arch/riscv/mm/fault.c) until 6.5 preallocated them
   * (commit 7d3332be011e, "riscv: mm: Pre-allocate PGD entries for
   * vmalloc/modules area"); ARM64's kernel half is one table behind TTBR1,
   * the same on every CPU whatever TTBR0 holds, so there is nothing to sync.
   * See vmalloc.ts vmallocSync.
   */
  readonly vmallocSync: 'preallocated' | 'lazy-fault' | 'kernel-root';
}

const MiB = 2 ** 20;

export const layouts: Record<KernelArch, KernelLayout> = {
  'x86-64': {
    arch: 'x86-64',
    format: x86_64,
    userEnd: 2 ** 47 - 4096,
    mmapMinAddr: 0x10000,
    directMapStart: toAddress('0xffff888000000000'),
    directMapMaxBytes: 2 ** 46,
    vmallocStart: toAddress('0xffffc90000000000'),
    vmallocEnd: toAddress('0xffffc98000000000'),
    kernelText: toAddress('0xffffffff81000000'),
    stackTop: 2 ** 47 - 4096,
    mmapBase: 2 ** 47 - 4096 - 8 * MiB - 256 * 4096 - 128 * MiB,
    brkStart: 0x0060_0000,
    stackLimit: 8 * MiB,
    stackGuardGap: 256 * 4096,
    kernelRootFirst: 256,
    vmallocSync: 'preallocated',
  },
  'x86-32': {
    arch: 'x86-32',
    format: x86_32,
    userEnd: 0xc000_0000,
    mmapMinAddr: 0x10000,
    directMapStart: 0xc000_0000,
    directMapMaxBytes: 896 * MiB,
    // VMALLOC_START = high_memory + VMALLOC_OFFSET (8 MiB); with the small
    // memories we simulate, a fixed start above the largest lowmem works.
    vmallocStart: 0xf800_0000,
    vmallocEnd: 0xff80_0000,
    kernelText: 0xc100_0000,
    stackTop: 0xc000_0000,
    mmapBase: 0xc000_0000 - 8 * MiB - 256 * 4096 - 128 * MiB,
    brkStart: 0x0060_0000,
    stackLimit: 8 * MiB,
    stackGuardGap: 256 * 4096,
    kernelRootFirst: 768,
    vmallocSync: 'lazy-fault',
  },
  // Sv39 in Linux 6.1 (Documentation/riscv/vm-layout.rst, asm/pgtable.h,
  // asm/page.h PAGE_OFFSET_L3).
  'riscv-sv39': {
    arch: 'riscv-sv39',
    format: riscvSv39,
    // TASK_SIZE = PGDIR_SIZE * PTRS_PER_PGD / 2: root entries 0..255.
    userEnd: 0x40_0000_0000,
    // CONFIG_DEFAULT_MMAP_MIN_ADDR: Debian's common config keeps mm/Kconfig's
    // 4096 and only kernelarch-x86 raises it to 65536; riscv64's does not.
    mmapMinAddr: 0x1000,
    directMapStart: toAddress('0xffffffd800000000'),
    // "124 GB | direct mapping of all physical memory".
    directMapMaxBytes: 124 * 2 ** 30,
    // VMALLOC_START = PAGE_OFFSET - VMALLOC_SIZE (KERN_VIRT_SIZE / 2: 64 GiB,
    // ending at PAGE_OFFSET); sized down to its first root entry (1 GiB), as
    // x86-64's is to one PML4 slot, so that preallocating it (6.5) costs
    // one table page.
    vmallocStart: toAddress('0xffffffc800000000'),
    vmallocEnd: toAddress('0xffffffc840000000'),
    // KERNEL_LINK_ADDR: the last 2 GiB.
    kernelText: toAddress('0xffffffff80000000'),
    // STACK_TOP = TASK_SIZE (asm/processor.h).
    stackTop: 0x40_0000_0000,
    // mm/util.c's mmap_base() without randomisation: the 8 MiB stack limit
    // and the guard gap are below MIN_GAP, so the gap is 128 MiB.
    mmapBase: 0x40_0000_0000 - 128 * MiB,
    brkStart: 0x0060_0000,
    stackLimit: 8 * MiB,
    stackGuardGap: 256 * 4096,
    // USER_PTRS_PER_PGD = 256: pgd_alloc copies entries 256..511 from init_mm.
    kernelRootFirst: 256,
    vmallocSync: 'lazy-fault',
  },
  arm64: {
    arch: 'arm64',
    format: arm64,
    // TASK_SIZE_64 = 1 << vabits_actual (processor.h): all of TTBR0's range.
    userEnd: 2 ** 48,
    // Debian's configs set CONFIG_DEFAULT_MMAP_MIN_ADDR=4096 in
    // debian/config/config and raise it to 65536 for x86 only
    // (debian/config/kernelarch-x86/config), so vm.mmap_min_addr is 4096 on
    // Debian's arm64 kernels: root, or anyone with MAP_FIXED at 0x1000 as
    // nobody, may map there. But config-6.1.0-*-arm64 also has
    // CONFIG_LSM_MMAP_MIN_ADDR=32768, which raises the kernel's own
    // mmap_min_addr: a hint below it becomes 0x8000 (the conformance suite's
    // mmap-hint-below-min-addr shows it on Linux).
    mmapMinAddr: 0x1000,
    lsmMmapMinAddr: 0x8000,
    // PAGE_OFFSET = -(1 << VA_BITS): the linear map fills the bottom half
    // of TTBR1's range, 128 TiB up to PAGE_END.
    directMapStart: toAddress('0xffff000000000000'),
    directMapMaxBytes: 2 ** 47,
    // VMALLOC_START = MODULES_END = MODULES_VADDR + 128 MiB; sized down to
    // the rest of its level-0 slot (512 GiB) instead of 124 TiB.
    vmallocStart: toAddress('0xffff800008000000'),
    vmallocEnd: toAddress('0xffff808000000000'),
    // KIMAGE_VADDR = MODULES_END: without KASLR the image (_text) starts
    // where vmalloc space does, and its own vm_struct keeps vmalloc off it;
    // areas here start above a 32 MiB image (Debian's arm64 Image is about
    // 30 MiB).
    vmallocFirst: toAddress('0xffff80000a000000'),
    kernelText: toAddress('0xffff800008000000'),
    // STACK_TOP = STACK_TOP_MAX = TASK_SIZE_64.
    stackTop: 2 ** 48,
    // mm/util.c mmap_base(): 8 MiB of stack rlimit plus stack_guard_gap is
    // under MIN_GAP, so the gap is 128 MiB (no randomisation).
    mmapBase: 2 ** 48 - 128 * MiB,
    brkStart: 0x0060_0000,
    stackLimit: 8 * MiB,
    stackGuardGap: 256 * 4096,
    kernelRootFirst: 512,
    vmallocSync: 'kernel-root',
  },
};

export function isUserAddress(layout: KernelLayout, va: number): boolean {
  return va >= 0 && va < layout.userEnd;
}

/** The kernel's mmap_min_addr: vm.mmap_min_addr, or CONFIG_LSM_MMAP_MIN_ADDR where that is larger. */
export function kernelMmapMinAddr(layout: Pick<KernelLayout, 'mmapMinAddr' | 'lsmMmapMinAddr'>): number {
  return Math.max(layout.mmapMinAddr, layout.lsmMmapMinAddr ?? 0);
}
