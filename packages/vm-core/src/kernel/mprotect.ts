/**
 * mprotect(): new rights for the areas, and for the PTEs already mapped in
 * them — rights taken away at once (and shot down), rights given back
 * lazily by the next fault.
 *
 * Follows mm/mprotect.c (do_mprotect_pkey, change_pte_range).
 */
import type { ErrnoName } from './abi.ts';
import { PteHalves } from './arch/pte-halves.ts';
import { wantsWriteNotify } from './filemap.ts';
import { PageFlag } from './frames.ts';
import { changeHugePmds } from './huge-memory.ts';
import { linuxAtLeast } from './linux-version.ts';
import type { Mm } from './mm.ts';
import { type KernelState, PAGE, pageUp, userTask } from './state.ts';
import { flushTlbPage } from './tlb-flush.ts';
import type { MmapRequest } from './types.ts';
import { type Vma, VmFlag } from './vma.ts';

export function mprotect(
  s: KernelState,
  pid: number,
  address: number,
  length: number,
  prot: MmapRequest['prot'],
): ErrnoName | null {
  const mm = userTask(s, pid).mm!;
  if (!Number.isSafeInteger(address) || address % PAGE !== 0 || !(length > 0)) return 'EINVAL';
  const end = address + pageUp(length);
  // Every byte of the range must be mapped (mprotect returns ENOMEM otherwise).
  for (let va = address; va < end; ) {
    const vma = mm.vmas.containing(va);
    if (vma === null) return 'ENOMEM';
    va = vma.end;
  }
  const rights =
    (prot.read ? VmFlag.Read : 0) | (prot.write ? VmFlag.Write : 0) | (prot.exec ? VmFlag.Exec : 0);
  // mprotect_fixup leaves an area whose rights do not change as it is —
  // its entries too (no change_protection): only these ranges are visited.
  const changing: { start: number; end: number }[] = [];
  for (const vma of mm.vmas.all)
    if (vma.start < end && vma.end > address && (vma.flags & RWX) !== rights)
      changing.push({ start: Math.max(vma.start, address), end: Math.min(vma.end, end) });
  mm.vmas.changeFlags(
    address,
    end,
    (flags) => (flags & ~(VmFlag.Read | VmFlag.Write | VmFlag.Exec)) | rights,
  );
  // change_pte_range: take rights away from mapped PTEs now. Write given
  // back is granted at once where the next write fault would grant it
  // without a copy or a notification (since 6.0), else lazily by that fault.
  for (const range of changing) changeProtection(s, mm, range.start, range.end, prot);
  return null;
}

const RWX = VmFlag.Read | VmFlag.Write | VmFlag.Exec;

/** change_protection() over [start, end) of one area whose rights changed to `prot`. */
function changeProtection(
  s: KernelState,
  mm: Mm,
  start: number,
  end: number,
  prot: MmapRequest['prot'],
): void {
  const ops = s.arch.pteHalves;
  const tables = s.tables;
  const next = new PteHalves();
  const tryWritable = prot.write && linuxAtLeast(s.linux, '6.0');
  changeHugePmds(s, mm, start, end, prot);
  tables.forEachUserEntry(mm.pgdPfn, start, end, (va, pa, lo, hi) => {
    // A huge page left whole above: its PMD is visited as 512 PTEs, and done.
    if (!ops.mapsFrame(lo, hi) || s.hugePmds.has(pa)) return;
    ops.modify(next.set(lo, hi), prot);
    if (tryWritable && !ops.write(next.lo, next.hi) && canChangePteWritable(s, mm.vmas.containing(va)!, next))
      ops.mkwrite(next);
    if (next.lo === lo && next.hi === hi) return;
    tables.store(pa, next.lo, next.hi);
    const lostRights =
      (ops.write(lo, hi) && !ops.write(next.lo, next.hi)) ||
      !ops.valid(next.lo, next.hi) ||
      (ops.exec(lo, hi) && !ops.exec(next.lo, next.hi)) ||
      // RISC-V: read/write to execute-only.
      (ops.read?.(lo, hi) === true && ops.read(next.lo, next.hi) === false);
    // Rights taken away must be shot down everywhere (through the flush hook).
    if (lostRights) flushTlbPage(s, mm.id, va);
  });
}

/**
 * can_change_pte_writable() (mm/mprotect.c, 6.1), for a VMA that
 * vma_wants_manual_pte_write_upgrade(): a private one, or a shared one
 * that needs no write-notify. The PTE must be dirty (a clean one would
 * lose the dirty tracking the write fault does), and a private mapping's
 * page an exclusive anonymous one — exactly the pages do_wp_page would
 * reuse without a copy. (Soft-dirty and userfaultfd tracking, which would
 * also need the fault, are not modelled: every VMA is VM_SOFTDIRTY.)
 */
function canChangePteWritable(s: KernelState, vma: Vma, e: PteHalves): boolean {
  const ops = s.arch.pteHalves;
  if (!ops.valid(e.lo, e.hi) || !ops.dirty(e.lo, e.hi)) return false;
  if ((vma.flags & VmFlag.Shared) !== 0) return !wantsWriteNotify(s, vma);
  const pfn = ops.pfn(e.lo, e.hi);
  return (
    pfn !== s.zeroPagePfn && s.frames.has(pfn, PageFlag.Anon) && s.frames.has(pfn, PageFlag.AnonExclusive)
  );
}
