/**
 * What the hooks are handed: a `KernelApi` for most of them, a `UaccessApi`
 * for the user copies (copyFromUser, copyToUser). Each is built once at boot
 * (`withHookApis`) as a frozen object of functions closing over the state,
 * each a thin call into the module that does the work. A hook reaches
 * exactly what its interface lists and nothing else: not the `Kernel`
 * facade, not the state, not the other API (`'spawn' in k`, `'state' in k`
 * and `'loadByte' in k` are all false).
 */
import { oopsReport, searchExceptionTable, UACCESS_IP } from './extable.ts';
import { fileFault } from './filemap.ts';
import type { InstalledHooks, KernelApi } from './hooks.ts';
import { hugePmdFault } from './huge-memory.ts';
import { isUserAddress } from './layout.ts';
import { makeWritable, mapPage, replacePage, setAccessFlags } from './memory.ts';
import { findVma, vmaForFault } from './mmap.ts';
import { allocPage, clearPage, copyPage, getPage, pageInfo, putPage } from './page-alloc.ts';
import { pageTableRoot, readPte, readTableEntry, tableIndex } from './pagewalk.ts';
import type { KernelState } from './state.ts';
import { swapInPage, tryFreeSwap } from './swap-state.ts';
import { cpusThatMayCache, flushTlbPage, invalidateTlbEntry } from './tlb-flush.ts';
import type { UaccessApi } from './uaccess.ts';
import { accessOk, byteAccess, userAccessBegin, userAccessEnd } from './usercopy.ts';
import { isVmallocAddress, syncKernelMapping } from './vmalloc.ts';

/** The fields of the state that hold the hooks' API objects. */
type HookApis = Pick<KernelState, 'api' | 'uaccessApi'>;

/**
 * The state, completed with the API objects its hooks will be handed. They
 * close over the state but read it only when a hook calls them, so they can
 * be built before the state is finished (boot.ts calls this on the fresh
 * object, before anything runs a hook).
 */
export function withHookApis(core: Omit<KernelState, keyof HookApis>): KernelState {
  const s = core as KernelState;
  const apis: HookApis = { api: kernelApi(s), uaccessApi: uaccessApi(s) };
  registerFacts(s, apis);
  return Object.assign(core, apis);
}

function kernelApi(s: KernelState): KernelApi {
  // Every virtual address a hook hands over is a bigint; inside, a number.
  const va = (address: unknown, where: string) => s.va.fromVirtual(address, where);
  const hooks: InstalledHooks = Object.freeze({
    anonymousFault: (fault, vma) => s.hooks.anonymousFault(api, fault, vma),
    cowBreak: (fault, pfn) => s.hooks.cowBreak(api, fault, pfn),
    swapIn: (fault) => s.hooks.swapIn(api, fault),
    vmallocFault: (fault) => s.hooks.vmallocFault(api, fault),
    exceptionFixup: (fault) => s.hooks.exceptionFixup(api, fault),
    flushTlbPage: (mm, address) => flushTlbPage(s, mm, va(address, 'hooks.flushTlbPage')),
    walkPageTable: (mm, address) => readPte(s, mm, va(address, 'hooks.walkPageTable')),
  } satisfies InstalledHooks);

  const api: KernelApi = Object.freeze({
    // VMAs and page tables (mmap.ts, pagewalk.ts)
    findVma: (mm, address) => findVma(s, mm, va(address, 'findVma')),
    vmaForFault: (mm, address) => vmaForFault(s, mm, va(address, 'vmaForFault')),
    pageTableRoot: (mm) => pageTableRoot(s, mm),
    pageTableLevels: () => s.tables.levels,
    tableIndex: (address, level) => tableIndex(s, va(address, 'tableIndex'), level),
    entrySize: () => s.layout.format.entryBytes,
    readTableEntry: (pa, level) => readTableEntry(s, pa, level),

    // pages (page-alloc.ts, memory.ts)
    pageInfo: (pfn) => pageInfo(s, pfn),
    zeroPfn: () => s.zeroPagePfn,
    allocPage: () => allocPage(s, s.inFault),
    clearPage: (pfn) => clearPage(s, pfn),
    copyPage: (fromPfn, toPfn) => copyPage(s, fromPfn, toPfn),
    getPage: (pfn) => getPage(s, pfn),
    putPage: (pfn) => putPage(s, pfn),
    mapPage: (mm, address, pfn, options) => mapPage(s, mm, va(address, 'mapPage'), pfn, options),
    replacePage: (mm, address, pfn, options) => replacePage(s, mm, va(address, 'replacePage'), pfn, options),
    makeWritable: (mm, address) => makeWritable(s, mm, va(address, 'makeWritable')),
    setAccessFlags: (mm, address, write) => setAccessFlags(s, mm, va(address, 'setAccessFlags'), write),

    // TLB (tlb-flush.ts)
    cpusThatMayCache: (mm) => cpusThatMayCache(s, mm),
    invalidateTlbEntry: (cpu, mm, address) =>
      invalidateTlbEntry(s, cpu, mm, va(address, 'invalidateTlbEntry')),

    // swap and files (swap-state.ts, filemap.ts)
    swapInPage: (mm, address, write) => swapInPage(s, s.inFault, mm, va(address, 'swapInPage'), write),
    fileFault: (fault) => fileFault(s, s.inFault, fault),
    hugePmdFault: (fault) => hugePmdFault(s, fault),
    tryFreeSwap: (pfn) => tryFreeSwap(s, pfn),

    // kernel addresses and the exception table (vmalloc.ts, extable.ts)
    syncKernelMapping: (mm, address) => syncKernelMapping(s, s.inFault, mm, va(address, 'syncKernelMapping')),
    isUserAddress: (address) => isUserAddress(s.layout, va(address, 'isUserAddress')),
    isVmallocAddress: (address) => isVmallocAddress(s, va(address, 'isVmallocAddress')),
    searchExceptionTable: (ip) => {
      const fixup = searchExceptionTable(s, va(ip, 'searchExceptionTable'));
      return fixup === null ? null : s.va.toVirtual(fixup);
    },
    oopsReport: (fault, reason) => oopsReport(s, fault, reason),

    hooks,
  } satisfies KernelApi);
  return api;
}

