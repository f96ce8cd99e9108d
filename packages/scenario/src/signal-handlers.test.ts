// Handler steps in scenarios: what a SA_SIGINFO handler does (its steps),
// how it ends (return → retry, jump → a later mark), and the cases where
// Linux kills all the same (a blocked or ignored SIGSEGV, a fault inside a
// handler without SA_NODEFER).
import { describe, expect, test } from 'vitest';
import { byIndex, failure, run } from './yaml-test-support.ts';

const HEAD = `
steps:
  - spawn: { name: a }
  - mmap: { task: a, length: 8192, prot: r--, as: buf }
`;

describe('a handler that fixes the mapping and returns', () => {
  const r = run(`${HEAD}
  - sigaction:
      task: a
      signal: SIGSEGV
      handler: { do: [ { mprotect: { addr: buf, length: 4096, prot: rw- } } ], ends: return }
  - write: { task: a, addr: buf, value: 7 }
  - read: { task: a, addr: buf }
`);

  test('the store faults, the handler runs, and the retried store lands', () => {
    const write = byIndex(r, 4);
    expect(write.outcome).toMatchObject({
      handled: [
        {
          signal: 'SIGSEGV',
          code: 'SEGV_ACCERR',
          errorCode: '0x6',
          trapNo: 14,
          handler: [{ step: 'mprotect', errno: null }],
          end: 'sigreturn',
        },
      ],
    });
    expect(write.faults.map((f) => f.resolution)).toEqual(['signal', 'demand-zero']);
    expect(write.summary).toMatch(/the handler runs: mprotect .* → 0; it returns: the access is retried/);
    expect(byIndex(r, 5).outcome).toEqual({ value: 7 });
    expect(r.stopped).toBeNull();
  });
});

describe('a handler that jumps', () => {
  test('siglongjmp skips to the mark; the steps between do not run', () => {
    const r = run(`${HEAD}
  - sigaction: { task: a, signal: SIGSEGV, handler: { ends: { jump: recovered } } }
  - write: { task: a, addr: buf, value: 1 }
  - read: { task: a, addr: "buf+1" }
  - mark: { name: recovered }
  - read: { task: a, addr: buf }
`);
    expect(r.steps.map((s) => s.index)).toEqual([1, 2, 3, 4, 6, 7]);
    expect(byIndex(r, 4).outcome).toMatchObject({ jumped: 'recovered', handled: [{ end: 'siglongjmp' }] });
    expect(byIndex(r, 7).outcome).toEqual({ value: 0 });
  });

  test('a jump to a mark that comes earlier is refused, saying which way a jump goes', () => {
    expect(
      failure(`${HEAD}
  - mark: { name: back }
  - sigaction: { task: a, signal: SIGSEGV, handler: { ends: { jump: back } } }
  - write: { task: a, addr: buf, value: 1 }
`),
    ).toMatch(/not after the step that faulted/);
  });

  test('a jump to a mark no step defines is refused before the run', () => {
    expect(
      failure(`${HEAD}
  - sigaction: { task: a, signal: SIGSEGV, handler: { ends: { jump: nowhere } } }
`),
    ).toMatch(/no mark step has that name/);
  });
});

describe('when Linux kills all the same', () => {
  test('a fault inside the handler, SIGSEGV blocked there: killed, and the report says why', () => {
    const r = run(`${HEAD}
  - sigaction:
      task: a
      signal: SIGSEGV
      handler: { do: [ { write: { addr: "buf+4096", value: 1 } } ], ends: return }
  - write: { task: a, addr: buf, value: 1 }
`);
    const write = byIndex(r, 4);
    expect(write.outcome).toMatchObject({
      diedInHandler: true,
      handled: [{ end: 'died', handler: [{ step: 'write', signal: 'SIGSEGV', forced: true }] }],
    });
    expect(write.summary).toMatch(/SIGSEGV was blocked: .* force_sig_fault reset it to the default action/);
  });

  test('with SA_NODEFER the handler runs again, one level deeper, and both return', () => {
    const r = run(`${HEAD}
  - sigaction:
      task: a
      signal: SIGSEGV
      flags: [nodefer]
      handler:
        do:
          - mprotect: { addr: buf, length: 8192, prot: rw- }
          - write: { addr: "buf+4096", value: 2 }
        ends: return
  - write: { task: a, addr: buf, value: 1 }
  - read: { task: a, addr: "buf+4096" }
`);
    expect(byIndex(r, 4).outcome).toMatchObject({ handled: [{ end: 'sigreturn' }] });
    expect(byIndex(r, 5).outcome).toEqual({ value: 2 });
  });

  test('sigprocmask blocking SIGSEGV, or SIG_IGN: the fault kills', () => {
    for (const setup of [
      '  - sigprocmask: { task: a, how: block, signals: [SIGSEGV] }',
      '  - sigaction: { task: a, signal: SIGSEGV, handler: ignore }',
    ]) {
      const r = run(`${HEAD}${setup}\n  - write: { task: a, addr: buf, value: 1 }\n`);
      expect(byIndex(r, 4).outcome, setup).toMatchObject({ signal: 'SIGSEGV', forced: true });
    }
  });

  test('a handler that returns without fixing anything: the run stops, explaining the loop', () => {
    expect(
      failure(`${HEAD}
  - sigaction: { task: a, signal: SIGSEGV, handler: { ends: return } }
  - write: { task: a, addr: buf, value: 1 }
`),
    ).toMatch(/faulted 16 times, and each time the handler returned without fixing it/);
  });
});

