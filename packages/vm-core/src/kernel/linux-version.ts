/**
 * Which Linux the kernel models: a "major.minor" version, chosen once at
 * boot (`new Kernel({ linux: '5.8' })`) and read wherever Linux's own
 * behaviour changed between releases. The default is 6.1, Debian 12's
 * kernel — the one packages/conformance compares the simulator with.
 *
 * A behaviour that differs by version is decided by `linuxAtLeast(s.linux,
 * '5.9')` at the one place that implements it, with a comment naming the
 * commit; `LINUX_CHANGES` lists them all, for documentation and reports.
 * Point releases (6.1.55) are not versions here: the stable series keep the
 * behaviour of their release, except where a fix was backported — a
 * detail the list below says where it matters.
 */
/** A Linux release as "major.minor", e.g. '6.1' or '5.4'. */
export type LinuxVersion = `${number}.${number}`;

/** Debian 12's kernel, the one the conformance suite's recorded results come from. */
export const DEFAULT_LINUX_VERSION: LinuxVersion = '6.1';

const FORMAT = /^(\d{1,2})\.(\d{1,2})$/;

/** The oldest release the modelled behaviours are checked against (page_check_references dates from 2.6.34). */
const OLDEST_MAJOR = 3;

/**
 * Checks a version given from outside (an option, a scenario file): a
 * "major.minor" string from 3.0 on, or a sentence saying what a version
 * looks like. (`parseLinuxVersion` in kernel.ts throws that as a
 * KernelError; this module imports nothing, so that the hook types a
 * learner's editor loads stay free of the simulator's code.)
 */
export function checkLinuxVersion(
  value: unknown,
):
  | { readonly kind: 'ok'; readonly version: LinuxVersion }
  | { readonly kind: 'err'; readonly message: string } {
  const m = typeof value === 'string' ? FORMAT.exec(value) : null;
  if (m === null) {
    const shown = typeof value === 'string' ? `"${value}"` : String(value);
    const point = typeof value === 'string' && /^\d+\.\d+\.\d+$/.test(value);
    return {
      kind: 'err',
      message: point
        ? `Linux version ${shown}: give the release without the point release, as "major.minor" (${value.split('.').slice(0, 2).join('.')}); the stable updates of a release keep its behaviour here`
        : `Linux version ${shown} is not a version: write it as "major.minor", such as "6.1" or "5.4"`,
    };
  }
  if (Number(m[1]) < OLDEST_MAJOR) {
    return {
      kind: 'err',
      message: `Linux version "${value}" is older than the kernel modelled here goes back (${OLDEST_MAJOR}.0 and later)`,
    };
  }
  return { kind: 'ok', version: `${Number(m[1])}.${Number(m[2])}` as LinuxVersion };
}

/** Whether `version` is `since` or later: the question every version-dependent behaviour asks. */
export function linuxAtLeast(version: LinuxVersion, since: LinuxVersion): boolean {
  const [major, minor] = parts(version);
  const [sinceMajor, sinceMinor] = parts(since);
  return major !== sinceMajor ? major > sinceMajor : minor >= sinceMinor;
}

function parts(version: LinuxVersion): [number, number] {
  const m = FORMAT.exec(version);
  if (m === null) throw new RangeError(`Linux version "${version}" is not "major.minor"`);
  return [Number(m[1]), Number(m[2])];
}

/** One behaviour the kernel models differently before and after a release. */
export interface LinuxChange {
  /** The first release with the new behaviour. */
  readonly since: LinuxVersion;
  /** Where it shows: the module and the Linux function. */
  readonly where: string;
  readonly before: string;
  readonly after: string;
  /** The commit(s) that made the change, as Linux's own Fixes: lines name them. */
  readonly commits: readonly string[];
}

