// Property: software that invalidates after every PTE change always sees the
// page tables' truth, on every architecture, and no TLB entry ever grants more
// than the entry in memory.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { Access, arm64, type PagingFormat, Privilege, riscvSv39, x86_64 } from '../src/index.ts';
import { machine } from './machine.ts';

interface Rights {
  pfn: number;
  writable: boolean;
  user: boolean;
  executable: boolean;
}

const pages = [0x1000, 0x2000, 0x20_0000, 0x40_0000_0000 % 2 ** 38, -0x1000, -0x20_0000];

const op = fc.oneof(
  fc.record({
    kind: fc.constant('map' as const),
    page: fc.nat(pages.length - 1),
    pfn: fc.integer({ min: 100, max: 200 }),
    writable: fc.boolean(),
    user: fc.boolean(),
    executable: fc.boolean(),
  }),
  fc.record({ kind: fc.constant('unmap' as const), page: fc.nat(pages.length - 1) }),
  fc.record({
    kind: fc.constant('access' as const),
    page: fc.nat(pages.length - 1),
    offset: fc.nat(4095),
    access: fc.constantFrom(Access.Read, Access.Write, Access.Execute),
    privilege: fc.constantFrom(Privilege.User, Privilege.Supervisor),
  }),
);

function expected(r: Rights | undefined, access: Access, privilege: Privilege): boolean {
  if (r === undefined) return false;
  // Linux's defaults: SMAP/SMEP (x86), SUM = 0 (RISC-V), PAN = 1 (ARM64): the
  // kernel touches no user page outside a uaccess window.
  if (r.user !== (privilege === Privilege.User)) return false;
  if (access === Access.Write) return r.writable;
  if (access === Access.Execute) return r.executable;
  return true;
}

describe.each<[string, PagingFormat]>([
  ['x86-64', x86_64],
  ['riscv-sv39', riscvSv39],
  ['arm64', arm64],
])('%s', (_name, format) => {
  test('translations agree with a model of the tables, and the TLB never exceeds the tables', () => {
    fc.assert(
      // size: 'max' — without it fast-check keeps the array to about ten
      // operations whatever maxLength says, too few to fill both ways of a
      // TLB set and then change one of the pages.
      fc.property(fc.array(op, { maxLength: 60, size: 'max' }), (ops) => {
        const { mmu, editor, root } = machine(format, { frames: 256, tlb: { entries: 4, ways: 2 } });
        mmu.setControl({ rootHigh: root });
        const model = new Map<number, Rights>();
        for (const o of ops) {
          const va = pages[o.page]!;
          switch (o.kind) {
            case 'map': {
              const r = { pfn: o.pfn, writable: o.writable, user: o.user, executable: o.executable };
              editor.map(root, va, { ...r, accessed: true });
              model.set(va, r);
              mmu.invalidatePage(va);
              break;
            }
            case 'unmap':
              editor.unmap(root, va);
              model.delete(va);
              mmu.invalidatePage(va);
              break;
            case 'access': {
              const result = mmu.translate(va + o.offset, o.access, o.privilege);
              const r = model.get(va);
              const allowed = expected(r, o.access, o.privilege);
              expect(typeof result === 'number').toBe(allowed);
              if (allowed) expect(result).toBe(r!.pfn * 4096 + o.offset);
              break;
            }
          }
          for (const entry of mmu.tlb!.snapshot()) {
            const va = entry.pageVa;
            const truth = mmu.inspect(va, Access.Read, Privilege.Supervisor);
            const walked = truth.steps.at(-1)?.entry;
            expect(walked?.kind).toBe('leaf');
            expect(walked?.pfn).toBe(entry.framePa / 4096);
          }
        }
      }),
      { numRuns: 150 },
    );
  });
});
