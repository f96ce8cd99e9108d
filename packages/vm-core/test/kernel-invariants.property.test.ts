// Property: whatever a program does — map, touch, fork, protect, unmap, copy,
// exit — on every architecture, the kernel's invariants hold after every
// step, the user-access window is closed between steps, and when every
// process is gone every frame is back.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { KERNEL_ARCHES, Kernel, type KernelArch, type KernelOptions } from '../src/kernel/index.ts';
import { checkInvariants } from '../src/kernel/invariants.ts';
import { expectUserAccessClosed } from './user-access.ts';

const slot = fc.nat(3);
const offset = fc.nat(4 * 4096 - 1);
// Weighted towards what finds bugs: writes before and after forks.
const op = fc.oneof(
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('mmap' as const),
      slot,
      writable: fc.boolean(),
      shared: fc.boolean(),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('munmap' as const), slot }) },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('mprotect' as const), slot, writable: fc.boolean() }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('read' as const), slot, offset, proc: fc.nat(3) }) },
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant('write' as const),
      slot,
      offset,
      proc: fc.nat(3),
      value: fc.nat(255),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('fork' as const), proc: fc.nat(3) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('exit' as const), proc: fc.nat(3) }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('copy' as const),
      slot,
      offset,
      proc: fc.nat(3),
      toUser: fc.boolean(),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('switch' as const), proc: fc.nat(3), cpu: fc.nat(1) }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('reclaim' as const), pages: fc.integer({ min: 1, max: 16 }) }),
  },
);

// The machines, by architecture: a Record, so that an architecture added to
// KERNEL_ARCHES cannot be left out. "Tight memory" (80 frames): pages go to
// swap and come back, kswapd and direct reclaim run.
const MACHINES: Readonly<Record<KernelArch, readonly (readonly [string, KernelOptions])[]>> = {
  'x86-64': [
    ['PCID', { pcid: true }],
    ['no PCID', { pcid: false }],
    ['PCID, tight memory', { pcid: true, frames: 80 }],
  ],
  'x86-32': [['no PCID', { pcid: false }]],
  // Svade (the default): A/D faults on top; with and without ASIDs.
  'riscv-sv39': [
    ['ASIDs', { pcid: true }],
    ['no ASIDs', { pcid: false }],
    ['ASIDs, tight memory', { pcid: true, frames: 80 }],
  ],
  // The user-access story: LDTR/STTR with PAN set, PAN cleared around the
  // copy, the reserved TTBR0; and the access flag in software.
  arm64: [
    ['6.1', {}],
    ['6.1, software access flag', { accessFlags: 'software' }],
    ['5.10, PAN cleared around copies', { linux: '5.10' }],
    ['6.1, SW PAN', { pan: 'software' }],
    ['6.1, tight memory', { frames: 80 }],
  ],
};

