/**
 * Invariants of the memory manager, checkable after any step. Each violation
 * is a sentence a learner can act on. The reference kernel keeps them all;
 * a learner's hook that forgets a put_page, a TLB flush or a mapcount shows
 * up here even when the program happens to run.
 */
import { Access, Privilege } from '../hw/access.ts';
import { formatAddress } from '../hw/address.ts';
import { Perm, permissionTableFor } from '../hw/permissions.ts';
import { compileFormat, WalkResult, walk } from '../hw/walk.ts';
import { cell, PageFlag } from './frames.ts';
import type { Kernel } from './kernel.ts';
import type { Mm } from './mm.ts';
import { VmFlag } from './vma.ts';

export function checkInvariants(kernel: Kernel): string[] {
  const problems: string[] = [];
  const frames = kernel.frames;
  const zero = kernel.api.zeroPfn();
  const mappings = new Int32Array(frames.frames);
  const ops = kernel.arch.pte;

  for (const mm of kernel.mms.values()) {
    let rss = 0;
    kernel.tables.forEachUserPte(mm.pgdPfn, 0, kernel.layout.userEnd, (va, _pa, pte) => {
      if (!ops.mapsFrame(pte)) return;
      const pfn = ops.pfn(pte);
      if (pfn >= frames.frames) {
        problems.push(`mm ${mm.id}: PTE for ${formatAddress(va)} points past physical memory (pfn ${pfn})`);
        return;
      }
      if (frames.isFree(pfn)) {
        problems.push(
          `mm ${mm.id}: ${formatAddress(va)} maps frame ${pfn}, which is free (a use-after-free)`,
        );
      }
      // Neither zero page is counted: the small one, or the huge one's frames (reserved).
      if (pfn !== zero && !frames.has(pfn, PageFlag.Reserved)) {
        mappings[pfn] = cell(mappings, pfn) + 1;
        rss++;
        // An anonymous page in a private area means the area has an anon_vma, or fork would not copy it.
        const vma = mm.vmas.containing(va);
        if (
          vma !== null &&
          vma.anonVma !== true &&
          (vma.flags & VmFlag.Shared) === 0 &&
          frames.has(pfn, PageFlag.Anon) &&
          !frames.has(pfn, PageFlag.File)
        )
          problems.push(
            `mm ${mm.id}: ${formatAddress(va)} maps anonymous frame ${pfn} in an area without an anon_vma (fork would lose it)`,
          );
      }
    });
    if (rss !== mm.rss) problems.push(`mm ${mm.id}: rss says ${mm.rss} pages but ${rss} are mapped`);
  }

  for (let pfn = 0; pfn < frames.frames; pfn++) {
    if (
      frames.has(pfn, PageFlag.Reserved) ||
      frames.has(pfn, PageFlag.PageTable) ||
      frames.has(pfn, PageFlag.Kernel)
    ) {
      continue;
    }
    if (frames.mapcountOf(pfn) !== mappings[pfn]) {
      problems.push(`frame ${pfn}: mapcount is ${frames.mapcountOf(pfn)} but ${mappings[pfn]} PTEs map it`);
    }
    // An exclusive page has one owner: fork must have cleared the flag.
    if (frames.has(pfn, PageFlag.AnonExclusive) && cell(mappings, pfn) > 1) {
      problems.push(
        `frame ${pfn}: marked exclusive (PG_anon_exclusive) but ${mappings[pfn]} PTEs map it — mprotect could make it writable in both`,
      );
    }
    // The swap cache and the page cache each hold a reference of their own.
    const pins = (frames.has(pfn, PageFlag.SwapCache) ? 1 : 0) + (frames.has(pfn, PageFlag.File) ? 1 : 0);
    if (!frames.isFree(pfn) && frames.refcountOf(pfn) !== cell(mappings, pfn) + pins) {
      problems.push(
        `frame ${pfn}: refcount is ${frames.refcountOf(pfn)} but it has ${mappings[pfn]} mappings and ${pins} pins (a leaked or missing get_page/put_page)`,
      );
    }
  }

  checkTasks(kernel, problems);
  checkRmap(kernel, problems);
  checkSwap(kernel, problems);
  checkTablePages(kernel, problems);
  checkHugePmds(kernel, problems);
  checkTlbs(kernel, problems);
  return problems;
}

/**
 * Each huge PMD the kernel keeps is one: a huge leaf at its mm's PMD for
 * its block, the block inside one area, its deposited table the mm's
 * and no table's; the pages of a huge page anonymous and mapped.
 */
