/**
 * Kernel-layer benchmark: fork with copy-on-write of a 64 MiB address space,
 * one reclaim pass over 1 GiB of simulated memory, and a million steps of a
 * seeded random workload. Like the hardware benchmark, every figure is the
 * best of several timed rounds (after a warm-up) of a plain loop, and each
 * reports the heap bytes its hot loop allocates, so that a figure dominated
 * by allocation shows as such.
 *
 * `runKernelBenchmarks(arch)` is called by hw.bench.ts, which prints its
 * result under the `kernel` key of the final JSON line; `--arch riscv-sv39`
 * (or any KERNEL_ARCHES name) picks the machine, x86-64 by default.
 */
import { GCProfiler, getHeapStatistics } from 'node:v8';
import {
  type AccessOutcome,
  Kernel,
  type KernelArch,
  type Resolution,
  seededRandom,
  VmFlag,
} from '../src/index.ts';

const PAGE = 4096;
const RW = { read: true, write: true, exec: false } as const;
const RO = { read: true, write: false, exec: false } as const;

export interface KernelBenchResult {
  /** The architecture every kernel of the run boots (x86-64 unless `--arch` says otherwise). */
  readonly arch: KernelArch;
  readonly forkCow64MiB: {
    /** Present, dirty, private pages in the parent's mapping. */
    readonly pages: number;
    readonly forkMs: number;
    /** PTEs copied into the child's tables per second of fork(). */
    readonly forkCowPagesPerSec: number;
    readonly cowBreakMs: number;
    /** Copy-on-write breaks (a child write to each page, each a fault and a copy) per second. */
    readonly cowBreaksPerSec: number;
    readonly bytesAllocatedPerPage: { readonly fork: number; readonly cowBreak: number };
  };
  readonly reclaim1GiB: {
    readonly frames: number;
    /** Anonymous pages resident when the timed pass starts. */
    readonly residentPages: number;
    readonly target: number;
    readonly pagesFreed: number;
    readonly pagesScanned: number;
    readonly swapOuts: number;
    readonly reclaimMs: number;
    readonly reclaimPagesPerSec: number;
    readonly reclaimScannedPerSec: number;
    readonly bytesAllocatedPerScannedPage: number;
  };
  /** Speed, plus what the workload did (identical on every run: the workload is seeded). */
  readonly randomScenario1M: {
    readonly steps: number;
    readonly randomStepsPerSec: number;
    readonly bytesAllocatedPerStep: number;
  } & RandomRun;
  /** Wall time of the whole kernel benchmark, setup included. */
  readonly seconds: number;
}

// ───────────────────────── helpers ─────────────────────────

/** mulberry32 as raw 32-bit values: a step takes several fields from one draw. */
function rng(seed: number): () => number {
  const random = seededRandom(seed);
  return () => (random() * 4294967296) >>> 0;
}

function since(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e9;
}

/**
 * Heap bytes allocated between `start()` and `stop()`: the used_heap_size
 * delta (as hw.bench.ts measures it) plus what every collection in between
 * freed, which GCProfiler reports — so the figure stays right when the
 * measured loop allocates enough to trigger collections. Its cost is paid
 * per collection only, so it can run around timed code.
 */
class AllocationMeter {
  private profiler: GCProfiler | null = null;
  private before = 0;

  start(): void {
    this.profiler = new GCProfiler();
    this.profiler.start();
    this.before = getHeapStatistics().used_heap_size;
  }

  stop(): number {
    const after = getHeapStatistics().used_heap_size;
    const result = this.profiler!.stop();
    this.profiler = null;
    let freed = 0;
    for (const gc of result.statistics) {
      freed += gc.beforeGC.heapStatistics.usedHeapSize - gc.afterGC.heapStatistics.usedHeapSize;
    }
    return Math.max(0, after - this.before + freed);
  }
}

const perOp = (bytes: number, ops: number) => Number((bytes / ops).toFixed(1));
const rate = (ops: number, seconds: number) => Math.round(ops / seconds);
const ms = (seconds: number) => Number((seconds * 1000).toFixed(2));

