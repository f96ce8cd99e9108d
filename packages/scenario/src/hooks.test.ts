import { checkInvariants, KernelError, type KernelHooks, referenceHooks } from '@faultline/vm-core';
import { describe, expect, test } from 'vitest';
import { ScenarioError } from './errors.ts';
import { emptyHooks, HOOK_NAMES, HookFileError, HookTable, isHookName } from './hooks.ts';
import { ScenarioSession } from './session.ts';

const RW = { read: true, write: true, exec: false };
/** An unreferenced, clean anonymous page, as reclaim would describe it. */
const CANDIDATE = {
  pfn: 1,
  referenced: false,
  dirty: false,
  referencedPtes: 0,
  pageReferenced: false,
  anon: true,
  exec: false,
  linux: '6.1',
} as const;
const PAGE = 4096;

function mapped(s: ScenarioSession, pid: number, pages = 1) {
  const r = s.mmap(pid, { length: pages * PAGE, prot: RW });
  if (r.kind !== 'ok') throw new Error(`mmap: ${r.errno}`);
  return r.address;
}

describe('the hook table', () => {
  test('knows every hook the kernel has, in the kernel’s order', () => {
    expect(HOOK_NAMES).toEqual(Object.keys(referenceHooks));
    expect(Object.keys(emptyHooks).sort()).toEqual([...HOOK_NAMES].sort());
    expect(isHookName('cowBreak')).toBe(true);
    expect(isHookName('toString')).toBe(false);
  });

  test('starts from the reference hooks with the given ones in place, and swaps one at a time', () => {
    const mine: KernelHooks['cowBreak'] = () => ({ kind: 'oom' });
    const table = new HookTable({ cowBreak: mine });
    expect(table.installed('cowBreak')).toBe(mine);
    expect(table.installed('pageFault')).toBe(referenceHooks.pageFault);
    table.use('cowBreak', table.resolve('cowBreak', 'reference'));
    expect(table.installed('cowBreak')).toBe(referenceHooks.cowBreak);
    table.use('cowBreak', table.resolve('cowBreak', 'empty'));
    expect(table.installed('cowBreak')).toBe(emptyHooks.cowBreak);
    table.restore('cowBreak');
    expect(table.installed('cowBreak')).toBe(mine);
  });

  test('observers see each call, which implementation ran and what it answered, until they stop', () => {
    const failing: KernelHooks['cowBreak'] = () => {
      throw new Error('nope');
    };
    const table = new HookTable({ cowBreak: failing });
    const seen: string[] = [];
    const stop = table.observe((c) =>
      seen.push(
        `${c.phase} ${c.hook} ${c.impl}${c.phase === 'return' ? ` ${JSON.stringify(c.result)}` : ''}${c.phase === 'throw' ? ` ${(c.error as Error).message}` : ''}`,
      ),
    );
    const k = {} as never;
    table.use('reclaimDecision', table.resolve('reclaimDecision', 'empty'));
    expect(table.switchboard.reclaimDecision(k, CANDIDATE)).toBe('keep');
    expect(() => table.switchboard.cowBreak(k, {} as never, 1)).toThrow('nope');
    stop();
    table.switchboard.reclaimDecision(k, CANDIDATE);
    expect(seen).toEqual([
      'call reclaimDecision empty',
      'return reclaimDecision empty "keep"',
      'call cowBreak other',
      'throw cowBreak other nope',
    ]);
  });

  test('a file hook needs a resolver, and the file must export that hook', () => {
    expect(() => new HookTable().resolve('cowBreak', { file: 'mine.ts' })).toThrow(
      new ScenarioError(
        'the cowBreak hook from "mine.ts": this runner loads no hook files (only "reference" and "empty")',
      ),
    );
    const table = new HookTable({}, () => ({ anonymousFault: referenceHooks.anonymousFault }));
    expect(() => table.resolve('cowBreak', { file: 'mine.ts' })).toThrow(
      '"mine.ts" does not export cowBreak, so it cannot replace that hook',
    );
  });

  test('a failing hook from a file is named with its file; the kernel’s own refusals pass through it', () => {
    const s = new ScenarioSession({
      machine: { frames: 128 },
      resolveHookFile: (file) => ({
        anonymousFault: () => {
          throw new Error(`boom in ${file}`);
        },
      }),
    });
    s.useHook('anonymousFault', { file: 'broken.ts' });
    const pid = s.spawn('app').pid;
    const addr = mapped(s, pid);
    let caught: unknown;
    try {
      s.access(pid, addr, 'write', { value: 1 });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(HookFileError);
    expect((caught as Error).message).toBe(
      'the anonymousFault hook from "broken.ts" failed: boom in broken.ts',
    );
    expect((caught as Error).cause).toEqual(new Error('boom in broken.ts'));
  });
});

describe('empty hooks do nothing, and the kernel shows what that costs', () => {
  test('fault hooks map nothing: the access faults again until the kernel gives up', () => {
    for (const name of ['pageFault', 'anonymousFault'] as const) {
      const s = new ScenarioSession({ machine: { frames: 128 } });
      s.useHook(name, 'empty');
      const pid = s.spawn('app').pid;
      const addr = mapped(s, pid);
      expect(() => s.access(pid, addr, 'read')).toThrow(KernelError);
      expect(() => s.access(pid, addr, 'read')).toThrow(/keeps recurring/);
    }
  });

  test('cowBreak: a write to a COW page is never made writable', () => {
    const s = new ScenarioSession({ machine: { frames: 128 } });
    const pid = s.spawn('app').pid;
    const addr = mapped(s, pid);
    s.access(pid, addr, 'write', { value: 1 });
    s.fork(pid);
    s.useHook('cowBreak', 'empty');
    expect(() => s.access(pid, addr, 'write', { value: 2 })).toThrow(/keeps recurring/);
  });

  test('copy hooks copy nothing and say so: every byte not copied, -EFAULT', () => {
    const s = new ScenarioSession({ machine: { frames: 128 } });
    s.useHook('copyFromUser', 'empty');
    s.useHook('copyToUser', 'empty');
    const pid = s.spawn('app').pid;
    const addr = mapped(s, pid);
    s.access(pid, addr, 'write', { value: 7 });
    expect(s.copyFromUser(pid, addr, 4)).toMatchObject({ notCopied: 4, errno: 'EFAULT', oops: null });
    expect(s.copyToUser(pid, addr, [1, 2])).toMatchObject({ notCopied: 2, errno: 'EFAULT' });
    expect(s.access(pid, addr, 'read')).toMatchObject({ kind: 'ok', value: 7 });
  });

  test('exceptionFixup finds no fixup: a uaccess fault oopses instead of returning -EFAULT', () => {
    const s = new ScenarioSession({ machine: { frames: 128 } });
    const pid = s.spawn('app').pid;
    expect(s.copyFromUser(pid, 0x5000_0000, 8)).toMatchObject({ errno: 'EFAULT', oops: null });
    s.useHook('exceptionFixup', 'empty');
    const pid2 = s.spawn('app2').pid;
    expect(s.copyFromUser(pid2, 0x5000_0000, 8).oops).toContain('BUG: unable to handle page fault');
  });

  test('vmallocFault syncs nothing: on x86-32 before 5.8 the first kernel access to new vmalloc memory oopses', () => {
    const s = new ScenarioSession({ machine: { arch: 'x86-32', frames: 128, linux: '5.7' } });
    s.useHook('vmallocFault', 'empty');
    const pid = s.spawn('app').pid;
    const va = s.vmalloc(PAGE)!;
    expect(s.kernelAccess(va, 'read', { pid })).toMatchObject({ kind: 'oops' });
  });

  test('reclaimDecision keeps every page: reclaim frees nothing', () => {
    const s = new ScenarioSession({ machine: { frames: 128 } });
    const pid = s.spawn('app').pid;
    const addr = mapped(s, pid, 8);
    for (let i = 0; i < 8; i++) s.access(pid, addr + i * PAGE, 'write', { value: 1 });
    s.useHook('reclaimDecision', 'empty');
    expect(s.reclaim(4)).toBe(0);
    s.useHook('reclaimDecision', 'reference');
    expect(s.reclaim(4)).toBe(4);
  });

  test('flushTlbPage invalidates nothing: the other CPU keeps writing through a stale entry', () => {
    const run = (flush: 'reference' | 'empty') => {
      const s = new ScenarioSession({ machine: { frames: 128, cpus: 2 } });
      s.useHook('flushTlbPage', flush);
      const main = s.spawn('main', 0).pid;
      const worker = s.thread(main, 'worker').pid;
      s.switchTo(1, worker);
      const addr = mapped(s, main);
      s.access(main, addr, 'write', { value: 1, cpu: 0 });
      s.access(worker, addr, 'write', { value: 2, cpu: 1 });
      s.mprotect(main, addr, PAGE, { read: true, write: false, exec: false });
      return s.access(worker, addr, 'write', { value: 3, cpu: 1 }).kind;
    };
    expect(run('reference')).toBe('signal');
    expect(run('empty')).toBe('ok');
  });

  test('walkPageTable finds no PTE: the kernel’s own readers see nothing mapped', () => {
    const s = new ScenarioSession({ machine: { frames: 128 } });
    const pid = s.spawn('app').pid;
    const addr = mapped(s, pid);
    s.access(pid, addr, 'write', { value: 1 });
    const mm = s.kernel.task(pid).mm!.id;
    expect(s.kernel.api.hooks.walkPageTable(mm, BigInt(addr))).toMatchObject({ kind: 'present' });
    s.useHook('walkPageTable', 'empty');
    expect(s.kernel.api.hooks.walkPageTable(mm, BigInt(addr))).toEqual({ kind: 'none' });
    // The snapshot reads the tables itself, with no hook.
    expect(s.page(pid, addr).pte).toMatchObject({ kind: 'present' });
  });

  test('swapIn reads nothing back: a swapped-out page faults again until the kernel gives up', () => {
    const s = new ScenarioSession({ machine: { frames: 128 } });
    const pid = s.spawn('app').pid;
    const addr = mapped(s, pid);
    s.access(pid, addr, 'write', { value: 1 });
    s.reclaim(1);
    s.reclaim(1);
    expect(s.page(pid, addr).pte.kind).toBe('swap');
    s.useHook('swapIn', 'empty');
    expect(() => s.access(pid, addr, 'read')).toThrow(/keeps recurring/);
  });

  test('going back to the reference hook mid-run leaves the kernel consistent', () => {
    const s = new ScenarioSession({ machine: { frames: 128 } });
    const pid = s.spawn('app').pid;
    const addr = mapped(s, pid, 2);
    s.useHook('anonymousFault', 'empty');
    expect(() => s.access(pid, addr, 'write', { value: 1 })).toThrow(/keeps recurring/);
    s.useHook('anonymousFault', 'reference');
    expect(s.access(pid, addr + PAGE, 'write', { value: 1 }).faults.map((f) => f.resolution)).toEqual([
      'demand-zero',
    ]);
    expect(checkInvariants(s.kernel)).toEqual([]);
  });
});
