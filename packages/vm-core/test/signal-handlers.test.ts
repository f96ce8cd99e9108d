// "Does the processor kill the process, or raise a fault?" The CPU faults;
// the kernel sends SIGSEGV; only the default action kills. These follow
// Linux 6.1's kernel/signal.c: force_sig_info_to_task, get_signal,
// signal_setup_done, and the conformance cases signal-* check them against
// Debian's kernel.
import { describe, expect, test } from 'vitest';
import {
  DEFAULT_ACTION,
  KERNEL_ARCHES,
  Kernel,
  type KernelArch,
  type SignalAction,
} from '../src/kernel/index.ts';

const PAGE = 4096;
const HANDLER: SignalAction = { handler: 'handler', nodefer: false, resetHand: false };

function machine(arch: KernelArch = 'x86-64') {
  const kernel = new Kernel({ arch, frames: 512 });
  const pid = kernel.spawn('app').pid;
  const map = (prot: { read: boolean; write: boolean; exec: boolean }) => {
    const r = kernel.mmap(pid, { length: 2 * PAGE, prot });
    if (r.kind !== 'ok') throw new Error(r.errno);
    return r.address;
  };
  return { kernel, pid, map };
}

const RO = { read: true, write: false, exec: false };
const RW = { read: true, write: true, exec: false };

