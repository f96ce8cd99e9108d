/**
 * Files and the page cache: read(2) through the cache, file-backed faults
 * (a shared mapping maps the cache page, a private write copies it), and
 * reclaim writing a dirty page back before dropping it.
 *
 * Follows mm/filemap.c (filemap_fault, filemap_read), mm/memory.c
 * (do_read_fault, do_cow_fault, do_shared_fault) and mm/vmscan.c
 * (pageout, __remove_mapping) for the eviction.
 */
import { formatAddress } from '../hw/address.ts';
import type { ErrnoName } from './abi.ts';
import { PteHalves } from './arch/pte-halves.ts';
import { PageFlag } from './frames.ts';
import type { FaultInfo, FaultOutcome } from './hooks.ts';
import { KernelError } from './kernel.ts';
import { mapPage, unmapRange } from './memory.ts';
import { allocPage, putPage } from './page-alloc.ts';
import { dropMapping } from './page-rmap.ts';
import { emit, type FaultContext, type KernelState, mmById, PAGE, pageDown } from './state.ts';
import { flushTlbPage } from './tlb-flush.ts';
import type { DiskFile, ShmemFile, SimFile } from './types.ts';
import { type Vma, VmFlag } from './vma.ts';

/** Creates a file with these bytes (refusing to replace one). */
export function createFile(s: KernelState, name: string, content: Uint8Array | readonly number[]): DiskFile {
  if (typeof name !== 'string' || name.length === 0) throw new KernelError('a file needs a name');
  if (!(content instanceof Uint8Array) && !Array.isArray(content))
    throw new KernelError('file content must be bytes');
  if (s.files.has(name)) throw new KernelError(`file "${name}" already exists`);
  if (content.length > 1 << 26) throw new KernelError('files are limited to 64 MiB');
  const data = Uint8Array.from(content, (b) => b & 0xff);
  const file: DiskFile = { kind: 'file', name, size: data.length, data, cache: new Map() };
  // tmpfs keeps a file in memory: writing it put every page in the page cache.
  if (s.fileSystem === 'tmpfs') {
    for (let index = 0; index < Math.ceil(file.size / PAGE); index++) {
      if (pageCachePage(s, null, file, index) < 0) {
        for (const pfn of file.cache.values()) dropFromCache(s, pfn);
        throw new KernelError(`file "${name}": no memory for its ${Math.ceil(file.size / PAGE)} tmpfs pages`);
      }
    }
  }
  s.files.set(name, file);
  return file;
}

/**
 * shmem_zero_setup(): the unnamed shmem file a shared anonymous mapping of
 * `length` bytes maps — the one object every process that inherits the
 * mapping shares, so a page first touched after fork is still one page.
 */
export function createShmemFile(s: KernelState, length: number): ShmemFile {
  // The lowest number no live shmem file has, like an inode number: the
  // same run of the same machine names its files the same way.
  let n = 1;
  while (s.files.has(`/dev/zero (deleted) #${n}`)) n++;
  const name = `/dev/zero (deleted) #${n}`;
  const file: ShmemFile = { kind: 'shmem', name, size: length, cache: new Map(), swapped: new Map() };
  s.files.set(name, file);
  return file;
}

/**
 * After areas went away: a shmem file no area maps any more is freed with
 * its pages (the last fput of the mapping's file).
 */
export function releaseUnmappedShmem(s: KernelState, names: readonly string[]): void {
  for (const name of names) {
    const file = s.files.get(name);
    if (file?.kind !== 'shmem') continue;
    let mapped = false;
    for (const mm of s.mms.values()) if (mm.vmas.all.some((v) => v.file?.name === name)) mapped = true;
    if (mapped) continue;
    for (const pfn of [...file.cache.values()]) dropFromCache(s, pfn);
    s.files.delete(name);
  }
}

/**
 * ftruncate(): the file is `length` bytes long from now on (Linux 6.1's
 * truncate_setsize → truncate_pagecache, and shmem_setattr on tmpfs).
 * Shrinking unmaps every page wholly beyond the new end from every
 * mapping — private copies of them too (unmap_mapping_range with
 * even_cows) — and drops them from the page cache; the last page's tail
 * past the end reads zero. A mapping of the part gone then takes SIGBUS
 * there. Growing adds zeros.
 */
