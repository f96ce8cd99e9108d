// Scenario steps for system calls over user copies: pipe, readv/writev
// (read/write with one buffer) on pipes and files, process_vm_readv/writev.
import { describe, expect, test } from 'vitest';
import { byIndex, failure, run } from './yaml-test-support.ts';

const HEAD = `
steps:
  - spawn: { name: a }
  - mmap: { task: a, length: 12288, prot: rw-, as: buf }
  - munmap: { task: a, addr: "buf+8192", length: 4096 }
  - pipe: { name: p }
  - write: { task: a, addr: "buf+8000", value: 42 }
`;

describe('a pipe read into a buffer that runs into a hole', () => {
  const r = run(`${HEAD}
  - writev: { task: a, pipe: p, iov: [ { addr: "buf+8000", length: 100 } ] }
  - readv: { task: a, pipe: p, iov: [ { addr: "buf+8100", length: 200 } ] }
  - read: { task: a, addr: "buf+8100" }
  - readv: { task: a, pipe: p, iov: [ { addr: buf, length: 100 }, { addr: "buf+4096", length: 100 } ] }
`);

  test('-EFAULT, the mapped bytes written, and the data still there for the next read', () => {
    expect(byIndex(r, 6).outcome).toEqual({ bytes: 100 });
    expect(byIndex(r, 7).outcome).toEqual({ errno: 'EFAULT' });
    expect(byIndex(r, 7).summary).toContain('read(pipe p, ');
    expect(byIndex(r, 8).outcome).toEqual({ value: 42 });
    expect(byIndex(r, 9).outcome).toEqual({ bytes: 100 });
    expect(byIndex(r, 9).summary).toContain('readv(pipe p, ');
  });
});

test('a file read returns the count before the fault; process_vm_readv faults the target in', () => {
  const r = run(`${HEAD}
  - file: { name: f, text: "0123456789" }
  - readv: { task: a, file: f, offset: 2, iov: [ { addr: "buf+8186", length: 8 } ] }
  - spawn: { name: b }
  - mmap: { task: b, length: 4096, prot: rw-, as: other }
  - process_vm_readv: { task: a, target: b, local: [ { addr: buf, length: 16 } ], remote: [ { addr: other, length: 16 } ] }
`);
  expect(byIndex(r, 7).outcome).toEqual({ bytes: 6 });
  expect(byIndex(r, 10).outcome).toEqual({ bytes: 16 });
  expect(byIndex(r, 10).faults.map((f) => f.resolution)).toEqual(['zero-page', 'demand-zero']);
});

test('a pipe with an offset is refused, naming the fix', () => {
  expect(
    failure(`${HEAD}
  - readv: { task: a, pipe: p, offset: 3, iov: [ { addr: buf, length: 1 } ] }
`),
  ).toContain('"offset" goes with "file"');
});