/** What uaccess routines are built from (usercopy.ts). */
function uaccessApi(s: KernelState): UaccessApi {
  const va = (address: unknown, where: string) => s.va.fromVirtual(address, where);
  return Object.freeze({
    copyInstruction: s.va.toVirtual(UACCESS_IP.copyUser),
    // access_ok on the exact value: a number would round a huge address.
    accessOk: (address, length) => accessOk(s, s.va.register(address, 'accessOk'), length),
    userAccessBegin: (pid) => userAccessBegin(s, pid),
    userAccessEnd: (pid) => userAccessEnd(s, pid),
    loadByte: (pid, address, ip) =>
      byteAccess(s, pid, s.va.register(address, 'loadByte'), 'read', va(ip, 'loadByte (ip)'), 0),
    storeByte: (pid, address, value, ip) =>
      byteAccess(s, pid, s.va.register(address, 'storeByte'), 'write', va(ip, 'storeByte (ip)'), value),
  } satisfies UaccessApi);
}

/**
 * What a host-side checker of hook calls may know of the kernel behind one
 * of its API objects: the grader's bridge checks a learner's arguments and
 * results against it. Looked up by the object (`hookApiFacts`), never
 * reachable from it.
 */
export interface HookApiFacts {
  /** Frames of physical memory: a pfn is 0..frames - 1. */
  readonly frames: number;
  mmExists(mm: number): boolean;
  taskExists(pid: number): boolean;
}

/**
 * Where the facts are kept: a registered symbol names the same registry in
 * every copy of vm-core in this realm (as KernelError's brand does, kernel.ts),
 * so an API object built by one copy is known to a checker loaded with another.
 */
const FACTS = Symbol.for('faultline.hook-api-facts');

function factsRegistry(): WeakMap<object, HookApiFacts> {
  const realm = globalThis as { [FACTS]?: WeakMap<object, HookApiFacts> };
  realm[FACTS] ??= new WeakMap();
  return realm[FACTS];
}

function registerFacts(s: KernelState, apis: HookApis): void {
  const facts: HookApiFacts = Object.freeze({
    frames: s.frames.frames,
    mmExists: (mm: number) => s.mms.has(mm),
    taskExists: (pid: number) => s.tasks.has(pid),
  });
  const registry = factsRegistry();
  registry.set(apis.api, facts);
  registry.set(apis.uaccessApi, facts);
}

/** The facts of the kernel that built `api` (one of its hooks' API objects), or null for any other object. */
export function hookApiFacts(api: KernelApi | UaccessApi): HookApiFacts | null {
  return factsRegistry().get(api) ?? null;
}
