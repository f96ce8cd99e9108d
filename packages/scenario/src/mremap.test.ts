// The mremap step: a moved area's pages are there without a fault; the
// flags as Linux takes them.
import { expect, test } from 'vitest';
import { byIndex, failure, run } from './yaml-test-support.ts';

const HEAD = `
steps:
  - spawn: { name: a }
  - mmap: { task: a, length: 4096, prot: rw-, as: buf }
  - mmap: { task: a, addr: "buf+4096", length: 4096, prot: r--, flags: [fixed], as: wall }
  - write: { task: a, addr: buf, value: 7 }
`;

test('a move carries the page: the read at the new address takes no fault, the old address is gone', () => {
  const r = run(`${HEAD}
  - mremap: { task: a, addr: buf, old_length: 4096, new_length: 8192, flags: [maymove], as: moved }
  - read: { task: a, addr: moved }
  - read: { task: a, addr: buf }
`);
  const moved = byIndex(r, 5);
  expect(moved.outcome).toMatchObject({ address: expect.stringMatching(/^0x/) });
  expect(moved.summary).toContain('moved with its page tables');
  expect(byIndex(r, 6).outcome).toEqual({ value: 7 });
  expect(byIndex(r, 6).faults).toEqual([]);
  expect(byIndex(r, 7).outcome).toMatchObject({ signal: 'SIGSEGV', code: 'SEGV_MAPERR' });
});

test('without maymove it cannot grow past its neighbour; a fixed move without maymove is EINVAL', () => {
  const r = run(`${HEAD}
  - mremap: { task: a, addr: buf, old_length: 4096, new_length: 8192 }
  - mremap: { task: a, addr: buf, old_length: 4096, new_length: 4096, flags: [fixed], new_addr: "buf+65536" }
`);
  expect(byIndex(r, 5).outcome).toEqual({ errno: 'ENOMEM' });
  expect(byIndex(r, 6).outcome).toEqual({ errno: 'EINVAL' });
});

test('a flag mremap does not have is refused, naming the ones it has', () => {
  expect(
    failure(`${HEAD}
  - mremap: { task: a, addr: buf, old_length: 4096, new_length: 4096, flags: [move] }
`),
  ).toMatch(/maymove.*fixed.*dontunmap/);
});
