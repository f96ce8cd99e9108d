import { describe, expect, test } from 'vitest';
import { CaseError, caseArchs, loadCases, parseCase } from './case-file.ts';
import { programOf } from './program.ts';

const failure = (id: string, text: string): string => {
  try {
    parseCase(id, text);
  } catch (error) {
    if (error instanceof CaseError) return error.message;
    throw error;
  }
  throw new Error('the case parsed');
};

describe('a conformance case file', () => {
  test('is a scenario with a title and, for Linux, the uid its tasks run as', () => {
    const c = parseCase(
      'nobody-maps-low',
      `title: t\nlinux: { uid: 65534 }\nsteps:\n  - spawn: { name: a }\n  - mmap: { task: a, addr: 0x1000, length: 4096, prot: rw-, flags: [fixed] }\n`,
    );
    expect(c.linux).toEqual({ uid: 65534 });
    expect(c.scenario.steps.map((s) => s.kind)).toEqual(['spawn', 'mmap']);
    expect(parseCase('root', 'title: t\nsteps:\n  - spawn: { name: a }\n').linux).toEqual({ uid: 0 });
  });

  test('runs on x86-64 alone unless its archs list arm64 too; no other architecture has a Linux probe', () => {
    expect(caseArchs(parseCase('x', 'title: t\nsteps:\n  - spawn: { name: a }\n'))).toEqual(['x86-64']);
    expect(
      caseArchs(parseCase('b', 'title: t\narchs: [x86-64, arm64]\nsteps:\n  - spawn: { name: a }\n')),
    ).toEqual(['x86-64', 'arm64']);
    expect(failure('r', 'title: t\narchs: [x86-64, riscv-sv39]\nsteps:\n  - spawn: { name: a }\n')).toBe(
      'case r: field "archs": the Linux probe runs on x86-64 and arm64, not riscv-sv39',
    );
    expect(failure('r', 'title: t\narch: x86-32\nsteps:\n  - spawn: { name: a }\n')).toBe(
      'case r: field "arch": the Linux probe runs on x86-64 and arm64, not x86-32',
    );
  });

  test('refuses what a user program cannot do on Linux, and says what it can', () => {
    expect(failure('k', 'title: t\nsteps:\n  - kmalloc: { bytes: 64 }\n')).toMatch(
      /step 1 \(kmalloc\) is not something a user program does; cases use spawn, fork/,
    );
    expect(failure('k', 'title: t\ncpus: 2\nsteps:\n  - spawn: { name: a }\n')).toMatch(/field "cpus"/);
    expect(failure('k', 'title: t\nsteps:\n  - spawn: { name: a }\n  - fork: { task: a }\n')).toMatch(
      /names its child/,
    );
    expect(
      failure('k', 'title: t\nsteps:\n  - spawn: { name: a }\n  - read: { task: 1, addr: 0 }\n'),
    ).toMatch(/names tasks, not pids/);
  });

  test('refuses a bad uid, a missing title, a bad id and broken YAML with the file named', () => {
    expect(failure('u', 'title: t\nlinux: { uid: 5 }\nsteps:\n  - spawn: { name: a }\n')).toMatch(
      /^case u: field "linux"/,
    );
    expect(failure('v', 'title: t\nlinux: "5.8"\nsteps:\n  - spawn: { name: a }\n')).toMatch(
      /^case v: field "linux": in a conformance case it holds the Linux run's preconditions/,
    );
    expect(failure('t', 'steps:\n  - spawn: { name: a }\n')).toMatch(/give it a title/);
    expect(failure('Bad_Id', 'title: t\nsteps: []\n')).toMatch(/lower-case words/);
    expect(failure('y', 'title: [\n')).toMatch(/^case y: not valid YAML/);
  });
});

describe('the program the Linux probe runs', () => {
  test('keeps address expressions for the probe to resolve, and writes numbers as 64-bit hex', () => {
    const c = parseCase(
      'p',
      `title: t
watch: { pages: [{ task: a, addr: buf }] }
steps:
  - file: { name: f, text: "hi" }
  - spawn: { name: a }
  - mmap: { task: a, length: 8192, prot: rw-, flags: [shared], file: f, as: buf }
  - write: { task: a, addr: "buf + 0x10", value: 7 }
  - read: { task: a, addr: 0xffff888000010000 }
  - copy_to_user: { task: a, addr: buf, length: 16, fill: 0xaa }
  - fork: { task: a, name: b }
`,
    );
    expect(programOf(c)).toBe(
      [
        'case p',
        'uid 0',
        'watch a buf',
        'file f 6869',
        'spawn a',
        'mmap a - 8192 rw- shared f 0 buf',
        'write a buf+0x10 7',
        'read a 0xffff888000010000',
        'copy_to_user a buf 16',
        'fork a b',
        '',
      ].join('\n'),
    );
  });
});

test('every shipped case parses and turns into a program', () => {
  const cases = loadCases(new URL('../cases/', import.meta.url).pathname);
  expect(cases.length).toBeGreaterThanOrEqual(40);
  for (const c of cases) expect(programOf(c)).toMatch(new RegExp(`^case ${c.id}\\n`));
});