function report(label: string, figure: string, detail: string): void {
  console.log(`${label.padEnd(34)} ${figure.padStart(8)}   (${detail})`);
}

function mapAnon(kernel: Kernel, pid: number, pages: number): number {
  const r = kernel.mmap(pid, { length: pages * PAGE, prot: RW });
  if (r.kind !== 'ok') throw new Error(`mmap of ${pages} pages: ${r.errno}`);
  return r.address;
}

/** Reads or writes one byte in each of `pages` pages from `base`; each access must succeed. */
function touchPages(kernel: Kernel, pid: number, base: number, pages: number, kind: 'read' | 'write'): void {
  for (let i = 0; i < pages; i++) {
    const out = kernel.access(pid, base + i * PAGE, kind, i);
    if (out.kind !== 'ok') throw new Error(`${kind} of page ${i} by pid ${pid}: ${out.kind}`);
  }
}

// ───────────────────────── fork + COW of 64 MiB ─────────────────────────

const FORK_PAGES = 16_384; // 64 MiB
const FORK_WARMUP_ROUNDS = 2;
const FORK_ROUNDS = 5;

function forkCow64MiB(arch: KernelArch): KernelBenchResult['forkCow64MiB'] {
  // Room for the parent, the child's copies and the tables, with no reclaim
  // and no swap: nothing but fork and the COW faults is measured.
  const kernel = new Kernel({ arch, frames: 3 * FORK_PAGES + 4096, cpus: 1, swapSlots: 0 });
  const parent = kernel.spawn('parent').pid;
  const base = mapAnon(kernel, parent, FORK_PAGES);
  const meter = new AllocationMeter();
  let bestFork = Number.POSITIVE_INFINITY;
  let bestCow = Number.POSITIVE_INFINITY;
  let forkBytes = 0;
  let cowBytes = 0;
  for (let round = 0; round < FORK_WARMUP_ROUNDS + FORK_ROUNDS; round++) {
    // Every page present, dirty and writable in the parent (after the first
    // round these writes are COW reuses: the last child has gone).
    touchPages(kernel, parent, base, FORK_PAGES, 'write');
    const timed = round >= FORK_WARMUP_ROUNDS;
    meter.start();
    let start = process.hrtime.bigint();
    const child = kernel.fork(parent).pid;
    const forkSeconds = since(start);
    const forkAllocated = meter.stop();
    const mm = kernel.task(child).mm!;
    if (mm.rss !== FORK_PAGES) throw new Error(`fork: child maps ${mm.rss} pages, not ${FORK_PAGES}`);
    meter.start();
    start = process.hrtime.bigint();
    touchPages(kernel, child, base, FORK_PAGES, 'write');
    const cowSeconds = since(start);
    const cowAllocated = meter.stop();
    kernel.exit(child);
    if (timed && forkSeconds < bestFork) {
      bestFork = forkSeconds;
      forkBytes = forkAllocated;
    }
    if (timed && cowSeconds < bestCow) {
      bestCow = cowSeconds;
      cowBytes = cowAllocated;
    }
  }
  if (kernel.stats.swapOuts !== 0 || kernel.stats.directReclaims !== 0)
    throw new Error('fork benchmark: unexpected memory pressure');
  const result = {
    pages: FORK_PAGES,
    forkMs: ms(bestFork),
    forkCowPagesPerSec: rate(FORK_PAGES, bestFork),
    cowBreakMs: ms(bestCow),
    cowBreaksPerSec: rate(FORK_PAGES, bestCow),
    bytesAllocatedPerPage: { fork: perOp(forkBytes, FORK_PAGES), cowBreak: perOp(cowBytes, FORK_PAGES) },
  };
  report(
    'fork() of 64 MiB (16384 PTEs)',
    `${result.forkMs.toFixed(1)} ms`,
    `${(result.forkCowPagesPerSec / 1e6).toFixed(2)} M pages/s, ${result.bytesAllocatedPerPage.fork} B/page`,
  );
  report(
    '  COW break of every page',
    `${result.cowBreakMs.toFixed(1)} ms`,
    `${(result.cowBreaksPerSec / 1e3).toFixed(1)} k breaks/s, ${result.bytesAllocatedPerPage.cowBreak} B/break`,
  );
  return result;
}

