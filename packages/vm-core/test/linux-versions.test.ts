// The Linux version knob, and the behaviours that differ by release:
// reclaim's references (5.9) and x86-32's vmalloc page-directory sync (5.8).
import { describe, expect, test } from 'vitest';
import {
  DEFAULT_LINUX_VERSION,
  Kernel,
  KernelError,
  type KernelHooks,
  LINUX_CHANGES,
  type LinuxVersion,
  linuxAtLeast,
  PageFlag,
  parseLinuxVersion,
  type ReclaimCandidate,
  referenceReclaimDecision,
} from '../src/kernel/index.ts';
import { checkInvariants } from '../src/kernel/invariants.ts';

const PAGE = 4096;
const RW = { read: true, write: true, exec: false };

describe('the version knob', () => {
  test('defaults to 6.1, the kernel the conformance suite compares with', () => {
    expect(DEFAULT_LINUX_VERSION).toBe('6.1');
    expect(new Kernel({ frames: 64 }).linux).toBe('6.1');
    expect(new Kernel({ frames: 64, linux: '5.4' }).linux).toBe('5.4');
  });

  test('compares releases as numbers: 5.10 comes after 5.9', () => {
    expect(linuxAtLeast('5.10', '5.9')).toBe(true);
    expect(linuxAtLeast('5.9', '5.10')).toBe(false);
    expect(linuxAtLeast('6.1', '5.9')).toBe(true);
    expect(linuxAtLeast('5.8', '5.9')).toBe(false);
    expect(linuxAtLeast('5.9', '5.9')).toBe(true);
  });

  test('garbage is a KernelError that says what a version looks like', () => {
    for (const bad of ['6', 'six.one', '6.1-rc3', '', ' 6.1', 6.1]) {
      expect(() => new Kernel({ frames: 64, linux: bad as LinuxVersion })).toThrow(KernelError);
    }
    expect(() => parseLinuxVersion('latest')).toThrow('write it as "major.minor", such as "6.1" or "5.4"');
    expect(() => parseLinuxVersion('6.1.55')).toThrow('as "major.minor" (6.1)');
    expect(() => parseLinuxVersion('2.6')).toThrow('older than the kernel modelled here');
    expect(parseLinuxVersion('05.04')).toBe('5.4');
  });

  test('every modelled change names the release and the commit that made it', () => {
    expect(LINUX_CHANGES.map((c) => c.since)).toEqual(['5.0', '5.8', '5.9', '5.11', '5.19', '6.0', '6.5']);
    for (const c of LINUX_CHANGES)
      expect(c.commits.every((commit) => /^[0-9a-f]{12} \(/.test(commit))).toBe(true);
  });
});

/** `pages` anonymous pages, each written once, on a machine without a TLB (every access sets the accessed bit). */
function written(linux: LinuxVersion, pages: number, hooks: Partial<KernelHooks> = {}) {
  const kernel = new Kernel({ frames: 128, tlb: null, linux, hooks });
  const pid = kernel.spawn('app').pid;
  const r = kernel.mmap(pid, { length: pages * PAGE, prot: RW });
  if (r.kind !== 'ok') throw new Error(r.errno);
  const va = (i: number) => r.address + i * PAGE;
  for (let i = 0; i < pages; i++) kernel.access(pid, va(i), 'write', i + 1);
  const pfn = (i: number) => {
    const pte = kernel.api.hooks.walkPageTable(kernel.task(pid).mm!.id, BigInt(va(i)));
    if (pte.kind !== 'present') throw new Error(`page ${i} is ${pte.kind}`);
    return pte.pfn;
  };
  return { kernel, pid, va, pfn };
}

describe('reclaim looks twice at a mapped page since 5.9 (folio_check_references)', () => {
  test('the two versions visibly differ: activated at once on 5.8; kept with PG_referenced, activated on the second reference on 6.1', () => {
    /** The reference policy, with a log of what it decided for which page. */
    const logged = () => {
      const log: string[] = [];
      const reclaimDecision: KernelHooks['reclaimDecision'] = (k, page) => {
        const decision = referenceReclaimDecision(k, page);
        log.push(`${page.pfn} ${decision}`);
        return decision;
      };
      return { log, hooks: { reclaimDecision } };
    };
    const oldLog = logged();
    const nowLog = logged();
    const old = written('5.8', 4, oldLog.hooks);
    const now = written('6.1', 4, nowLog.hooks);
    const frames = (k: typeof old) => [0, 1, 2, 3].map((i) => k.pfn(i));
    const oldPfns = frames(old);
    const nowPfns = frames(now);
    // Each page has been referenced once; one reclaim takes page 0 on both kernels.
    expect(old.kernel.reclaim(1)).toBe(1);
    expect(now.kernel.reclaim(1)).toBe(1);
    for (const k of [old, now])
      expect(k.kernel.api.hooks.walkPageTable(k.kernel.task(k.pid).mm!.id, BigInt(k.va(0))).kind).toBe(
        'swap',
      );
    // 5.8: a referenced anonymous page goes straight to the active list at its first look.
    expect(oldLog.log.slice(0, 4)).toEqual(oldPfns.map((p) => `${p} activate`));
    for (const i of [1, 2, 3]) expect(old.kernel.frames.has(old.pfn(i), PageFlag.Referenced)).toBe(false);
    // 6.1: seen referenced once, each stays on the inactive list, marked for its next trip;
    // on the second trip the first one, not referenced again, is reclaimed.
    expect(nowLog.log).toEqual([...nowPfns.map((p) => `${p} keep`), `${nowPfns[0]} reclaim`]);
    for (const i of [1, 2, 3]) {
      expect(now.kernel.lru.isActive(now.pfn(i))).toBe(false);
      expect(now.kernel.frames.has(now.pfn(i), PageFlag.Referenced)).toBe(true);
    }
    // A second reference: now it is activated; the pages not used again are reclaimed.
    now.kernel.access(now.pid, now.va(1), 'read');
    expect(now.kernel.reclaimCandidate(now.pfn(1))).toEqual({
      pfn: now.pfn(1),
      referenced: true,
      dirty: true,
      referencedPtes: 1,
      pageReferenced: true,
      anon: true,
      exec: false,
      linux: '6.1',
    });
    nowLog.log.length = 0;
    expect(now.kernel.reclaim(1)).toBe(1);
    expect(nowLog.log).toEqual([`${nowPfns[1]} activate`, `${nowPfns[2]} reclaim`]);
    expect(now.kernel.lru.isActive(now.pfn(1))).toBe(true);
    expect(now.kernel.access(now.pid, now.va(2), 'read')).toMatchObject({ kind: 'ok', value: 3 });
    expect(checkInvariants(old.kernel)).toEqual([]);
    expect(checkInvariants(now.kernel)).toEqual([]);
  });

  test('the kernel keeps PG_referenced as Linux does, whatever the installed policy answers', () => {
    const seen: ReclaimCandidate[] = [];
    const keepAll: KernelHooks['reclaimDecision'] = (_k, page) => {
      seen.push(page);
      return 'keep';
    };
    for (const linux of ['5.8', '6.1'] as const) {
      seen.length = 0;
      const { kernel, pfn } = written(linux, 1, { reclaimDecision: keepAll });
      expect(kernel.reclaim(1)).toBe(0);
      // First look: referenced, flag clear. Second look: the accessed bit was cleared by the first.
      expect(seen[0]).toMatchObject({ referencedPtes: 1, pageReferenced: false, anon: true, linux });
      expect(seen[1]).toMatchObject({ referencedPtes: 0, pageReferenced: linux === '6.1' });
      // Before 5.9 an anonymous page left folio_check_references before the flag was set.
      expect(kernel.frames.has(pfn(0), PageFlag.Referenced)).toBe(false);
    }
  });

  test('a page referenced through two PTEs is activated at the first look, on either version', () => {
    for (const linux of ['5.8', '6.1'] as const) {
      const { kernel, pid, va, pfn } = written(linux, 1);
      const child = kernel.fork(pid).pid;
      kernel.access(pid, va(0), 'read');
      kernel.access(child, va(0), 'read');
      const page = kernel.reclaimCandidate(pfn(0));
      expect(page).toMatchObject({ referencedPtes: 2, pageReferenced: false });
      expect(referenceReclaimDecision(kernel.api, page)).toBe('activate');
    }
  });

  test('file pages look twice on both versions, and an executable one is activated after first use', () => {
    for (const linux of ['5.8', '6.1'] as const) {
      const kernel = new Kernel({ frames: 128, tlb: null, linux });
      const pid = kernel.spawn('app').pid;
      kernel.createFile('lib.so', new Array(2 * PAGE).fill(7));
      const code = kernel.mmap(pid, {
        length: PAGE,
        prot: { read: true, write: false, exec: true },
        file: 'lib.so',
      });
      const data = kernel.mmap(pid, { length: PAGE, prot: RW, file: 'lib.so', offset: PAGE, shared: true });
      if (code.kind !== 'ok' || data.kind !== 'ok') throw new Error('mmap');
      expect(kernel.access(pid, code.address, 'exec')).toMatchObject({ kind: 'ok' });
      expect(kernel.access(pid, data.address, 'read')).toMatchObject({ kind: 'ok', value: 7 });
      const mm = kernel.task(pid).mm!.id;
      const pfnAt = (va: number) => {
        const pte = kernel.api.hooks.walkPageTable(mm, BigInt(va));
        return pte.kind === 'present' ? pte.pfn : -1;
      };
      const exec = kernel.reclaimCandidate(pfnAt(code.address));
      const plain = kernel.reclaimCandidate(pfnAt(data.address));
      expect(exec).toMatchObject({ anon: false, exec: true, referencedPtes: 1 });
      expect(plain).toMatchObject({ anon: false, exec: false, referencedPtes: 1 });
      expect(referenceReclaimDecision(kernel.api, exec)).toBe('activate');
      expect(referenceReclaimDecision(kernel.api, plain)).toBe('keep');
    }
  });

  test('an executable anonymous page: activated at once on 5.8 (it is anonymous), kept on 6.1 (VM_EXEC counts for file pages only)', () => {
    const decide = (linux: LinuxVersion) => {
      const kernel = new Kernel({ frames: 128, tlb: null, linux });
      const pid = kernel.spawn('jit').pid;
      const r = kernel.mmap(pid, { length: PAGE, prot: { read: true, write: true, exec: true } });
      if (r.kind !== 'ok') throw new Error(r.errno);
      kernel.access(pid, r.address, 'write', 0xc3);
      const pte = kernel.api.hooks.walkPageTable(kernel.task(pid).mm!.id, BigInt(r.address));
      if (pte.kind !== 'present') throw new Error('not mapped');
      const page = kernel.reclaimCandidate(pte.pfn);
      expect(page).toMatchObject({ anon: true, exec: true });
      return referenceReclaimDecision(kernel.api, page);
    };
    expect(decide('5.8')).toBe('activate');
    expect(decide('6.1')).toBe('keep');
  });

  test('an unreferenced page is reclaimed on both versions; reclaimCandidate refuses a pfn beyond memory', () => {
    for (const linux of ['5.8', '6.1'] as const) {
      const { kernel, pfn } = written(linux, 1);
      const page = { ...kernel.reclaimCandidate(pfn(0)), referenced: false, referencedPtes: 0 };
      expect(referenceReclaimDecision(kernel.api, page)).toBe('reclaim');
      expect(() => kernel.reclaimCandidate(100000)).toThrow(KernelError);
    }
  });
});

describe('x86-32 vmalloc: lazily synced before 5.8, synced as it maps since (arch_sync_kernel_mappings)', () => {
  test('on 6.1 a process touching fresh vmalloc space takes no fault: the sync happened at vmalloc time', () => {
    const kernel = new Kernel({ arch: 'x86-32', frames: 512 });
    const pid = kernel.spawn('app').pid;
    const v = kernel.vmalloc(2 * PAGE)!;
    kernel.switchTo(0, pid);
    expect(kernel.kernelAccess(0, v, 'write', { value: 5 })).toMatchObject({ kind: 'ok', faults: [] });
    expect(kernel.kernelAccess(0, v + PAGE, 'read')).toMatchObject({ kind: 'ok', faults: [] });
    // A kernel thread running on app's tables lazily sees it too.
    kernel.switchTo(0, 2);
    expect(kernel.kernelAccess(0, v, 'read')).toMatchObject({ kind: 'ok', value: 5, faults: [] });
    expect(checkInvariants(kernel)).toEqual([]);
  });

  test('the same steps on 5.7 fault once per page directory, with the same data', () => {
    const kernel = new Kernel({ arch: 'x86-32', frames: 512, linux: '5.7' });
    const pid = kernel.spawn('app').pid;
    const v = kernel.vmalloc(2 * PAGE)!;
    kernel.switchTo(0, pid);
    const first = kernel.kernelAccess(0, v, 'write', { value: 5 });
    expect(first.faults.map((f) => f.resolution)).toEqual(['vmalloc-sync']);
    expect(kernel.kernelAccess(0, v, 'read')).toMatchObject({ kind: 'ok', value: 5, faults: [] });
  });

  test('on 6.1 the vmallocFault hook is not needed: an empty one changes nothing', () => {
    const kernel = new Kernel({ arch: 'x86-32', frames: 256, hooks: { vmallocFault: () => false } });
    const pid = kernel.spawn('app').pid;
    const v = kernel.vmalloc(PAGE)!;
    kernel.switchTo(0, pid);
    expect(kernel.kernelAccess(0, v, 'read')).toMatchObject({ kind: 'ok', faults: [] });
  });

  test('x86-64 preallocates the upper levels on every version: no fault either way', () => {
    for (const linux of ['5.7', '6.1'] as const) {
      const kernel = new Kernel({ frames: 256, linux });
      const pid = kernel.spawn('app').pid;
      const v = kernel.vmalloc(PAGE)!;
      kernel.switchTo(0, pid);
      expect(kernel.kernelAccess(0, v, 'read')).toMatchObject({ kind: 'ok', faults: [] });
    }
  });
});
