/**
 * The half of the `Kernel` facade that the hooks call: `KernelApi` and
 * `UaccessApi`, each method a thin call into the module that does the
 * work. A hook is handed the `Kernel` itself, so these are `Kernel`'s
 * methods (it extends this class); they sit here so that kernel.ts keeps
 * what the rest of the world calls — tasks, system calls, accesses, copies.
 */
import { oopsReport, searchExceptionTable, UACCESS_IP } from './extable.ts';
import { fileFault } from './filemap.ts';
import type {
  FaultInfo,
  FaultOutcome,
  KernelApi,
  PageInfo,
  PageMapOptions,
  PteInfo,
  TableEntry,
  VmaInfo,
} from './hooks.ts';
import { isUserAddress } from './layout.ts';
import { makeWritable, mapPage, replacePage, setAccessFlags } from './memory.ts';
import { findVma, vmaForFault } from './mmap.ts';
import { allocPage, clearPage, copyPage, getPage, pageInfo, putPage } from './page-alloc.ts';
import { pageTableRoot, readPte, readTableEntry, tableIndex } from './pagewalk.ts';
import type { KernelState } from './state.ts';
import { swapInPage, tryFreeSwap } from './swap-state.ts';
import { cpusThatMayCache, flushTlbPage, invalidateTlbEntry } from './tlb-flush.ts';
import type { ByteAccess, UaccessApi } from './uaccess.ts';
import { accessOk, byteAccess, userAccessBegin, userAccessEnd } from './usercopy.ts';
import { isVmallocAddress, syncKernelMapping } from './vmalloc.ts';

export abstract class KernelApiMethods implements KernelApi, UaccessApi {
  /** The kernel's one state object (the facade's; see state.ts). */
  protected abstract readonly state: KernelState;

  // ───────────────────────── UaccessApi: what uaccess routines are built from (usercopy.ts) ─────────────────────────

  readonly copyInstruction = UACCESS_IP.copyUser;

  accessOk(address: number, length: number): boolean {
    return accessOk(this.state, address, length);
  }

  userAccessBegin(pid: number): void {
    userAccessBegin(this.state, pid);
  }

  userAccessEnd(pid: number): void {
    userAccessEnd(this.state, pid);
  }

  loadByte(pid: number, address: number, ip: number): ByteAccess {
    return byteAccess(this.state, pid, address, 'read', ip, 0);
  }

  storeByte(pid: number, address: number, value: number, ip: number): ByteAccess {
    return byteAccess(this.state, pid, address, 'write', ip, value);
  }

  // ───────────────────────── VMAs and page tables (mmap.ts, pagewalk.ts) ─────────────────────────

  findVma(mmId: number, address: number): VmaInfo | null {
    return findVma(this.state, mmId, address);
  }

  vmaForFault(mmId: number, address: number): { vma: VmaInfo; grew: boolean } | null {
    return vmaForFault(this.state, mmId, address);
  }

  readPte(mmId: number, address: number): PteInfo {
    return readPte(this.state, mmId, address);
  }

  pageTableRoot(mmId: number): number {
    return pageTableRoot(this.state, mmId);
  }

  pageTableLevels(): number {
    return this.state.tables.levels;
  }

  tableIndex(address: number, level: number): number {
    return tableIndex(this.state, address, level);
  }

  entrySize(): number {
    return this.state.layout.format.entryBytes;
  }

  readTableEntry(pa: number, level: number): TableEntry {
    return readTableEntry(this.state, pa, level);
  }

  // ───────────────────────── pages (page-alloc.ts, memory.ts) ─────────────────────────

  pageInfo(pfn: number): PageInfo {
    return pageInfo(this.state, pfn);
  }

  zeroPfn(): number {
    return this.state.zeroPagePfn;
  }

  allocPage(): number {
    return allocPage(this.state, this.state.inFault);
  }

  clearPage(pfn: number): void {
    clearPage(this.state, pfn);
  }

  copyPage(fromPfn: number, toPfn: number): void {
    copyPage(this.state, fromPfn, toPfn);
  }

  getPage(pfn: number): void {
    getPage(this.state, pfn);
  }

  putPage(pfn: number): void {
    putPage(this.state, pfn);
  }

  mapPage(mmId: number, address: number, pfn: number, options: PageMapOptions): void {
    mapPage(this.state, mmId, address, pfn, options);
  }

  replacePage(mmId: number, address: number, pfn: number, options: PageMapOptions): void {
    replacePage(this.state, mmId, address, pfn, options);
  }

  makeWritable(mmId: number, address: number): void {
    makeWritable(this.state, mmId, address);
  }

  setAccessFlags(mmId: number, address: number, write: boolean): boolean {
    return setAccessFlags(this.state, mmId, address, write);
  }

  // ───────────────────────── TLB (tlb-flush.ts) ─────────────────────────

  flushTlbPage(mmId: number, address: number): void {
    flushTlbPage(this.state, mmId, address);
  }

  cpusThatMayCache(mmId: number): readonly number[] {
    return cpusThatMayCache(this.state, mmId);
  }

  invalidateTlbEntry(cpuId: number, mmId: number, address: number): void {
    invalidateTlbEntry(this.state, cpuId, mmId, address);
  }

  // ───────────────────────── swap and files (swap-state.ts, filemap.ts) ─────────────────────────

  /**
   * do_swap_page(): brings a swapped-out page back, from the swap cache if
   * it is still there, else from the device (swap-state.ts).
   */
  swapInPage(mmId: number, address: number, write = false): 'swap-in' | 'oom' {
    return swapInPage(this.state, this.state.inFault, mmId, address, write);
  }

  /**
   * folio_free_swap(): drops a page from the swap cache and frees its slot
   * when no PTE still holds the slot. Returns whether it did.
   */
  tryFreeSwap(pfn: number): boolean {
    return tryFreeSwap(this.state, pfn);
  }

  fileFault(f: FaultInfo): FaultOutcome {
    return fileFault(this.state, this.state.inFault, f);
  }

  // ───────────────────────── kernel addresses and the exception table (vmalloc.ts, extable.ts) ─────────────────────────

  syncKernelMapping(mmId: number | null, address: number): boolean {
    return syncKernelMapping(this.state, this.state.inFault, mmId, address);
  }

  isUserAddress(address: number): boolean {
    return isUserAddress(this.state.layout, address);
  }

  isVmallocAddress(address: number): boolean {
    return isVmallocAddress(this.state, address);
  }

  searchExceptionTable(ip: number): number | null {
    return searchExceptionTable(this.state, ip);
  }

  oopsReport(f: FaultInfo, reason: string): string {
    return oopsReport(this.state, f, reason);
  }

  // ───────────────────────── the other hooks, as installed ─────────────────────────

  exceptionFixup(fault: FaultInfo): number | null {
    return this.state.hooks.exceptionFixup(this, fault);
  }

  swapIn(fault: FaultInfo): FaultOutcome {
    return this.state.hooks.swapIn(this, fault);
  }

  anonymousFault(fault: FaultInfo, vma: VmaInfo): FaultOutcome {
    return this.state.hooks.anonymousFault(this, fault, vma);
  }

  cowBreak(fault: FaultInfo, pfn: number): FaultOutcome {
    return this.state.hooks.cowBreak(this, fault, pfn);
  }

  vmallocFault(fault: FaultInfo): boolean {
    return this.state.hooks.vmallocFault(this, fault);
  }
}