export function truncateFile(s: KernelState, name: string, length: number): ErrnoName | null {
  const file = s.files.get(name);
  if (file === undefined || file.kind !== 'file') throw new KernelError(`no file "${name}"`);
  if (!Number.isSafeInteger(length) || length < 0) return 'EINVAL';
  if (length > 1 << 26) return 'EFBIG';
  const keep = Math.ceil(length / PAGE);
  if (length < file.size) {
    for (const mm of s.mms.values())
      for (const vma of mm.vmas.all) {
        if (vma.file?.name !== name) continue;
        const from = vma.start + Math.max(0, keep - vma.file.pgoff) * PAGE;
        if (from < vma.end) unmapRange(s, mm, from, vma.end, { keepVmas: true });
      }
    for (const [index, pfn] of [...file.cache]) if (index >= keep) dropFromCache(s, pfn);
    // truncate_inode_partial_folio: the cached last page is zeroed past the new end.
    const last = file.cache.get(keep - 1);
    if (last !== undefined && length % PAGE !== 0)
      s.memory.bytes.fill(0, last * PAGE + (length % PAGE), (last + 1) * PAGE);
  }
  const data = new Uint8Array(length);
  data.set(file.data.subarray(0, Math.min(length, file.size)));
  file.data = data;
  file.size = length;
  return null;
}

/** What read(2) of the file returns now: the page cache where a page is cached, else the disk. */
export function readFile(s: KernelState, name: string, offset: number, length: number): number[] {
  const file = s.files.get(name);
  if (file === undefined) throw new KernelError(`no file "${name}"`);
  if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(length) || length < 0) {
    throw new KernelError(
      `readFile: offset and length must be non-negative integers (got ${offset}, ${length})`,
    );
  }
  const out: number[] = [];
  for (let i = offset; i < Math.min(file.size, offset + length); i++) {
    const pfn = file.cache.get(Math.floor(i / PAGE));
    out.push(pfn === undefined ? storedByte(file, i) : s.memory.bytes[pfn * PAGE + (i % PAGE)]!);
  }
  return out;
}

/** A byte of the file where it is not cached: on the disk, or in shmem's swap (a hole reads as zero). */
function storedByte(file: SimFile, i: number): number {
  if (file.kind === 'file') return file.data[i]!;
  return file.swapped.get(Math.floor(i / PAGE))?.[i % PAGE] ?? 0;
}

/** filemap_fault(): maps the file page behind `address` (or copies it for a private write); SIGBUS past EOF. */
export function fileFault(s: KernelState, fault: FaultContext | null, f: FaultInfo): FaultOutcome {
  const mm = mmById(s, f.mm!);
  const address = s.va.fromVirtual(f.address, 'fileFault');
  const vma = mm.vmas.containing(address);
  if (vma?.file === undefined) throw new KernelError(`no file mapping at ${formatAddress(f.address)}`);
  const file = s.files.get(vma.file.name)!;
  const index = vma.file.pgoff + Math.floor((address - vma.start) / PAGE);
  // A page wholly beyond the end of the file has nothing to map: SIGBUS.
  if (index >= Math.ceil(file.size / PAGE)) {
    return { kind: 'signal', signal: { signal: 'SIGBUS', code: 'BUS_ADRERR', address: f.address } };
  }
  // What the fault found: shmem allocates a hole's page on demand (shmem_get_folio) and brings an evicted one back from swap.
  const found =
    file.kind === 'file' || file.cache.has(index)
      ? 'page-cache'
      : file.swapped.has(index)
        ? 'swap-in'
        : 'demand-zero';
  const cached = pageCachePage(s, fault, file, index);
  if (cached < 0) return { kind: 'oom' };
  const shared = (vma.flags & VmFlag.Shared) !== 0;
  const exec = (vma.flags & VmFlag.Exec) !== 0;
  if (f.write && !shared) {
    // do_cow_fault: a private write gets its own copy; the file never sees it.
    // The cache page is held while allocating, so reclaim cannot evict it.
    s.frames.incRefcount(cached);
    const copy = allocPage(s, fault);
    s.frames.decRefcount(cached);
    if (copy < 0) return { kind: 'oom' };
    s.memory.copyFrame(cached, copy);
    // maybe_mkwrite(): a FOLL_FORCE write into a read-only area keeps its copy read-only.
    mapPage(s, mm.id, address, copy, { writable: (vma.flags & VmFlag.Write) !== 0, exec, dirty: true });
    return { kind: 'resolved', resolution: 'cow-copy' };
  }
  // do_read_fault: map what the cache already holds around the address.
  if (!f.write) faultAround(s, mm.id, vma, file, address);
  // The mapping takes its own reference; the cache keeps its one.
  s.frames.incRefcount(cached);
  mapPage(s, mm.id, address, cached, {
    writable: sharedWritable(s, vma, f.write),
    exec,
    dirty: shared && f.write,
  });
  return { kind: 'resolved', resolution: found };
}

