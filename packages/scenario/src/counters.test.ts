import { referenceHooks } from '@faultline/vm-core';
import { describe, expect, test } from 'vitest';
import { COUNTER_NAMES, counterDelta, countText, isCounterName, zeroCounters } from './counters.ts';
import { parseScenarioText } from './parse.ts';
import { runScenario } from './run.ts';
import { ScenarioSession } from './session.ts';

const RW = { read: true, write: true, exec: false };
const RO = { read: true, write: false, exec: false };
const PAGE = 4096;

function mapped(s: ScenarioSession, pid: number, pages = 1) {
  const r = s.mmap(pid, { length: pages * PAGE, prot: RW });
  if (r.kind !== 'ok') throw new Error(`mmap: ${r.errno}`);
  return r.address;
}

/** Two threads of one process, each running on its own CPU, sharing one written page. */
function twoCpus(cpus = 2) {
  const s = new ScenarioSession({ machine: { frames: 128, cpus } });
  const main = s.spawn('main', 0).pid;
  const worker = s.thread(main, 'worker').pid;
  s.switchTo(1, worker);
  const addr = mapped(s, main);
  s.access(main, addr, 'write', { value: 1, cpu: 0 });
  s.access(worker, addr, 'read', { cpu: 1 });
  return { s, main, worker, addr };
}

describe('counters', () => {
  test('names and nouns', () => {
    expect(COUNTER_NAMES).toContain('shootdownIpis');
    expect(isCounterName('swapOuts')).toBe(true);
    expect(isCounterName('nope')).toBe(false);
    expect(countText('shootdownIpis', 1)).toBe('1 shootdown IPI');
    expect(countText('swapOuts', 3)).toBe('3 pages written to swap');
    const one = { ...zeroCounters(), faults: 5, swapIns: 1 };
    expect(counterDelta(one, zeroCounters())).toEqual(one);
  });

  test('a downgrade of a page two CPUs cache: two single-page invalidations, one of them an IPI', () => {
    const { s, main, addr } = twoCpus();
    const cost = s.measure(() => s.mprotect(main, addr, PAGE, RO));
    expect(cost).toMatchObject({ tlbFlushPage: 2, shootdownIpis: 1, faults: 0, framesAllocated: 0 });
  });

  test('the same downgrade from the other CPU: the IPI goes the other way, still one', () => {
    const { s, worker, addr } = twoCpus();
    expect(s.measure(() => s.mprotect(worker, addr, PAGE, RO)).shootdownIpis).toBe(1);
  });

  test('a flush that interrupts every CPU, not just those in mm_cpumask, costs more IPIs', () => {
    const { s, main, addr } = twoCpus(4);
    expect(s.measure(() => s.mprotect(main, addr, PAGE, RO)).shootdownIpis).toBe(1);
    s.useHook('flushTlbPage', (k, { mm, address }) => {
      for (const cpu of [0, 1, 2, 3]) k.invalidateTlbEntry(cpu, mm, address);
    });
    expect(
      s.measure(() => s.mprotect(main, addr, PAGE, { read: false, write: false, exec: false })),
    ).toMatchObject({
      shootdownIpis: 3,
      tlbFlushPage: 4,
    });
  });

  test('one CPU: no IPIs at all', () => {
    const s = new ScenarioSession({ machine: { frames: 128 } });
    const pid = s.spawn('app').pid;
    const addr = mapped(s, pid);
    s.access(pid, addr, 'write', { value: 1 });
    expect(s.measure(() => s.mprotect(pid, addr, PAGE, RO))).toMatchObject({
      tlbFlushPage: 1,
      shootdownIpis: 0,
    });
  });

  test('demand paging: one fault and one frame per written page, none for a read of the zero page', () => {
    const s = new ScenarioSession({ machine: { frames: 128 } });
    const pid = s.spawn('app').pid;
    const addr = mapped(s, pid, 3);
    expect(s.measure(() => s.access(pid, addr, 'read'))).toMatchObject({ faults: 1, framesAllocated: 0 });
    const writes = s.measure(() => {
      s.access(pid, addr + PAGE, 'write', { value: 1 });
      s.access(pid, addr + 2 * PAGE, 'write', { value: 1 });
    });
    expect(writes).toMatchObject({ faults: 2, framesAllocated: 2 });
  });

  test('COW: a copy allocates a frame, a reuse does not', () => {
    const s = new ScenarioSession({ machine: { frames: 128 } });
    const pid = s.spawn('app').pid;
    const addr = mapped(s, pid);
    s.access(pid, addr, 'write', { value: 1 });
    const child = s.fork(pid).pid;
    expect(s.measure(() => s.access(child, addr, 'write', { value: 2 }))).toMatchObject({
      faults: 1,
      framesAllocated: 1,
    });
    expect(s.measure(() => s.access(pid, addr, 'write', { value: 3 }))).toMatchObject({
      faults: 1,
      framesAllocated: 0,
    });
    // A COW break that always copies gets the right bytes at the price of a frame.
    s.useHook('cowBreak', (k, f, pfn) => {
      k.getPage(pfn);
      const copy = k.allocPage();
      k.copyPage(pfn, copy);
      k.replacePage(f.mm!, f.address, copy, { writable: true, exec: false, dirty: true });
      k.putPage(pfn);
      return { kind: 'resolved', resolution: 'cow-copy' };
    });
    const grandchild = s.fork(pid).pid;
    s.exit(grandchild);
    expect(s.measure(() => s.access(pid, addr, 'write', { value: 4 })).framesAllocated).toBe(1);
    s.useHook('cowBreak', referenceHooks.cowBreak);
  });

  test('swap: dirty pages are written once, clean ones dropped, and reads back are counted', () => {
    const s = new ScenarioSession({ machine: { frames: 128 } });
    const pid = s.spawn('app').pid;
    const addr = mapped(s, pid, 4);
    for (let i = 0; i < 4; i++) s.access(pid, addr + i * PAGE, 'write', { value: i });
    // The first pass gives every referenced page its second chance; the second takes them.
    const out = s.measure(() => {
      while (s.page(pid, addr).pte.kind !== 'swap') s.reclaim(1);
    });
    expect(out.swapOuts).toBeGreaterThan(0);
    expect(out.swapOuts).toBe(s.kernel.stats.swapOuts);
    const back = s.measure(() => s.access(pid, addr, 'read'));
    expect(back).toMatchObject({ swapIns: 1, framesAllocated: 1, faults: 1 });
  });

  test('without PCIDs every switch to another mm is a non-global flush; with them, none', () => {
    for (const pcid of [false, true]) {
      const s = new ScenarioSession({ machine: { frames: 128, pcid } });
      const a = s.spawn('a').pid;
      const b = s.spawn('b').pid;
      s.switchTo(0, a);
      const cost = s.measure(() => {
        s.switchTo(0, b);
        s.switchTo(0, a);
      });
      expect(cost.tlbFlushNonGlobal).toBe(pcid ? 0 : 2);
    }
  });

  test('counters count from boot, and reading them changes nothing', () => {
    const s = new ScenarioSession({ machine: { frames: 128 } });
    expect(s.counters()).toEqual(zeroCounters());
    const pid = s.spawn('app').pid;
    s.access(pid, mapped(s, pid), 'write', { value: 1 });
    expect(s.counters()).toEqual(s.counters());
    expect(s.counters().faults).toBe(1);
  });
});