function checkHugePmds(kernel: Kernel, problems: string[]): void {
  const ops = kernel.arch.pte;
  const level = kernel.tables.levels - 2;
  const span = kernel.tables.span(level);
  for (const [pa, huge] of kernel.hugePmds) {
    const where = `huge PMD of mm ${huge.mm.id} at ${formatAddress(huge.start)}`;
    if (kernel.mms.get(huge.mm.id) !== huge.mm) problems.push(`${where}: its mm is gone`);
    if (kernel.tables.entryAddress(huge.mm.pgdPfn, huge.start, { level }) !== pa)
      problems.push(`${where}: the mm's PMD for the block is not the entry recorded`);
    const entry = kernel.tables.readAt(pa);
    if (!ops.valid(entry) || !ops.leafAbove(entry)) {
      problems.push(`${where}: the entry is not a huge leaf (${entry.toString(16)})`);
      continue;
    }
    const vma = huge.mm.vmas.containing(huge.start);
    if (vma === null || vma.end < huge.start + span)
      problems.push(`${where}: the block is not inside one area`);
    if (!huge.mm.tablePages.has(huge.table) || !kernel.frames.has(huge.table, PageFlag.PageTable))
      problems.push(`${where}: its deposited table (frame ${huge.table}) is not the mm's page table`);
    if (huge.zero) continue;
    const pfn = ops.pfn(entry);
    for (let i = 0; i < span / 4096; i++)
      if (!kernel.frames.has(pfn + i, PageFlag.Anon) || kernel.frames.mapcountOf(pfn + i) < 1) {
        problems.push(`${where}: page ${i} (frame ${pfn + i}) is not a mapped anonymous page`);
        break;
      }
  }
}

/**
 * A task that has exited holds nothing: no address space (so no frames and
 * no page-table pages), no CPU; and every address space still standing is
 * used by as many running tasks as it counts users (mmput freed the rest).
 */
function checkTasks(kernel: Kernel, problems: string[]): void {
  const users = new Map<Mm, number>();
  for (const task of kernel.tasks.values()) {
    const who = `pid ${task.pid} (${task.name})`;
    if (task.state === 'reaped') problems.push(`${who} was reaped but is still on the task list`);
    if (task.alive !== (task.state === 'running'))
      problems.push(`${who} is ${task.state} but alive says ${task.alive}`);
    if (task.alive) {
      if (task.mm !== null) users.set(task.mm, (users.get(task.mm) ?? 0) + 1);
      continue;
    }
    if (task.mm !== null)
      problems.push(`${who} has exited but still holds mm ${task.mm.id} (do_exit frees the address space)`);
    if (task.activeMm !== null)
      problems.push(`${who} has exited but still holds mm ${task.activeMm.id} as its active mm`);
    for (const cpu of kernel.cpus)
      if (cpu.current === task) problems.push(`cpu ${cpu.id} still runs ${who}, which has exited`);
  }
  for (const mm of kernel.mms.values()) {
    const running = users.get(mm) ?? 0;
    if (running === 0) {
      problems.push(
        `mm ${mm.id} is used by no running task, yet holds ${mm.rss} pages and ${mm.tablePages.size + 1} page-table pages (an address space that outlived its last task)`,
      );
    } else if (running !== mm.users) {
      problems.push(`mm ${mm.id} counts ${mm.users} users but ${running} running tasks use it`);
    }
  }
}

/** The reverse map lists exactly the PTEs that map each frame. */
function checkRmap(kernel: Kernel, problems: string[]): void {
  const ops = kernel.arch.pte;
  for (const pfn of kernel.rmap.frames()) {
    const list = kernel.rmap.mappings(pfn);
    if (list.length !== kernel.frames.mapcountOf(pfn)) {
      problems.push(
        `frame ${pfn}: the reverse map lists ${list.length} mappings but mapcount is ${kernel.frames.mapcountOf(pfn)}`,
      );
    }
    for (const { mm, va } of list) {
      const pte = kernel.tables.readPte(mm.pgdPfn, va);
      if (!ops.mapsFrame(pte) || ops.pfn(pte) !== pfn) {
        problems.push(
          `frame ${pfn}: the reverse map says mm ${mm.id} maps it at ${formatAddress(va)}, but that PTE does not`,
        );
      }
    }
  }
}