/**
 * Whether a file page this fault maps into `vma` may be written at once:
 * a shared mapping's page is, for a write, or always where nobody needs
 * to see the first write (vm_page_prot keeps the write bit unless
 * vma_wants_writenotify). A private mapping's never: a write copies it.
 */
function sharedWritable(s: KernelState, vma: Vma, write: boolean): boolean {
  if ((vma.flags & (VmFlag.Shared | VmFlag.Write)) !== (VmFlag.Shared | VmFlag.Write)) return false;
  return write || !wantsWriteNotify(s, vma);
}

/** The register a prefaulted PTE is made young or old in. */
const PREFAULTED = new PteHalves();

/** fault_around_bytes (mm/memory.c): 64 KiB, the default since it was added in 3.15. */
const FAULT_AROUND_PAGES = 16;

/**
 * do_fault_around() → filemap_map_pages() (Linux 6.1): a read fault on a
 * file mapping also maps the pages of the aligned 64 KiB window around the
 * address that the page cache already holds — within the VMA, within the
 * same page table, before the end of the file, where no PTE is yet. They
 * count as mapped (mapcount, rss) but as no fault: reading them later
 * takes none. Their PTEs are young, except on ARM64 with a hardware
 * access flag (arch_wants_old_prefaulted_pte), where the first access
 * sets it at no cost and reclaim should not think them used.
 */
function faultAround(s: KernelState, mmId: number, vma: Vma, file: SimFile, address: number): void {
  const mm = mmById(s, mmId);
  const window = FAULT_AROUND_PAGES * PAGE;
  const tableSpan = s.tables.span(s.tables.levels - 2);
  const start = Math.max(address - (address % window), vma.start);
  const tableEnd = address - (address % tableSpan) + tableSpan;
  const end = Math.min(start + window, vma.end, tableEnd);
  const lastIndex = Math.ceil(file.size / PAGE);
  const old = s.arch.name === 'arm64' && s.accessFlags === 'hardware';
  const exec = (vma.flags & VmFlag.Exec) !== 0;
  for (let va = start; va < end; va += PAGE) {
    if (va === pageDown(address)) continue;
    const index = vma.file!.pgoff + (va - vma.start) / PAGE;
    if (index >= lastIndex) break;
    const pfn = file.cache.get(index);
    if (pfn === undefined) continue;
    const pa = s.tables.entryAddress(mm.pgdPfn, va);
    if (pa !== null && !s.arch.pteHalves.none(s.tables.lo(pa), s.tables.hi(pa))) continue;
    s.frames.incRefcount(pfn);
    mapPage(s, mmId, va, pfn, { writable: sharedWritable(s, vma, false), exec });
    // mk_pte(vm_page_prot) makes a young entry (the protections include
    // the accessed bit), which ARM64 with a hardware access flag undoes.
    const at = s.tables.entryAddress(mm.pgdPfn, va)!;
    const e = PREFAULTED.set(s.tables.lo(at), s.tables.hi(at));
    if (old) s.arch.pteHalves.mkold(e);
    else s.arch.pteHalves.mkyoung(e);
    s.tables.store(at, e.lo, e.hi);
    if (s.listener !== null)
      emit(s, { type: 'fault-around', mm: mmId, address: va, file: file.name, page: index });
  }
}

