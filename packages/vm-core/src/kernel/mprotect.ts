/**
 * mprotect(): new rights for the areas, and for the PTEs already mapped in
 * them — rights taken away at once (and shot down), rights given back
 * lazily by the next fault.
 *
 * Follows mm/mprotect.c (do_mprotect_pkey, change_pte_range).
 */
import type { ErrnoName } from './abi.ts';
import { type KernelState, PAGE, pageUp, userTask } from './state.ts';
import { flushTlbPage } from './tlb-flush.ts';
import type { MmapRequest } from './types.ts';
import { VmFlag } from './vma.ts';

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
  mm.vmas.changeFlags(
    address,
    end,
    (flags) => (flags & ~(VmFlag.Read | VmFlag.Write | VmFlag.Exec)) | rights,
  );
  // change_pte_range: take rights away from mapped PTEs now; rights given
  // back are granted lazily by the next fault (a write reuses the page).
  const ops = s.arch.pte;
  s.tables.forEachUserPte(mm.pgdPfn, address, end, (va, pa, pte) => {
    if (!ops.mapsFrame(pte)) return;
    const next = ops.modify(pte, prot);
    if (next === pte) return;
    s.tables.writeAt(pa, next);
    const lostRights =
      (ops.write(pte) && !ops.write(next)) ||
      !ops.valid(next) ||
      (ops.exec(pte) && !ops.exec(next)) ||
      // RISC-V: read/write to execute-only.
      (ops.read?.(pte) === true && ops.read(next) === false);
    // Rights taken away must be shot down everywhere (through the flush hook).
    if (lostRights) flushTlbPage(s, mm.id, va);
  });
  return null;
}
