// Exit frees everything; the task is a zombie until its parent's wait reaps it.
import { describe, expect, test } from 'vitest';
import { Kernel, KernelError } from '../src/kernel/index.ts';
import { checkInvariants } from '../src/kernel/invariants.ts';

const PAGE = 4096;
const RW = { read: true, write: true, exec: false };

/** A parent with 4 written pages, and a child forked from it that wrote them all (its own copies). */
function family() {
  const kernel = new Kernel({ frames: 256 });
  const parent = kernel.spawn('parent').pid;
  const r = kernel.mmap(parent, { length: 4 * PAGE, prot: RW });
  if (r.kind !== 'ok') throw new Error(r.errno);
  for (let i = 0; i < 4; i++) kernel.access(parent, r.address + i * PAGE, 'write', 1);
  const child = kernel.fork(parent).pid;
  for (let i = 0; i < 4; i++) kernel.access(child, r.address + i * PAGE, 'write', 2);
  return { kernel, parent, child, base: r.address };
}

describe('exit: everything freed, a zombie left', () => {
  test('the child is a zombie holding only its status: its memory and page tables are back', () => {
    const { kernel, parent, child } = family();
    const mm = kernel.task(child).mm!;
    const free = kernel.frames.free;
    kernel.exit(child, 3);
    const zombie = kernel.task(child);
    expect(zombie).toMatchObject({ state: 'zombie', alive: false, mm: null, activeMm: null, parent });
    expect(zombie.exitStatus).toEqual({ kind: 'exited', code: 3 });
    expect(kernel.tasks.has(child)).toBe(true);
    expect(kernel.mms.has(mm.id)).toBe(false);
    // Its 4 page copies, its page directory and its page tables.
    expect(kernel.frames.free - free).toBeGreaterThanOrEqual(4 + 1 + 1);
    expect(checkInvariants(kernel)).toEqual([]);
  });

  test("the parent's wait returns the status and removes the zombie; the pid then says it was reaped", () => {
    const { kernel, parent, child } = family();
    kernel.exit(child, 3);
    expect(kernel.wait(parent)).toEqual({ kind: 'reaped', pid: child, status: { kind: 'exited', code: 3 } });
    expect(kernel.tasks.has(child)).toBe(false);
    expect(kernel.task(child).state).toBe('reaped');
    expect(kernel.wait(parent)).toEqual({ kind: 'error', errno: 'ECHILD' });
    expect(() => kernel.mmap(child, { length: PAGE, prot: RW })).toThrow(
      `pid ${child} (parent) has exited and been reaped: it no longer exists`,
    );
    expect(checkInvariants(kernel)).toEqual([]);
  });

  test('a child still running: would-block (a real wait sleeps); a pid that is not a child: ECHILD', () => {
    const { kernel, parent, child } = family();
    expect(kernel.wait(parent)).toEqual({ kind: 'would-block' });
    expect(kernel.wait(parent, child)).toEqual({ kind: 'would-block' });
    const stranger = kernel.spawn('stranger').pid;
    expect(kernel.wait(parent, stranger)).toEqual({ kind: 'error', errno: 'ECHILD' });
    expect(kernel.wait(stranger)).toEqual({ kind: 'error', errno: 'ECHILD' });
    kernel.exit(stranger);
    expect(kernel.wait(parent, stranger)).toEqual({ kind: 'error', errno: 'ECHILD' });
    // Init spawned it (spawn is init's fork and exec): init reaps it.
    expect(kernel.wait(1, stranger)).toMatchObject({ kind: 'reaped', pid: stranger });
  });

  test('waiting for one child leaves the other zombie alone', () => {
    const { kernel, parent, child } = family();
    const second = kernel.fork(parent).pid;
    kernel.exit(child, 1);
    kernel.exit(second, 2);
    expect(kernel.wait(parent, second)).toMatchObject({ pid: second, status: { code: 2 } });
    expect(kernel.task(child).state).toBe('zombie');
    expect(kernel.wait(parent)).toMatchObject({ pid: child, status: { code: 1 } });
  });

  test('how it ended: a signal, an oops (SIGKILL), the OOM killer (SIGKILL)', () => {
    const kernel = new Kernel({ frames: 128, swapSlots: 0 });
    const shell = kernel.spawn('shell').pid;
    const segv = kernel.fork(shell).pid;
    expect(kernel.access(segv, 0x1000, 'read')).toMatchObject({ kind: 'signal' });
    expect(kernel.wait(shell, segv)).toEqual({
      kind: 'reaped',
      pid: segv,
      status: { kind: 'killed', signal: 'SIGSEGV' },
    });
    const oops = kernel.fork(shell).pid;
    kernel.switchTo(0, oops);
    expect(kernel.kernelAccess(0, 0, 'read')).toMatchObject({ kind: 'oops' });
    expect(kernel.wait(shell, oops)).toMatchObject({ status: { kind: 'killed', signal: 'SIGKILL' } });
    const hog = kernel.fork(shell).pid;
    const r = kernel.mmap(hog, { length: 512 * PAGE, prot: RW });
    if (r.kind !== 'ok') throw new Error(r.errno);
    for (let i = 0; i < 512 && kernel.task(hog).alive; i++)
      kernel.access(hog, r.address + i * PAGE, 'write', 1);
    expect(kernel.task(hog).state).toBe('zombie');
    expect(kernel.wait(shell, hog)).toMatchObject({ status: { kind: 'killed', signal: 'SIGKILL' } });
    expect(checkInvariants(kernel)).toEqual([]);
  });

  test('bad exit statuses and waits by a task that has exited are refused', () => {
    const { kernel, parent, child } = family();
    expect(() => kernel.exit(child, 256)).toThrow('exit status 256 must be an integer 0..255');
    expect(() => kernel.exit(child, -1)).toThrow(KernelError);
    expect(() => kernel.wait(parent, 0)).toThrow('the child is a pid, or -1 for any child');
    kernel.exit(parent);
    expect(() => kernel.wait(parent)).toThrow(`pid ${parent} has exited: only a running task can wait`);
  });
});