/** find_get_page, or read the page in from the file (the tail past EOF reads as zeros); -1 without memory. */
export function pageCachePage(
  s: KernelState,
  fault: FaultContext | null,
  file: SimFile,
  index: number,
): number {
  const hit = file.cache.get(index);
  if (hit !== undefined) return hit;
  const pfn = allocPage(s, fault);
  if (pfn < 0) return -1;
  s.memory.zeroFrame(pfn);
  const start = index * PAGE;
  if (file.kind === 'file')
    s.memory.bytes.set(file.data.subarray(start, Math.min(file.size, start + PAGE)), pfn * PAGE);
  else {
    const swapped = file.swapped.get(index);
    if (swapped !== undefined) s.memory.bytes.set(swapped, pfn * PAGE);
    file.swapped.delete(index);
  }
  s.frames.set(pfn, PageFlag.File);
  file.cache.set(index, pfn);
  s.lru.addNew(pfn);
  s.fileOfPage.set(pfn, { file, index });
  return pfn;
}

/** Takes a page out of its file's cache and drops the cache's reference. */
function dropFromCache(s: KernelState, pfn: number): void {
  const { file, index } = s.fileOfPage.get(pfn)!;
  file.cache.delete(index);
  s.fileOfPage.delete(pfn);
  s.frames.set(pfn, PageFlag.File, false);
  putPage(s, pfn);
}

/** Reclaim of a file page: unmap it everywhere, write it back if dirty, drop it from the cache. */
export function evictFilePage(s: KernelState, pfn: number): boolean {
  const { file, index } = s.fileOfPage.get(pfn)!;
  for (const { mm, va } of [...s.rmap.mappings(pfn)]) {
    const pa = s.tables.entryAddress(mm.pgdPfn, va)!;
    const dirty = s.arch.pteHalves.dirty(s.tables.lo(pa), s.tables.hi(pa));
    // A file page needs no swap entry: the next fault finds it in the file.
    s.tables.store(pa, 0, 0);
    flushTlbPage(s, mm.id, va);
    dropMapping(s, mm, va, pfn, dirty);
  }
  if (file.kind === 'shmem') {
    // shmem_writepage: nothing backs the page but swap, so it goes there, dirty or not.
    file.swapped.set(index, s.memory.bytes.slice(pfn * PAGE, (pfn + 1) * PAGE));
    if (s.listener !== null) emit(s, { type: 'writeback', file: file.name, page: index });
  } else if (s.frames.has(pfn, PageFlag.Dirty)) {
    const start = index * PAGE;
    file.data.set(s.memory.bytes.subarray(pfn * PAGE, pfn * PAGE + Math.min(PAGE, file.size - start)), start);
    if (s.listener !== null) emit(s, { type: 'writeback', file: file.name, page: index });
  }
  dropFromCache(s, pfn);
  return true;
}

/**
 * vma_wants_writenotify() (mm/mmap.c): whether a shared writable mapping
 * must map its pages read-only until the first write, so the kernel learns
 * a page became dirty (page_mkwrite, dirty accounting). Shared anonymous
 * memory is shmem, which tracks nothing that way; a file on a disk file
 * system does.
 */
export function wantsWriteNotify(s: KernelState, vma: Vma): boolean {
  if ((vma.flags & (VmFlag.Write | VmFlag.Shared)) !== (VmFlag.Write | VmFlag.Shared)) return false;
  if (vma.file === undefined) return false;
  return s.files.get(vma.file.name)?.kind === 'file' && s.fileSystem === 'ext4';
}

/** Whether a file page can leave memory only for swap: shmem's, and every page of a tmpfs file. */
export function swapBacked(s: KernelState, pfn: number): boolean {
  return s.fileSystem === 'tmpfs' || s.fileOfPage.get(pfn)?.file.kind === 'shmem';
}