// ───────────────────────── reclaim over 1 GiB ─────────────────────────

const RECLAIM_FRAMES = 262_144; // 1 GiB
const RECLAIM_PROCESSES = 4;
const RECLAIM_PAGES_EACH = 60_000; // 240000 pages in all: ~92% of memory
const RECLAIM_TARGET = 65_536; // 256 MiB freed by the timed pass
const RECLAIM_HOT_EVERY = 4; // one page in four was used recently
const RECLAIM_ROUNDS = 3;

/**
 * Fills `kernel` with dirty anonymous memory as a long-running workload
 * leaves it: each process writes its pages, forks, and the parent exits, so
 * the survivor holds pages whose accessed bits are clear (the fork leaves the
 * child's PTEs old, as an earlier aging scan would have); it then reads one
 * page in RECLAIM_HOT_EVERY again, which the reclaim pass must give a second
 * chance. (Memory that was all written just now would make any pass first
 * give every one of its 240000 pages a second chance before freeing one.)
 * Returns the surviving pids.
 */
function fillForReclaim(kernel: Kernel, processes: number, pagesEach: number): number[] {
  const pids: number[] = [];
  for (let p = 0; p < processes; p++) {
    const writer = kernel.spawn('writer').pid;
    const cpu = p % kernel.cpus.length;
    kernel.switchTo(cpu, writer);
    const base = mapAnon(kernel, writer, pagesEach);
    touchPages(kernel, writer, base, pagesEach, 'write');
    const survivor = kernel.fork(writer).pid;
    kernel.exit(writer);
    kernel.switchTo(cpu, survivor);
    for (let i = 0; i < pagesEach; i += RECLAIM_HOT_EVERY) {
      if (kernel.access(survivor, base + i * PAGE, 'read').kind !== 'ok') throw new Error('hot read failed');
    }
    pids.push(survivor);
  }
  return pids;
}

interface ReclaimPass {
  readonly seconds: number;
  readonly freed: number;
  readonly scanned: number;
  readonly swapOuts: number;
  readonly allocated: number;
}

function reclaimPass(kernel: Kernel, pids: readonly number[], target: number, meter: AllocationMeter) {
  const scanned = kernel.stats.pagesScanned;
  const swapOuts = kernel.stats.swapOuts;
  meter.start();
  const start = process.hrtime.bigint();
  const freed = kernel.reclaim(target);
  const seconds = since(start);
  const allocated = meter.stop();
  const pass: ReclaimPass = {
    seconds,
    freed,
    scanned: kernel.stats.pagesScanned - scanned,
    swapOuts: kernel.stats.swapOuts - swapOuts,
    allocated,
  };
  for (const pid of pids) kernel.exit(pid);
  return pass;
}