describe('orphans, threads, kernel threads and SIGCHLD', () => {
  test("an exited parent's children go to init, zombies included, and init reaps them", () => {
    const { kernel, parent, child } = family();
    const zombie = kernel.fork(parent).pid;
    kernel.exit(zombie, 7);
    kernel.exit(parent);
    expect(kernel.task(child).parent).toBe(1);
    expect(kernel.task(zombie)).toMatchObject({ parent: 1, state: 'zombie' });
    kernel.exit(child, 9);
    const reaped = [kernel.wait(1), kernel.wait(1), kernel.wait(1)];
    expect(reaped.map((r) => (r.kind === 'reaped' ? r.pid : r.kind)).sort()).toEqual(
      [parent, child, zombie].sort(),
    );
    expect(checkInvariants(kernel)).toEqual([]);
  });

  test('a thread is reaped as it exits; a child forked by a thread can be reaped by any thread of its process', () => {
    const kernel = new Kernel({ frames: 256 });
    const app = kernel.spawn('app').pid;
    const worker = kernel.thread(app).pid;
    const child = kernel.fork(worker).pid;
    expect(kernel.task(child).parent).toBe(worker);
    expect(kernel.task(worker)).toMatchObject({ tgid: app, parent: 1 });
    kernel.exit(child);
    expect(kernel.wait(app)).toMatchObject({ kind: 'reaped', pid: child });
    kernel.exit(worker);
    expect(kernel.task(worker).state).toBe('reaped');
    // The thread is no child of init's in wait's sense.
    expect(kernel.wait(1, worker)).toEqual({ kind: 'error', errno: 'ECHILD' });
    expect(checkInvariants(kernel)).toEqual([]);
  });

  test('the children of a thread that exits pass to another thread of the process, not to init', () => {
    const kernel = new Kernel({ frames: 256 });
    const app = kernel.spawn('app').pid;
    const worker = kernel.thread(app).pid;
    const child = kernel.fork(worker).pid;
    kernel.exit(worker);
    expect(kernel.task(child).parent).toBe(app);
  });

  test('a process leader that exits before its threads is reported only when the last has gone', () => {
    const kernel = new Kernel({ frames: 256 });
    const shell = kernel.spawn('shell').pid;
    const app = kernel.fork(shell).pid;
    const worker = kernel.thread(app).pid;
    kernel.exit(app, 4);
    expect(kernel.task(app).state).toBe('zombie');
    expect(kernel.wait(shell)).toEqual({ kind: 'would-block' });
    kernel.exit(worker);
    expect(kernel.wait(shell)).toEqual({ kind: 'reaped', pid: app, status: { kind: 'exited', code: 4 } });
  });

  test('a kernel thread is reaped as it exits (kthreadd ignores SIGCHLD)', () => {
    const kernel = new Kernel({ frames: 128 });
    const k = kernel.kthread('kworker').pid;
    expect(kernel.task(k).parent).toBe(2);
    kernel.exit(k);
    expect(kernel.tasks.has(k)).toBe(false);
    expect(kernel.task(k)).toMatchObject({ state: 'reaped', alive: false });
  });

  test('a parent that ignores SIGCHLD never has zombies: its children are reaped as they exit', () => {
    const { kernel, parent, child } = family();
    kernel.ignoreSigchld(parent);
    const later = kernel.fork(parent).pid;
    expect(kernel.task(later).ignoresSigchld).toBe(true); // fork copies the disposition
    kernel.exit(child);
    kernel.exit(later);
    expect(kernel.task(child).state).toBe('reaped');
    expect(kernel.wait(parent)).toEqual({ kind: 'error', errno: 'ECHILD' });
    kernel.ignoreSigchld(parent, false);
    const third = kernel.fork(parent).pid;
    kernel.exit(third);
    expect(kernel.task(third).state).toBe('zombie');
  });

  test('the boot tasks: init is swapper’s child, kthreadd too; a spawned process is init’s', () => {
    const kernel = new Kernel({ frames: 128 });
    expect([0, 1, 2].map((pid) => kernel.task(pid).parent)).toEqual([0, 0, 0]);
    expect(kernel.task(kernel.spawn('app').pid).parent).toBe(1);
  });
});

describe('the invariant checker catches an exit that leaves something behind', () => {
  test('a task marked exited that still holds its address space', () => {
    const kernel = new Kernel({ frames: 128 });
    const pid = kernel.spawn('leaky').pid;
    const task = kernel.task(pid);
    task.alive = false;
    task.state = 'zombie';
    const problems = checkInvariants(kernel).join('\n');
    expect(problems).toContain(`pid ${pid} (leaky) has exited but still holds mm ${task.mm!.id}`);
    expect(problems).toContain(`mm ${task.mm!.id} is used by no running task`);
  });

  test('a task whose state and alive flag disagree', () => {
    const kernel = new Kernel({ frames: 128 });
    const pid = kernel.spawn('odd').pid;
    kernel.task(pid).state = 'zombie';
    expect(checkInvariants(kernel).join('\n')).toContain(`pid ${pid} (odd) is zombie but alive says true`);
  });
});
