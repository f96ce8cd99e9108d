/**
 * Boot: memory, the zero page, the kernel's own page tables (the direct map
 * and, on x86-64, the vmalloc area's top-level tables), the CPUs, and the
 * first tasks — pid 0 (swapper, the idle task), pid 1 (init), pid 2
 * (kthreadd).
 *
 * Follows init/main.c (start_kernel, rest_init), arch/x86/mm/init.c
 * (init_mem_mapping), arch/x86/mm/init_64.c (preallocate_vmalloc_pages)
 * and arch/arm64/mm/mmu.c (map_mem, paging_init's reserved_pg_dir).
 */
import { Mmu } from '../hw/mmu.ts';
import { PhysicalMemory } from '../hw/physical-memory.ts';
import { architectures } from './arch/index.ts';
import { ROOT_UID } from './cred.ts';
import { registerUaccessFixups } from './extable.ts';
import { addTask, kthread, spawn } from './fork.ts';
import { FrameDatabase, PageFlag } from './frames.ts';
import { KernelError, parseLinuxVersion } from './kernel.ts';
import { withHookApis } from './kernel-api.ts';
import { DEFAULT_LINUX_VERSION } from './linux-version.ts';
import { Mm, PageTables } from './mm.ts';
import { referenceHooks } from './reference-hooks.ts';
import { LruLists, ReverseMap } from './rmap.ts';
import { KERNEL_DATA, type KernelState, PAGE } from './state.ts';
import { SwapDevice } from './swap.ts';
import type { KernelOptions } from './types.ts';
import { addressCodec } from './virtual-address.ts';
import { vmallocSync } from './vmalloc.ts';
import { directReclaim } from './vmscan.ts';

/** Builds and boots a machine. */
export function bootKernel(options: KernelOptions): KernelState {
  const name = options.arch ?? 'x86-64';
  if (!Object.hasOwn(architectures, name))
    throw new KernelError(
      `unknown arch "${name}"; the kernel layer models ${Object.keys(architectures).join(', ')}`,
    );
  const linux = parseLinuxVersion(options.linux ?? DEFAULT_LINUX_VERSION);
  const base = architectures[name];
  // 32-bit x86 has no PCIDs: every CR3 write flushes the non-global entries.
  if (!base.hasAsids && options.pcid === true) {
    throw new KernelError(`${base.name} has no PCIDs; use pcid: false (the default there)`);
  }
  const pcid = options.pcid ?? base.hasAsids;
  let arch = base;
  if (base.configure !== undefined) {
    const configured = base.configure({ linux, pan: options.pan, uao: options.uao, tagged: pcid });
    if (configured.kind === 'err') throw new KernelError(`${base.name}: ${configured.message}`);
    arch = configured.arch;
  } else {
    for (const option of ['pan', 'uao'] as const) {
      if (options[option] !== undefined)
        throw new KernelError(`${option} is an ARM64 option; ${base.name} has nothing it could set`);
    }
  }
  const layout = arch.layout;
  const frameCount = options.frames ?? 1024;
  if (!Number.isInteger(frameCount) || frameCount < 64)
    throw new RangeError('a kernel needs at least 64 frames');
  if (frameCount * PAGE > layout.directMapMaxBytes) {
    throw new RangeError(`${frameCount} frames exceed what the ${layout.arch} direct map covers`);
  }
  const memory = new PhysicalMemory({ frames: frameCount, pageSize: PAGE });
  // Frame 0 stays reserved, as the BIOS data area does on a PC.
  const frames = new FrameDatabase(frameCount, 1);
  const tables = new PageTables(memory, frames, layout, arch.pteHalves);
  const lru = new LruLists(frameCount);
  const hooks = { ...referenceHooks, ...options.hooks };
  const accessFlags = options.accessFlags ?? arch.accessFlags.default;
  if (accessFlags !== arch.accessFlags.default && !arch.accessFlags.selectable) {
    throw new KernelError(
      `${arch.name} keeps accessed and dirty state in ${arch.accessFlags.default} only; accessFlags: '${accessFlags}' is not an option there`,
    );
  }
  if (accessFlags !== 'hardware' && accessFlags !== 'software')
    throw new KernelError(`accessFlags must be 'hardware' or 'software', not ${String(accessFlags)}`);
  const fileSystem = options.fileSystem ?? 'ext4';
  if (fileSystem !== 'ext4' && fileSystem !== 'tmpfs')
    throw new KernelError(`fileSystem must be 'ext4' or 'tmpfs', not ${String(fileSystem)}`);
  const thp = options.transparentHugepage ?? 'never';
  if (thp !== 'never' && thp !== 'always')
    throw new KernelError(`transparentHugepage must be 'never' or 'always', not ${String(thp)}`);
  if (thp === 'always' && arch.name === 'x86-32')
    throw new KernelError(
      "transparentHugepage: 'always' needs a PMD level of its own: Linux builds THP on x86-32 only with PAE, and the simulated x86-32 uses 2-level paging",
    );
  const swapSlots = options.swapSlots ?? frameCount;
  // Linux derives these from min_free_kbytes; the ratios (low = 5/4 min,
  // high = 3/2 min) are those of __setup_per_zone_wmarks.
  const min = Math.max(4, Math.floor(frameCount / 64));

  const zeroPagePfn = frames.allocate();
  memory.zeroFrame(zeroPagePfn);
  frames.set(zeroPagePfn, PageFlag.Reserved);

  // ARM64: reserved_pg_dir, the empty table TTBR0 holds when no user
  // address space may be reached, in the frame just below swapper_pg_dir
  // (the kernel finds it as TTBR1 - RESERVED_SWAPPER_OFFSET).
  const reservedPgd = arch.kernelHalfInUserRoot ? null : tables.allocateTable(null);
  const initPgd = tables.allocateTable(null);
  if (reservedPgd !== null && reservedPgd !== initPgd - 1)
    throw new KernelError(`boot: reserved_pg_dir (frame ${reservedPgd}) is not just below swapper_pg_dir`);
  const s = withHookApis({
    arch,
    layout,
    va: addressCodec(layout.format),
    linux,
    memory,
    frames,
    tables,
    cpus: [],
    tasks: new Map(),
    reaped: new Map(),
    mms: new Map(),
    initMm: new Mm(0, initPgd, 0, 0),
    kernelTables: new Set(reservedPgd === null ? [initPgd] : [reservedPgd, initPgd]),
    hooks,
    pcid,
    accessFlags,
    fileSystem,
    exceptionTable: new Map(),
    files: new Map(),
    pipes: new Map(),
    rmap: new ReverseMap(frameCount),
    lru,
    swap: swapSlots > 0 ? new SwapDevice(swapSlots + 1) : null,
    swapCache: new Map(),
    watermarks: { min, low: Math.floor((min * 5) / 4), high: Math.floor((min * 3) / 2) },
    stats: { swapOuts: 0, swapIns: 0, pagesScanned: 0, kswapdRuns: 0, directReclaims: 0, oomKills: 0 },
    zeroPagePfn,
    thp,
    hugeZeroPfn: -1,
    hugePmds: new Map(),
    kswapdWoken: false,
    nextPid: 0,
    nextMmId: 1,
    kmallocs: new Map(),
    vmallocs: new Map(),
    vmallocNext: layout.vmallocFirst ?? layout.vmallocStart,
    fileOfPage: new Map(),
    asidsInUse: new Set([0]),
    listeners: [],
    listener: null,
    inFault: null,
    copyFaults: null,
  });
  buildDirectMap(s);
  if (vmallocSync(s) === 'preallocated') preallocateVmallocTables(s);
  registerUaccessFixups(s);

  // From here on, page tables are allocated like any page: reclaiming
  // first when memory is short.
  tables.allocateFrame = () => {
    let pfn = frames.allocate();
    if (pfn < 0) {
      directReclaim(s);
      pfn = frames.allocate();
    }
    return pfn;
  };

  const cpuCount = options.cpus ?? 1;
  if (!Number.isInteger(cpuCount) || cpuCount < 1 || cpuCount > 64)
    throw new RangeError('cpus must be 1..64');
  const idle = addTask(s, 'swapper', 'idle', null, { parent: 0 });
  idle.activeMm = s.initMm;
  for (let id = 0; id < cpuCount; id++) {
    const mmu = new Mmu({
      format: layout.format,
      memory,
      tlb: options.tlb === undefined ? { entries: 64, ways: 4 } : options.tlb,
      cpu: id,
      control: {
        ...arch.bootControl(initPgd * PAGE),
        hardwareAccessed: accessFlags === 'hardware',
        hardwareDirty: accessFlags === 'hardware',
      },
    });
    s.cpus.push({ id, mmu, current: idle, loadedMm: s.initMm });
  }
  spawn(s, 'init', ROOT_UID);
  kthread(s, 'kthreadd');
  return s;
}