/** Each swap slot's count is the PTEs holding it plus one if the swap cache holds it. */
function checkSwap(kernel: Kernel, problems: string[]): void {
  const swap = kernel.swap;
  if (swap === null) return;
  const ops = kernel.arch.pte;
  const held = new Int32Array(swap.slots);
  for (const mm of kernel.mms.values()) {
    let entries = 0;
    kernel.tables.forEachUserPte(mm.pgdPfn, 0, kernel.layout.userEnd, (_va, _pa, pte) => {
      if (ops.mapsFrame(pte)) return;
      held[ops.swapOffset(pte)]!++;
      entries++;
    });
    if (entries !== mm.swapEntries)
      problems.push(`mm ${mm.id}: counts ${mm.swapEntries} swap entries but its PTEs hold ${entries}`);
  }
  for (const [slot, pfn] of kernel.swapCache) {
    held[slot]!++;
    if (kernel.frames.swapSlotOf(pfn) !== slot)
      problems.push(`swap cache: slot ${slot} → frame ${pfn}, which does not point back`);
  }
  for (let slot = 1; slot < swap.slots; slot++) {
    if (swap.count[slot] !== held[slot]) {
      problems.push(
        `swap slot ${slot}: count is ${swap.count[slot]} but ${held[slot]} references exist (a leaked or lost swap slot)`,
      );
    }
  }
}

function checkTablePages(kernel: Kernel, problems: string[]): void {
  const owners = new Map<number, string>();
  const claim = (pfn: number, owner: string) => {
    const previous = owners.get(pfn);
    if (previous !== undefined)
      problems.push(`page-table frame ${pfn} belongs to both ${previous} and ${owner}`);
    owners.set(pfn, owner);
  };
  for (const pfn of kernel.kernelTables) claim(pfn, 'the kernel');
  for (const mm of kernel.mms.values()) {
    claim(mm.pgdPfn, `mm ${mm.id}`);
    for (const pfn of mm.tablePages) claim(pfn, `mm ${mm.id}`);
  }
  for (let pfn = 0; pfn < kernel.frames.frames; pfn++) {
    const flagged = kernel.frames.has(pfn, PageFlag.PageTable);
    if (flagged && !owners.has(pfn)) problems.push(`page-table frame ${pfn} is owned by nobody (leaked)`);
    if (!flagged && owners.has(pfn))
      problems.push(`frame ${pfn} is listed as a page table of ${owners.get(pfn)} but is not one`);
  }
}

/** No TLB entry may grant more than the page tables do now. */
function checkTlbs(kernel: Kernel, problems: string[]): void {
  const c = compileFormat(kernel.layout.format);
  const out = new WalkResult();
  const byAsid = new Map<number, Mm>();
  for (const mm of kernel.mms.values()) byAsid.set(mm.asid, mm);
  const rights = Perm.Read | Perm.Write | Perm.User | Perm.UserExec | Perm.SupervisorExec;
  for (const cpu of kernel.cpus) {
    const tlb = cpu.mmu.tlb;
    if (tlb === null) continue;
    const control = cpu.mmu.control;
    const loaded = control.root / 4096;
    for (const entry of tlb.snapshot()) {
      let pgd: number;
      if (entry.global) pgd = kernel.initMm.pgdPfn;
      else if (kernel.pcid) {
        const mm = byAsid.get(entry.asid);
        if (mm === undefined) {
          problems.push(
            `cpu ${cpu.id}: TLB entry for ${formatAddress(entry.pageVa)} belongs to a freed address space (asid ${entry.asid})`,
          );
          continue;
        }
        pgd = mm.pgdPfn;
      } else pgd = loaded;
      // Rights only: A and D count as settable, since clearing A without a
      // flush (ptep_clear_flush_young) legitimately leaves an entry cached
      // that a Svade or no-HA walk would now fault on.
      const state = {
        ...control,
        root: pgd * 4096,
        smap: false,
        smep: false,
        writeProtect: false,
        protectionKeys: false,
        hardwareAccessed: true,
        hardwareDirty: true,
      };
      const table = permissionTableFor('x86', state);
      const ok = walk(c, kernel.memory, state, table, entry.pageVa, Access.Read, Privilege.Supervisor, out);
      const where = `cpu ${cpu.id}: TLB entry for ${formatAddress(entry.pageVa)}`;
      if (!ok) {
        problems.push(`${where} survives although the page is no longer mapped (missing TLB flush)`);
      } else if (out.pagePa !== entry.framePa) {
        problems.push(`${where} still points at the old frame (missing TLB flush after a remap)`);
      } else if ((entry.perm & ~out.perm & rights) !== 0) {
        problems.push(`${where} grants more than its PTE does now (missing TLB flush after a downgrade)`);
      }
    }
  }
}