/** Every behaviour that the version knob changes, oldest change first. */
export const LINUX_CHANGES: readonly LinuxChange[] = [
  {
    since: '5.0',
    where: 'mmap.ts vmaForFault(): how far a stack may grow down (mm/mmap.c expand_downwards)',
    before:
      "a stack grows below mmap_min_addr when security_mmap_addr() allows the address, as for mmap: root's (CAP_SYS_RAWIO) may reach page zero",
    after:
      "no stack grows below the kernel's mmap_min_addr, whoever owns it: a setuid root program's stack could otherwise be pushed into the first pages (CVE-2019-9213); mmap(MAP_FIXED) there still works for root",
    commits: ['0a1d52994d44 ("mm: enforce min addr even if capable() in expand_downwards()")'],
  },
  {
    since: '5.8',
    where: 'vmalloc.ts: vmalloc() and the x86-32 vmalloc fault (arch/x86/mm/fault.c vmalloc_fault)',
    before:
      "x86-32: vmalloc maps new page tables into init_mm's page directory only; a process whose directory lacks the entry faults on first touch, and vmalloc_fault copies it over",
    after:
      'x86-32: vmalloc copies the new page-directory entries into every page directory as it maps (arch_sync_kernel_mappings), so no access faults; 5.8 removed vmalloc_fault, and 5.9 brought it back on x86-32 only to close a race between mapping and syncing',
    commits: [
      '2ba3e6947aed ("mm/vmalloc: track which page-table levels were modified")',
      '86cf69f1d893 ("x86/mm/32: implement arch_sync_kernel_mappings()")',
      '7f0a002b5a21 ("x86/mm: remove vmalloc faulting")',
      '4819e15f740e ("x86/mm/32: Bring back vmalloc faulting on x86_32", 5.9)',
    ],
  },
  {
    since: '5.9',
    where: 'vmscan.ts and the reference reclaimDecision (mm/vmscan.c page_check_references)',
    before:
      'a referenced anonymous (swap-backed) page is activated at once; only file pages must be seen referenced twice (new anonymous pages also started on the active list then; here they start on the inactive one in every version, as since 5.9)',
    after:
      'every mapped page, anonymous or file, is activated only when seen referenced again (PG_referenced) or through more than one PTE; a first reference keeps it on the inactive list with PG_referenced set; executable file pages are activated at once',
    commits: ['b518154e59aa ("mm/vmscan: protect the workingset on anonymous LRU")'],
  },
  {
    since: '5.11',
    where:
      'arch/arm64.ts configure(): how copy_{from,to}_user, get_user and put_user reach user memory (arch/arm64/lib/copy_from_user.S, copy_to_user.S, asm/uaccess.h)',
    before:
      'ARM64 on a CPU with PAN and no UAO: uaccess_enable_not_uao() clears PSTATE.PAN before each copy and sets it again after, and the copy uses plain LDR/STR; a CPU with UAO (ARMv8.2) copies with LDTR/STTR and leaves PAN set',
    after:
      'ARM64: set_fs() is gone, so the uaccess routines only ever touch user memory and use the unprivileged LDTR/STTR on every CPU, checked with EL0 permissions, PAN left set (only futex and a few atomics still clear it, uaccess_enable_privileged). A CPU without PAN switches TTBR0 to the reserved table outside the window (SW PAN) in both versions. The arm64 for-next/uaccess series, merged for 5.11',
    commits: [
      'fc703d80130b ("arm64: uaccess: split user/kernel routines")',
      '3d2403fd10a1 ("arm64: uaccess: remove set_fs()")',
      '7cf283c7bd62 ("arm64: uaccess: remove redundant PAN toggling")',
      '1517c4facf2e ("arm64: uaccess: remove vestigal UAO support")',
    ],
  },
  {
    since: '5.19',
    where:
      'gup.ts getUserPagesRemote(): a read-only pin, as process_vm_readv takes (mm/gup.c follow_page_pte → gup_must_unshare, mm/memory.c do_wp_page with FAULT_FLAG_UNSHARE)',
    before:
      'a read-only pin takes an anonymous page as it is mapped, shared copy-on-write after fork or not: no fault, and a later COW break in either process leaves the pin on a page the other still maps (5.8 briefly broke COW for every GUP instead, 17839856fd58; that variant is not modelled)',
    after:
      "a read-only pin of an anonymous page not marked exclusive (PG_anon_exclusive) unshares it first: a fault on the pinner's account that reuses the page if nobody else holds it, else copies it into a new page mapped read-only, so the pin and the process see the same page from then on",
    commits: [
      '6c287605fd56 ("mm: remember exclusively mapped anonymous pages with PG_anon_exclusive")',
      'a7f226604170 ("mm/gup: trigger FAULT_FLAG_UNSHARE when R/O-pinning a possibly shared anonymous page")',
    ],
  },
  {
    since: '6.0',
    where:
      'mprotect.ts: change_pte_range() with MM_CP_TRY_CHANGE_WRITABLE (mm/mprotect.c can_change_pte_writable)',
    before:
      'mprotect giving write back to a private mapping leaves every present PTE read-only: the next write faults, and the fault finds the page exclusive and reuses it',
    after:
      'mprotect makes the PTE of a dirty, exclusive anonymous page writable at once (and of a dirty page in a shared mapping that needs no write-notify), so the next write takes no fault',
    commits: [
      '64fe24a3e05e ("mm/mprotect: try avoiding write faults on exclusive anonymous pages when changing protection")',
    ],
  },
  {
    since: '6.5',
    where:
      'vmalloc.ts vmallocSync() and the RISC-V vmalloc fault (arch/riscv/mm/fault.c vmalloc_fault, arch/riscv/mm/init.c preallocate_pgd_pages_range)',
    before:
      "RISC-V: vmalloc maps new page tables into init_mm's root only; a task whose root lacks the top-level entry takes a page fault on first touch, and vmalloc_fault copies the entry over",
    after:
      'RISC-V (64-bit): the top-level entries of the vmalloc and modules areas are allocated at boot, so every root copies them from init_mm at pgd_alloc and no vmalloc access faults (which also removed the sfence.vma that path executed; 6.5 added flush_cache_vmap() for it)',
    commits: [
      '7d3332be011e ("riscv: mm: Pre-allocate PGD entries for vmalloc/modules area")',
      '7e3811521dc3 ("riscv: Implement flush_cache_vmap()")',
    ],
  },
];