/** Maps all of physical memory at PAGE_OFFSET, with huge pages where they fit. */
function buildDirectMap(s: KernelState): void {
  const { tables, initMm } = s;
  const hugeLevel = tables.levels - 2;
  const hugeSpan = tables.span(hugeLevel);
  const bytes = s.memory.size;
  for (let pa = 0; pa < bytes; ) {
    const va = s.layout.directMapStart + pa;
    if (pa % hugeSpan === 0 && pa + hugeSpan <= bytes) {
      const entry = tables.entryAddress(initMm.pgdPfn, va, { level: hugeLevel, create: initMm });
      tables.writeAt(entry!, s.arch.pte.makeHuge(pa / PAGE, KERNEL_DATA));
      pa += hugeSpan;
    } else {
      const entry = tables.entryAddress(initMm.pgdPfn, va, { create: initMm });
      tables.writeAt(entry!, s.arch.pte.make(pa / PAGE, KERNEL_DATA));
      pa += PAGE;
    }
  }
  adoptKernelTables(s);
}

/**
 * x86-64, RISC-V since 6.5 (preallocate_pgd_pages_range): the vmalloc
 * area's top-level entries exist from boot, so every mm shares its tables.
 */
function preallocateVmallocTables(s: KernelState): void {
  for (let va = s.layout.vmallocStart; va < s.layout.vmallocEnd; va += s.tables.span(0)) {
    s.tables.entryAddress(s.initMm.pgdPfn, va, { level: 1, create: s.initMm });
  }
  adoptKernelTables(s);
}

/** Table pages just created for init_mm belong to the kernel half, which every mm shares. */
export function adoptKernelTables(s: KernelState): void {
  for (const pfn of s.initMm.tablePages) s.kernelTables.add(pfn);
  s.initMm.tablePages.clear();
}
