// Multi-byte accesses that cross a page boundary: the instruction completes
// only when both pages translate, and a fault on the second reports that
// page's first byte (checked against Debian's 6.1 by the conformance cases
// straddling-accesses and straddling-accesses-handled on x86-64).
import { describe, expect, test } from 'vitest';
import { KERNEL_ARCHES, Kernel } from '../src/kernel/index.ts';

const PAGE = 4096;
const RW = { read: true, write: true, exec: false };

function twoPages(arch: (typeof KERNEL_ARCHES)[number] = 'x86-64') {
  const kernel = new Kernel({ arch, frames: 512 });
  const pid = kernel.spawn('app').pid;
  const r = kernel.mmap(pid, { length: 2 * PAGE, prot: RW });
  if (r.kind !== 'ok') throw new Error(r.errno);
  return { kernel, pid, buf: r.address };
}

describe('a load or store straddling two pages', () => {
  test.each(KERNEL_ARCHES)('%s: stored and read back little-endian across the boundary', (arch) => {
    const { kernel, pid, buf } = twoPages(arch);
    const at = buf + PAGE - 3;
    expect(kernel.accessSized(pid, at, 'write', 8, 0x1122_3344_5566_7788n).kind).toBe('ok');
    expect(kernel.accessSized(pid, at, 'read', 8)).toMatchObject({
      kind: 'ok',
      value: 0x1122_3344_5566_7788n,
    });
    // The first three bytes went to the first page, the rest to the second.
    expect(kernel.access(pid, buf + PAGE - 1, 'read')).toMatchObject({ value: 0x66 });
    expect(kernel.access(pid, buf + PAGE, 'read')).toMatchObject({ value: 0x55 });
  });

  test.each(KERNEL_ARCHES)(
    '%s: the second page unmapped: si_addr is its first byte, not the access’s',
    (arch) => {
      const { kernel, pid, buf } = twoPages(arch);
      kernel.munmap(pid, buf + PAGE, PAGE);
      const out = kernel.accessSized(pid, buf + PAGE - 4, 'read', 8);
      expect(out).toMatchObject({
        kind: 'signal',
        signal: { code: 'SEGV_MAPERR', address: BigInt(buf + PAGE) },
      });
    },
  );

  test('the first page unmapped: si_addr is the access’s own address', () => {
    const { kernel, pid, buf } = twoPages();
    kernel.munmap(pid, buf, PAGE);
    const out = kernel.accessSized(pid, buf + PAGE - 4, 'write', 8, 1n);
    expect(out).toMatchObject({ kind: 'signal', signal: { address: BigInt(buf + PAGE - 4) } });
  });

  test('a store whose second page is read-only writes neither half', () => {
    const { kernel, pid, buf } = twoPages();
    kernel.accessSized(pid, buf + PAGE - 4, 'write', 8, 0x1111_1111_1111_1111n);
    kernel.mprotect(pid, buf + PAGE, PAGE, { read: true, write: false, exec: false });
    kernel.sigaction(pid, 'SIGSEGV', { handler: 'handler', nodefer: false, resetHand: false });
    const out = kernel.accessSized(pid, buf + PAGE - 4, 'write', 8, 0xffff_ffff_ffff_ffffn);
    expect(out).toMatchObject({
      kind: 'signal',
      disposition: 'handler',
      signal: { address: BigInt(buf + PAGE) },
    });
    kernel.siglongjmp(pid);
    expect(kernel.accessSized(pid, buf + PAGE - 4, 'read', 8)).toMatchObject({
      value: 0x1111_1111_1111_1111n,
    });
  });

  test('an access within one page takes one translation and one fault at most', () => {
    const { kernel, pid, buf } = twoPages();
    const out = kernel.accessSized(pid, buf + 8, 'write', 8, 5n);
    expect(out.kind === 'ok' && out.faults.map((f) => f.resolution)).toEqual(['demand-zero']);
  });
});