function reclaim1GiB(arch: KernelArch): KernelBenchResult['reclaim1GiB'] {
  const meter = new AllocationMeter();
  // Warm-up: the same routine on a 64 MiB machine, so the timed passes run
  // optimised code without paying for another 1 GiB fill.
  const small = new Kernel({ arch, frames: 16_384, cpus: 2 });
  for (let round = 0; round < 2; round++) reclaimPass(small, fillForReclaim(small, 2, 6000), 4096, meter);

  // 256 MiB of swap, which the timed pass fills. Slots are handed out
  // round-robin, so with a larger device every round would write to slots
  // never used before, and time the host faulting in the simulated device's
  // untouched buffer rather than the kernel; this way rounds after the first
  // reuse the same slots.
  const kernel = new Kernel({ arch, frames: RECLAIM_FRAMES, cpus: 2, swapSlots: RECLAIM_TARGET });
  let best: ReclaimPass | null = null;
  let resident = 0;
  for (let round = 0; round < RECLAIM_ROUNDS; round++) {
    const pids = fillForReclaim(kernel, RECLAIM_PROCESSES, RECLAIM_PAGES_EACH);
    resident = kernel.lru.size;
    if (kernel.stats.directReclaims !== 0) throw new Error('reclaim benchmark: the fill itself reclaimed');
    const pass = reclaimPass(kernel, pids, RECLAIM_TARGET, meter);
    if (best === null || pass.seconds < best.seconds) best = pass;
  }
  const b = best!;
  const result = {
    frames: RECLAIM_FRAMES,
    residentPages: resident,
    target: RECLAIM_TARGET,
    pagesFreed: b.freed,
    pagesScanned: b.scanned,
    swapOuts: b.swapOuts,
    reclaimMs: ms(b.seconds),
    reclaimPagesPerSec: rate(b.freed, b.seconds),
    reclaimScannedPerSec: rate(b.scanned, b.seconds),
    bytesAllocatedPerScannedPage: perOp(b.allocated, b.scanned),
  };
  report(
    'reclaim pass, 1 GiB (freed)',
    `${(result.reclaimPagesPerSec / 1e3).toFixed(1)} k/s`,
    `${b.freed} freed of ${resident} resident, ${b.scanned} scanned in ${result.reclaimMs.toFixed(0)} ms, ` +
      `${result.bytesAllocatedPerScannedPage} B/scanned page`,
  );
  return result;
}

// ───────────────────────── a million random steps ─────────────────────────

const RANDOM_STEPS = 1_000_000;
const RANDOM_WARMUP_STEPS = 200_000;
const RANDOM_ROUNDS = 3;
const RANDOM_SEED = 0x5eed;
const MAX_PROCS = 6;
const SLOTS = 8;
const SLOT_PAGES = 16;
const SLOT_BYTES = SLOT_PAGES * PAGE;
/** Slot i is at REGION_BASE + 2 i SLOT_BYTES: a hole of one slot follows each, for wild accesses. */
const REGION_BASE = 0x1000_0000;
/** One disallowed access in WILD_EVERY is carried out anyway (and ends in SIGSEGV). */
const WILD_EVERY = 256;

// Step kinds, by cumulative weight out of 1024: mostly user reads and writes.
const W_READ = 484;
const W_WRITE = W_READ + 470;
const W_MMAP = W_WRITE + 1;
const W_MUNMAP = W_MMAP + 1;
const W_MPROTECT = W_MUNMAP + 2;
/** fork, or exit when MAX_PROCS are alive: the population stays near the bound. */
const W_FORK = W_MPROTECT + 2;
const W_EXIT = W_FORK + 1;
const W_COPY = W_EXIT + 4;
const W_SWITCH = W_COPY + 58;
// The remaining 1 in 1024: reclaim of 1..16 pages.

interface RandomRun {
  readonly userAccesses: number;
  readonly forks: number;
  readonly exits: number;
  readonly signals: number;
  readonly swapOuts: number;
  readonly swapIns: number;
  readonly faults: Partial<Record<Resolution, number>>;
}

/**
 * `steps` steps of a seeded workload on a small two-CPU machine with swap:
 * up to MAX_PROCS processes, each with SLOTS regions of SLOT_PAGES pages.
 * Accesses stay inside mapped regions and respect their rights, except for
 * an occasional wild one; processes fork and exit, and a new one starts when
 * all are gone. No step throws.
 */