describe('a SIGSEGV handler', () => {
  test.each(KERNEL_ARCHES)(
    '%s: the process lives, and after mprotect and sigreturn the retried store lands',
    (arch) => {
      const { kernel, pid, map } = machine(arch);
      const buf = map(RO);
      expect(kernel.sigaction(pid, 'SIGSEGV', HANDLER)).toBeNull();
      const first = kernel.access(pid, buf, 'write', 7);
      expect(first).toMatchObject({ kind: 'signal', disposition: 'handler', signal: { signal: 'SIGSEGV' } });
      expect(kernel.task(pid).alive).toBe(true);
      expect(kernel.task(pid).signalFrames).toHaveLength(1);
      // The handler runs with SIGSEGV blocked (no SA_NODEFER).
      expect([...kernel.task(pid).blocked]).toEqual(['SIGSEGV']);
      expect(kernel.mprotect(pid, buf, PAGE, RW)).toBeNull();
      expect(kernel.sigreturn(pid).signal).toBe('SIGSEGV');
      expect([...kernel.task(pid).blocked]).toEqual([]);
      expect(kernel.access(pid, buf, 'write', 7).kind).toBe('ok');
      expect(kernel.access(pid, buf, 'read')).toMatchObject({ kind: 'ok', value: 7 });
    },
  );

  test('the handler is handed what siginfo and the frame say: si_code, si_addr, the error code (not present, write, user: 0x6)', () => {
    const { kernel, pid, map } = machine();
    const buf = map(RO);
    kernel.sigaction(pid, 'SIGSEGV', HANDLER);
    const out = kernel.access(pid, buf + 5, 'write', 1);
    expect(out).toMatchObject({
      kind: 'signal',
      signal: { signal: 'SIGSEGV', code: 'SEGV_ACCERR', address: BigInt(buf + 5), frame: { errorCode: 0x6 } },
    });
  });

  test('a fault inside the handler while SIGSEGV is blocked kills: force_sig resets the action', () => {
    const { kernel, pid, map } = machine();
    const buf = map(RO);
    kernel.sigaction(pid, 'SIGSEGV', HANDLER);
    expect(kernel.access(pid, buf, 'write', 1)).toMatchObject({ disposition: 'handler' });
    const nested = kernel.access(pid, buf + PAGE, 'write', 1);
    expect(nested).toMatchObject({ kind: 'signal', disposition: 'killed' });
    expect(kernel.task(pid).alive).toBe(false);
    expect(kernel.task(pid).sighand.action('SIGSEGV')).toEqual(DEFAULT_ACTION);
  });

  test('with SA_NODEFER a fault in the handler runs it again, one frame deeper', () => {
    const { kernel, pid, map } = machine();
    const buf = map(RO);
    kernel.sigaction(pid, 'SIGSEGV', { ...HANDLER, nodefer: true });
    kernel.access(pid, buf, 'write', 1);
    expect(kernel.access(pid, buf + PAGE, 'write', 1)).toMatchObject({ disposition: 'handler' });
    expect(kernel.task(pid).signalFrames).toHaveLength(2);
    kernel.siglongjmp(pid);
    expect(kernel.task(pid).signalFrames).toHaveLength(0);
    expect(kernel.task(pid).alive).toBe(true);
  });

  test('a blocked SIGSEGV is unblocked and kills; an ignored one too', () => {
    for (const setup of ['blocked', 'ignored'] as const) {
      const { kernel, pid, map } = machine();
      const buf = map(RO);
      if (setup === 'blocked') {
        kernel.sigaction(pid, 'SIGSEGV', HANDLER);
        kernel.sigprocmask(pid, 'block', ['SIGSEGV']);
      } else kernel.sigaction(pid, 'SIGSEGV', { ...DEFAULT_ACTION, handler: 'ignore' });
      expect(kernel.access(pid, buf, 'write', 1), setup).toMatchObject({
        disposition: 'killed',
        forced: setup,
      });
      expect(kernel.task(pid).exitStatus, setup).toEqual({ kind: 'killed', signal: 'SIGSEGV' });
    }
  });

  test('SA_RESETHAND: the second fault takes the default action', () => {
    const { kernel, pid, map } = machine();
    const buf = map(RO);
    kernel.sigaction(pid, 'SIGSEGV', { ...HANDLER, resetHand: true, nodefer: true });
    expect(kernel.access(pid, buf, 'write', 1)).toMatchObject({ disposition: 'handler' });
    kernel.sigreturn(pid);
    expect(kernel.access(pid, buf, 'write', 1)).toMatchObject({ disposition: 'killed' });
  });

  test('siglongjmp brings back the mask the task had when it faulted', () => {
    const { kernel, pid, map } = machine();
    const buf = map(RO);
    kernel.sigaction(pid, 'SIGSEGV', HANDLER);
    kernel.sigprocmask(pid, 'block', ['SIGBUS']);
    kernel.access(pid, buf, 'write', 1);
    expect(new Set(kernel.task(pid).blocked)).toEqual(new Set(['SIGBUS', 'SIGSEGV']));
    kernel.siglongjmp(pid);
    expect([...kernel.task(pid).blocked]).toEqual(['SIGBUS']);
  });

  test('SIGKILL cannot be caught or blocked', () => {
    const { kernel, pid } = machine();
    expect(kernel.sigaction(pid, 'SIGKILL', HANDLER)).toBe('EINVAL');
    kernel.sigprocmask(pid, 'block', ['SIGKILL', 'SIGSEGV']);
    expect([...kernel.task(pid).blocked]).toEqual(['SIGSEGV']);
  });

  test('a thread shares the handler; fork copies it; execve resets it (an ignored signal stays ignored)', () => {
    const { kernel, pid, map } = machine();
    kernel.sigaction(pid, 'SIGSEGV', HANDLER);
    kernel.sigaction(pid, 'SIGBUS', { ...DEFAULT_ACTION, handler: 'ignore' });
    const thread = kernel.thread(pid);
    const child = kernel.fork(pid);
    kernel.sigaction(pid, 'SIGSEGV', { ...HANDLER, nodefer: true });
    expect(thread.sighand.action('SIGSEGV').nodefer).toBe(true);
    expect(child.sighand.action('SIGSEGV')).toEqual(HANDLER);
    kernel.exec(child.pid);
    expect(child.sighand.action('SIGSEGV')).toEqual(DEFAULT_ACTION);
    expect(child.sighand.action('SIGBUS').handler).toBe('ignore');
    const buf = map(RO);
    expect(kernel.access(thread.pid, buf, 'write', 1)).toMatchObject({ disposition: 'handler' });
  });

  test('sigreturn outside a handler is the caller’s mistake, said plainly', () => {
    const { kernel, pid } = machine();
    expect(() => kernel.sigreturn(pid)).toThrow(/not in a signal handler/);
  });
});