describe.each(
  KERNEL_ARCHES.flatMap((arch) => MACHINES[arch].map(([name, options]) => [arch, name, options] as const)),
)('%s, %s', (arch, _name, options) => {
  test('invariants hold after every step; exit returns every frame and swap slot', () => {
    fc.assert(
      // size: 'max' — without it fast-check keeps the array within about ten
      // operations of minLength, whatever maxLength says.
      fc.property(fc.array(op, { minLength: 10, maxLength: 60, size: 'max' }), (ops) => {
        const kernel = new Kernel({ arch, frames: 384, cpus: 2, tlb: { entries: 8, ways: 2 }, ...options });
        // migration/N: a kernel thread per CPU, which only ever runs there.
        const stoppers = kernel.cpus.map((cpu) => kernel.kthread(`migration/${cpu.id}`).pid);
        const baseline = kernel.frames.free;
        const base = 0x1000_0000;
        const start = () => {
          const pid = kernel.spawn('app').pid;
          for (let i = 0; i < 4; i++) {
            kernel.mmap(pid, {
              address: base + i * 4 * 4096,
              length: 4 * 4096,
              fixed: true,
              prot: { read: true, write: true, exec: false },
            });
          }
          return pid;
        };
        let procs = [start()];
        // A well-behaved program mostly touches what it mapped; one access in
        // eight is allowed to be wild, to exercise the signal path too.
        let wild = 0;
        const allowed = (pid: number, va: number, write: boolean) => {
          const vma = kernel.task(pid).mm!.vmas.containing(va);
          if (vma !== null && (!write || (vma.flags & 2) !== 0)) return true;
          return ++wild % 8 === 0;
        };
        for (const o of ops) {
          procs = procs.filter((p) => kernel.task(p).alive);
          if (procs.length === 0) procs = [start()];
          const alive = procs;
          const pid = alive[('proc' in o ? o.proc : 0) % alive.length]!;
          const addr = 'slot' in o ? base + o.slot * 4 * 4096 : 0;
          switch (o.kind) {
            case 'mmap':
              kernel.mmap(pid, {
                address: addr,
                length: 4 * 4096,
                fixed: true,
                shared: o.shared,
                prot: { read: true, write: o.writable, exec: false },
              });
              break;
            case 'munmap':
              kernel.munmap(pid, addr, 4 * 4096);
              break;
            case 'mprotect':
              kernel.mprotect(pid, addr, 4 * 4096, { read: true, write: o.writable, exec: false });
              break;
            case 'read':
              if (allowed(pid, addr + o.offset, false)) kernel.access(pid, addr + o.offset, 'read');
              break;
            case 'write':
              if (allowed(pid, addr + o.offset, true)) kernel.access(pid, addr + o.offset, 'write', o.value);
              break;
            case 'fork':
              procs.push(kernel.fork(pid).pid);
              break;
            case 'exit':
              kernel.exit(pid);
              break;
            case 'copy':
              if (o.toUser) kernel.copyToUser(pid, addr + o.offset, Array(64).fill(o.offset & 0xff));
              else kernel.copyFromUser(pid, addr + o.offset, 64);
              break;
            case 'switch': {
              // A task runs on one CPU at a time: moving it to the other CPU
              // hands its old one to that CPU's stopper. Tasks that move are
              // what leave one mm's TLB entries on both CPUs, for a flush
              // that forgets one of them to leave stale.
              const other = kernel.cpus[1 - o.cpu]!;
              if (other.current.pid === pid) kernel.switchTo(other.id, stoppers[other.id]!);
              kernel.switchTo(o.cpu, pid);
              break;
            }
            case 'reclaim':
              kernel.reclaim(o.pages);
              break;
          }
          kernel.runKswapd();
          expect(checkInvariants(kernel)).toEqual([]);
          expectUserAccessClosed(kernel, options);
        }
        for (const task of kernel.tasks.values()) if (task.kind === 'user') kernel.exit(task.pid);
        expect(checkInvariants(kernel)).toEqual([]);
        // Everything is back, init's page directory included.
        expect(kernel.frames.free).toBe(baseline + 1);
        expect(kernel.swap!.inUse).toBe(0);
      }),
      { numRuns: 25 },
    );
  });
});

describe('the invariant checker catches real bugs', () => {
  test('a forgotten TLB flush after a downgrade', () => {
    const kernel = new Kernel({ frames: 256 });
    const pid = kernel.spawn('app').pid;
    const r = kernel.mmap(pid, { length: 4096, prot: { read: true, write: true, exec: false } });
    if (r.kind !== 'ok') throw new Error('mmap');
    kernel.access(pid, r.address, 'write', 1);
    const mm = kernel.task(pid).mm!;
    const pa = kernel.tables.entryAddress(mm.pgdPfn, r.address)!;
    kernel.tables.writeAt(pa, kernel.tables.readAt(pa) & ~2n); // clear R/W behind the TLB's back
    expect(checkInvariants(kernel).join('\n')).toContain('grants more than its PTE does now');
  });

  test('a leaked page reference', () => {
    const kernel = new Kernel({ frames: 256 });
    const pid = kernel.spawn('app').pid;
    const r = kernel.mmap(pid, { length: 4096, prot: { read: true, write: true, exec: false } });
    if (r.kind !== 'ok') throw new Error('mmap');
    kernel.access(pid, r.address, 'write', 1);
    const pte = kernel.api.hooks.walkPageTable(kernel.task(pid).mm!.id, BigInt(r.address));
    if (pte.kind !== 'present') throw new Error('not mapped');
    kernel.frames.refcount[pte.pfn]!++;
    expect(checkInvariants(kernel).join('\n')).toContain('refcount is 2 but it has 1 mappings');
  });
});