function randomScenario(arch: KernelArch, steps: number): RandomRun {
  const kernel = new Kernel({ arch, frames: 2048, cpus: 2, swapSlots: 4096, tlb: { entries: 64, ways: 4 } });
  const next = rng(RANDOM_SEED);
  const faults: Partial<Record<Resolution, number>> = {};
  const procs = new Int32Array(MAX_PROCS);
  let live = 0;
  let current = 0; // index into procs of the process most accesses come from
  let wild = 0;
  let userAccesses = 0;
  let forks = 0;
  let exits = 0;
  let signals = 0;
  // migration/N: a kernel thread per CPU, which only ever runs there.
  const stoppers = kernel.cpus.map((cpu) => kernel.kthread(`migration/${cpu.id}`).pid);

  const count = (out: { readonly faults: AccessOutcome['faults'] }) => {
    const list = out.faults;
    for (let i = 0; i < list.length; i++) {
      const resolution = list[i]!.resolution;
      faults[resolution] = (faults[resolution] ?? 0) + 1;
    }
  };
  const remove = (index: number) => {
    procs[index] = procs[live - 1]!;
    live--;
    if (current >= live) current = 0;
  };
  /** Table pages come straight from the buddy allocator; keep some free before fork or spawn. */
  const reserve = () => {
    if (kernel.frames.free < 96) kernel.reclaim(96);
  };
  const start = () => {
    reserve();
    const pid = kernel.spawn('app').pid;
    for (let s = 0; s < SLOTS; s++) {
      kernel.mmap(pid, {
        address: REGION_BASE + 2 * s * SLOT_BYTES,
        length: SLOT_BYTES,
        fixed: true,
        prot: RW,
      });
    }
    procs[live++] = pid;
  };
  /** A live process (index into procs), dropping any that died (SIGSEGV, OOM kill) meanwhile. */
  const pick = (r: number): number => {
    for (;;) {
      if (live === 0) start();
      const index = r % live;
      if (kernel.task(procs[index]!).alive) return index;
      remove(index);
    }
  };
  /** May `pid` touch `va`? A disallowed access is let through once in WILD_EVERY. */
  const allowed = (pid: number, va: number, write: boolean) => {
    const vma = kernel.task(pid).mm!.vmas.containing(va);
    if (vma !== null && (!write || (vma.flags & VmFlag.Write) !== 0)) return true;
    return ++wild % WILD_EVERY === 0;
  };

  start();
  for (let step = 0; step < steps; step++) {
    const r = next();
    const kind = r & 1023;
    if (kind < W_WRITE) {
      // Seven accesses in eight come from the current process; regions and
      // pages are skewed towards the low ones (the min of two draws).
      const index = (r >>> 10) & 7 ? pick(current) : pick(r >>> 13);
      const pid = procs[index]!;
      const a = next();
      const s1 = a & (SLOTS - 1);
      const s2 = (a >>> 3) & (SLOTS - 1);
      const p1 = (a >>> 6) & (SLOT_PAGES - 1);
      const p2 = (a >>> 11) & (SLOT_PAGES - 1);
      // One address in 256 lands in the hole after the region.
      const page = (a >>> 16) & 255 ? Math.min(p1, p2) : SLOT_PAGES + p1;
      const va = REGION_BASE + 2 * Math.min(s1, s2) * SLOT_BYTES + page * PAGE + ((r >>> 16) & 0xfff);
      const write = kind >= W_READ;
      if (allowed(pid, va, write)) {
        const out = kernel.access(pid, va, write ? 'write' : 'read', step);
        userAccesses++;
        if (out.faults.length !== 0) count(out);
        if (out.kind === 'signal') signals++;
      }
    } else if (kind < W_MMAP) {
      const pid = procs[pick(r >>> 10)]!;
      const slot = (r >>> 16) & (SLOTS - 1);
      kernel.mmap(pid, {
        address: REGION_BASE + 2 * slot * SLOT_BYTES,
        length: SLOT_BYTES,
        fixed: true,
        shared: ((r >>> 19) & 3) === 0,
        prot: (r >>> 21) & 3 ? RW : RO,
      });
    } else if (kind < W_MUNMAP) {
      const pid = procs[pick(r >>> 10)]!;
      const slot = (r >>> 16) & (SLOTS - 1);
      kernel.munmap(pid, REGION_BASE + 2 * slot * SLOT_BYTES, SLOT_BYTES);
    } else if (kind < W_MPROTECT) {
      const pid = procs[pick(r >>> 10)]!;
      const slot = (r >>> 16) & (SLOTS - 1);
      kernel.mprotect(pid, REGION_BASE + 2 * slot * SLOT_BYTES, SLOT_BYTES, (r >>> 19) & 3 ? RW : RO);
    } else if (kind < W_EXIT) {
      const index = pick(r >>> 10);
      if (kind < W_FORK && live < MAX_PROCS) {
        reserve();
        procs[live++] = kernel.fork(procs[index]!).pid;
        forks++;
      } else {
        kernel.exit(procs[index]!);
        remove(index);
        exits++;
      }
    } else if (kind < W_COPY) {
      const pid = procs[pick(r >>> 10)]!;
      const slot = (r >>> 13) & (SLOTS - 1);
      const out = kernel.copyFromUser(
        pid,
        REGION_BASE + 2 * slot * SLOT_BYTES + ((r >>> 16) & (SLOT_BYTES / 4 - 1)) * 4,
        64,
      );
      if (out.faults.length !== 0) count(out);
    } else if (kind < W_SWITCH) {
      current = pick(r >>> 10);
      const pid = procs[current]!;
      const cpu = (r >>> 20) & 1;
      const other = kernel.cpus[1 - cpu]!;
      // A task runs on one CPU at a time: migrating it hands the other CPU to
      // its own kernel thread. (Not to the idle task: Kernel shares one idle
      // task between CPUs and takes its activeMm for the mm the CPU has
      // loaded, so a later switchTo could skip the CR3 load.)
      if (other.current.pid === pid) kernel.switchTo(other.id, stoppers[other.id]!);
      kernel.switchTo(cpu, pid);
    } else {
      kernel.reclaim(1 + ((r >>> 10) & 15));
    }
    kernel.runKswapd();
  }
  return {
    userAccesses,
    forks,
    exits,
    signals,
    swapOuts: kernel.stats.swapOuts,
    swapIns: kernel.stats.swapIns,
    faults,
  };
}