describe('inheritance', () => {
  test('a fork’s child runs the inherited handler on itself', () => {
    const r = run(`${HEAD}
  - sigaction:
      task: a
      signal: SIGSEGV
      handler: { do: [ { mprotect: { addr: buf, length: 4096, prot: rw- } } ], ends: return }
  - fork: { task: a, name: b }
  - write: { task: b, addr: buf, value: 3 }
  - read: { task: a, addr: buf }
  - write: { task: a, addr: buf, value: 4 }
`);
    expect(byIndex(r, 5).outcome).toMatchObject({ handled: [{ end: 'sigreturn' }] });
    // The child's handler changed the child's mapping only: the parent's store still faults.
    expect(byIndex(r, 6).outcome).toEqual({ value: 0 });
    expect(byIndex(r, 7).outcome).toMatchObject({ handled: [{ end: 'sigreturn' }] });
  });

  test('execve resets the handler to the default', () => {
    const r = run(`
steps:
  - spawn: { name: a }
  - sigaction: { task: a, signal: SIGSEGV, handler: { ends: return } }
  - execve: { task: a }
  - write: { task: a, addr: 0x10000, value: 1 }
`);
    expect(byIndex(r, 4).outcome).toMatchObject({ signal: 'SIGSEGV', code: 'SEGV_MAPERR' });
    expect(byIndex(r, 4).outcome).not.toHaveProperty('forced');
  });
});

describe('what a file may say', () => {
  test('SIGKILL cannot be caught: sigaction says EINVAL', () => {
    const r = run(`${HEAD}  - sigaction: { task: a, signal: SIGKILL, handler: ignore }\n`);
    expect(byIndex(r, 3).outcome).toEqual({ errno: 'EINVAL' });
  });

  test('a handler may not run just any step', () => {
    expect(
      failure(
        `${HEAD}  - sigaction: { task: a, signal: SIGSEGV, handler: { do: [ { spawn: { name: x } } ], ends: return } }\n`,
      ),
    ).toMatch(/handler step 1: a handler cannot run a "spawn" step/);
  });

  test('a handler names how it ends', () => {
    expect(failure(`${HEAD}  - sigaction: { task: a, signal: SIGSEGV, handler: { do: [] } }\n`)).toMatch(
      /ends: return .* or then: \{ jump: <mark> \}|handler is default, ignore/,
    );
  });

  test('an unknown signal is named as such', () => {
    expect(failure(`${HEAD}  - sigaction: { task: a, signal: SIGFOO, handler: ignore }\n`)).toMatch(
      /a signal is SIGSEGV, SIGBUS or SIGKILL, not "SIGFOO"/,
    );
  });
});

describe('wider loads and stores (size: 2, 4, 8)', () => {
  test('a store straddling into a missing page: si_addr is that page, and the step says so', () => {
    const r = run(`
steps:
  - spawn: { name: a }
  - mmap: { task: a, length: 8192, prot: rw-, as: buf }
  - write: { task: a, addr: "buf+4092", value: "0x1122334455667788", size: 8 }
  - read: { task: a, addr: "buf+4094", size: 2 }
  - munmap: { task: a, addr: "buf+4096", length: 4096 }
  - read: { task: a, addr: "buf+4092", size: 8 }
`);
    expect(byIndex(r, 4).outcome).toEqual({ value: '0x5566' });
    expect(byIndex(r, 6).outcome).toMatchObject({ signal: 'SIGSEGV', code: 'SEGV_MAPERR' });
    expect(byIndex(r, 6).summary).toMatch(
      /read 0x[0-9a-f]+ffc \(8 bytes\) → SIGSEGV \(SEGV_MAPERR\) at 0x[0-9a-f]+000;/,
    );
  });

  test('a one-byte write keeps to a byte, and a value must fit its size', () => {
    expect(failure(`${HEAD}  - write: { task: a, addr: buf, value: 256 }\n`)).toMatch(
      /one-byte write stores a value from 0 to 255/,
    );
    expect(failure(`${HEAD}  - write: { task: a, addr: buf, value: 65536, size: 2 }\n`)).toMatch(
      /does not fit in size bytes/,
    );
  });
});
