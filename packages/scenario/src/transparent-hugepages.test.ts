// transparent_hugepage: always — the machine field, the resolutions a run
// shows, and what it refuses.
import { expect, test } from 'vitest';
import { byIndex, failure, run } from './yaml-test-support.ts';

const HEAD = `
transparent_hugepage: always
frames: 4096
steps:
  - spawn: { name: a }
  - mmap: { task: a, addr: 0x40000000, length: 0x400000, prot: rw-, flags: [fixed], as: buf }
`;

test('a write maps 2 MiB with one fault, a read the huge zero page; the next pages take none', () => {
  const r = run(`${HEAD}
  - write: { task: a, addr: buf, value: 1 }
  - write: { task: a, addr: "buf+0x1ff000", value: 2 }
  - read: { task: a, addr: "buf+0x200000" }
  - read: { task: a, addr: "buf+0x3ff000" }
  - write: { task: a, addr: "buf+0x201000", value: 3 }
`);
  expect(byIndex(r, 3).faults.map((f) => f.resolution)).toEqual(['huge-page']);
  expect(byIndex(r, 4).faults).toEqual([]);
  expect(byIndex(r, 5).faults.map((f) => f.resolution)).toEqual(['huge-zero-page']);
  expect(byIndex(r, 6).faults).toEqual([]);
  // The huge zero page is split, and one 4 KiB page copied.
  expect(byIndex(r, 7).faults.map((f) => f.resolution)).toEqual(['cow-copy']);
});

test('without the field (never), the same writes take a fault per page', () => {
  const r = run(HEAD.replace('transparent_hugepage: always\n', ''));
  expect(r.steps).toHaveLength(2);
  const again = run(`${HEAD.replace('transparent_hugepage: always\n', '')}
  - write: { task: a, addr: buf, value: 1 }
  - write: { task: a, addr: "buf+0x1000", value: 2 }
`);
  expect(byIndex(again, 3).faults.map((f) => f.resolution)).toEqual(['demand-zero']);
  expect(byIndex(again, 4).faults.map((f) => f.resolution)).toEqual(['demand-zero']);
});

test('a value the field cannot take names the two it can', () => {
  expect(failure(HEAD.replace('always', 'madvise'))).toMatch(
    /transparent_hugepage is "never" or "always" .*not "madvise"/,
  );
});

test("x86-32 refuses it with the kernel's reason", () => {
  expect(failure(`arch: x86-32\n${HEAD.replace('0x40000000', '0x10000000')}`)).toMatch(/PAE/);
});

test('a watched page says when a huge page maps it, and stops saying so once it is split', () => {
  const r = run(`
transparent_hugepage: always
frames: 4096
watch:
  pages: [{ task: a, addr: "buf+0x1000" }]
steps:
  - spawn: { name: a }
  - mmap: { task: a, addr: 0x40000000, length: 0x400000, prot: rw-, flags: [fixed], as: buf }
  - write: { task: a, addr: buf, value: 1 }
  - munmap: { task: a, addr: buf, length: 4096 }
`);
  expect(byIndex(r, 3).watch?.pages?.[0]).toMatchObject({ pte: 'present', huge: true });
  expect(byIndex(r, 4).watch?.pages?.[0]).toMatchObject({ pte: 'present' });
  expect(byIndex(r, 4).watch?.pages?.[0]).not.toHaveProperty('huge');
});