describe('a step’s cpu is where it runs', () => {
  const threeCpus = `
cpus: 3
frames: 128
steps:
  - spawn: { name: main, cpu: 0 }
  - thread: { task: main, name: worker }
  - switch: { task: worker, cpu: 1 }
  - mmap: { task: main, length: 4096, prot: rw-, as: buf }
  - write: { task: main, addr: buf, value: 1 }
  - read: { task: worker, addr: buf }
`;
  const ipis = (yaml: string) => runScenario(parseScenarioText(yaml, 'yaml')).counters.shootdownIpis;

  test('an mprotect on a third CPU: both CPUs caching the page are remote', () => {
    expect(
      ipis(`${threeCpus}  - mprotect: { task: main, addr: buf, length: 4096, prot: r--, cpu: 2 }\n`),
    ).toBe(2);
    expect(ipis(`${threeCpus}  - mprotect: { task: main, addr: buf, length: 4096, prot: r-- }\n`)).toBe(1);
  });

  test('munmap and touch run on the CPU they name; the task migrates there', () => {
    expect(ipis(`${threeCpus}  - munmap: { task: main, addr: buf, length: 4096, cpu: 2 }\n`)).toBe(2);
    const r = runScenario(
      parseScenarioText(
        `${threeCpus}  - touch: { task: main, addr: buf, length: 4096, cpu: 2 }\n  - mprotect: { task: main, addr: buf, length: 4096, prot: r-- }\n`,
        'yaml',
      ),
    );
    expect(r.steps[6]!.cpu).toBe(2);
    // main now runs on CPU 2; CPU 0 (idle, its tables still loaded) and CPU 1 are remote.
    expect(r.counters.shootdownIpis).toBe(2);
  });

  test('a session operation on a CPU the machine lacks is the kernel’s error', () => {
    const s = new ScenarioSession({ machine: { frames: 128, cpus: 2 } });
    const pid = s.spawn('app').pid;
    expect(() => s.mmap(pid, { length: PAGE, prot: RW }, { cpu: 5 })).toThrow(/no cpu 5/);
    expect(() => s.kmalloc(16, { cpu: 5 })).toThrow(/no cpu 5/);
  });
});