function randomScenario1M(arch: KernelArch): KernelBenchResult['randomScenario1M'] {
  const meter = new AllocationMeter();
  randomScenario(arch, RANDOM_WARMUP_STEPS);
  let bestSeconds = Number.POSITIVE_INFINITY;
  let bestBytes = 0;
  let run: RandomRun | null = null;
  for (let round = 0; round < RANDOM_ROUNDS; round++) {
    meter.start();
    const start = process.hrtime.bigint();
    const r = randomScenario(arch, RANDOM_STEPS);
    const seconds = since(start);
    const allocated = meter.stop();
    // Seeded: every round must do exactly the same work.
    if (run !== null && JSON.stringify(run) !== JSON.stringify(r))
      throw new Error('random scenario is not deterministic');
    run = r;
    if (seconds < bestSeconds) {
      bestSeconds = seconds;
      bestBytes = allocated;
    }
  }
  const result = {
    steps: RANDOM_STEPS,
    randomStepsPerSec: rate(RANDOM_STEPS, bestSeconds),
    bytesAllocatedPerStep: perOp(bestBytes, RANDOM_STEPS),
    ...run!,
  };
  const f = result.faults;
  report(
    'random scenario, 1M steps',
    `${(result.randomStepsPerSec / 1e3).toFixed(0)} k/s`,
    `${result.bytesAllocatedPerStep} B/step; ${f['demand-zero']} demand-zero, ${f['cow-copy']} cow-copy, ` +
      `${f['swap-in']} swap-in, ${result.signals} signals`,
  );
  return result;
}

// ───────────────────────── all of them ─────────────────────────

export function runKernelBenchmarks(arch: KernelArch = 'x86-64'): KernelBenchResult {
  const start = process.hrtime.bigint();
  return {
    arch,
    forkCow64MiB: forkCow64MiB(arch),
    reclaim1GiB: reclaim1GiB(arch),
    randomScenario1M: randomScenario1M(arch),
    seconds: Number(since(start).toFixed(1)),
  };
}
