// Hidden tests: the learner sees names, statuses and points only.
import { defineTests } from '@faultline/grader';

const PAGE = 4096;
const RX = { read: true, write: false, exec: true };
const RWX = { read: true, write: true, exec: true };

export default defineTests((test) => {
  test('a recycled frame is cleared before it is mapped again', {
    points: 2,
    visibility: 'hidden',
    hint: 'A frame comes back from the allocator holding whatever its last owner wrote. What must happen to it before a process may see it (do_anonymous_page in mm/memory.c)?',
  }, (t) => {
    const pages = 16;
    const a = t.spawn('a');
    const old = t.mmap(a, pages * PAGE);
    for (let i = 0; i < pages; i++) {
      for (const offset of [0, 100, 2048, PAGE - 1]) t.write(a, old + i * PAGE + offset, 0x5e);
    }
    t.exit(a); // its frames go back to the allocator, still holding 0x5e
    const b = t.spawn('b');
    const addr = t.mmap(b, pages * PAGE);
    for (let i = 0; i < pages; i++) {
      t.expectResolutions(
        t.write(b, addr + i * PAGE + 1, 1),
        ['demand-zero'],
        `the first write to page ${i}`,
      );
      for (const offset of [0, 100, 2048, PAGE - 1]) {
        t.expectValue(
          t.read(b, addr + i * PAGE + offset),
          0,
          `byte ${offset} of a freshly faulted page (page ${i} of a new process, written only at byte 1)`,
        );
      }
    }
  });

  test('processes never see each other’s data', {
    points: 2,
    visibility: 'hidden',
    hint: 'Two processes may fault the same virtual address: each needs a frame of its own (or the read-only zero page), never one another process wrote to.',
  }, (t) => {
    const a = t.spawn('a');
    const b = t.spawn('b');
    const pa = t.mmap(a, 2 * PAGE);
    const pb = t.mmap(b, 2 * PAGE);
    t.read(a, pa);
    t.read(b, pb);
    t.write(a, pa + 5, 0x11);
    t.expectValue(t.read(b, pb + 5), 0, 'process b reading its own page after process a wrote to its page');
    t.write(b, pb + 5, 0x22);
    t.expectValue(t.read(a, pa + 5), 0x11, 'process a reading back its own byte after b wrote to b’s page');
    const c = t.spawn('c');
    const pc = t.mmap(c, PAGE);
    t.expectValue(t.read(c, pc + 5), 0, 'a third process reading untouched memory');
  });

  test('no frame leaks when a process exits', {
    points: 2,
    visibility: 'hidden',
    hint: 'Every frame you map must be one the kernel can free again at exit: map it through the kernel, and count references as the kernel does.',
  }, (t) => {
    t.kernel();
    const before = t.freeFrames();
    const pid = t.spawn();
    const addr = t.mmap(pid, 8 * PAGE);
    for (let i = 0; i < 8; i++) {
      if (i % 3 !== 1) t.read(pid, addr + i * PAGE);
      if (i % 3 !== 0) t.write(pid, addr + i * PAGE, i);
    }
    t.expectInvariants('while the process runs');
    t.exit(pid);
    t.expectInvariants('after the process exits');
    t.expectEqual(t.freeFrames(), before, 'the number of free frames after the process exited');
  });

  test('executable mappings stay executable', {
    points: 2,
    visibility: 'hidden',
    hint: 'The PTE you install carries the area’s permissions: an instruction fetch from a PROT_EXEC area must not hit an NX page.',
  }, (t) => {
    const pid = t.spawn();
    const code = t.mmap(pid, 2 * PAGE, RX);
    t.expectResolutions(
      t.fetch(pid, code),
      ['zero-page'],
      'the first instruction fetch from an untouched page',
    );
    t.expectPte(pid, code, { exec: true, zero: true }, 'the page of an executable mapping to be executable');
    t.expectResolutions(t.read(pid, code + PAGE), ['zero-page'], 'the first read of an executable page');
    t.expectResolutions(t.fetch(pid, code + PAGE), [], 'an instruction fetch from a page that was just read');
    const jit = t.mmap(pid, PAGE, RWX);
    t.expectResolutions(
      t.write(pid, jit, 0xc3),
      ['demand-zero'],
      'the first write to a read-write-exec page',
    );
    t.expectPte(pid, jit, { exec: true, writable: true }, 'the page of a read-write-exec mapping');
    t.expectResolutions(t.fetch(pid, jit), [], 'an instruction fetch from a page that was just written');
    const data = t.mmap(pid, PAGE);
    t.write(pid, data, 1);
    t.expectPte(pid, data, { exec: false }, 'the page of a non-executable mapping to stay no-execute');
  });

  test('many pages: reads share the zero page, writes get frames', {
    points: 2,
    visibility: 'hidden',
    hint: 'A read of untouched private memory costs no frame at all; only a write does. Look at how many frames your handler allocates for reads.',
  }, (t) => {
    const pages = 48;
    const pid = t.spawn();
    const addr = t.mmap(pid, pages * PAGE);
    const freeBefore = t.freeFrames();
    for (let i = 0; i < pages; i++) {
      const va = addr + i * PAGE;
      if (i % 2 === 0) {
        t.expectResolutions(t.read(pid, va + i), ['zero-page'], `the first read of page ${i}`);
      } else {
        t.expectResolutions(t.write(pid, va + i, i), ['demand-zero'], `the first write to page ${i}`);
      }
    }
    for (let i = 0; i < pages; i += 2) {
      t.expectPte(
        pid,
        addr + i * PAGE,
        { zero: true },
        `page ${i}, which was only read, to map the zero page`,
      );
    }
    t.expectEqual(
      freeBefore - t.freeFrames() < pages,
      true,
      `whether fewer than ${pages} frames were used for ${pages / 2} written and ${pages / 2} read pages`,
    );
    for (let i = 0; i < pages; i++) {
      t.expectValue(t.read(pid, addr + i * PAGE + i), i % 2 === 0 ? 0 : i, `byte ${i} of page ${i}`);
    }
  });

  test('copy_to_user into untouched memory: a kernel-mode fault maps the page like a user one', {
    points: 2,
    visibility: 'hidden',
    hint: 'copy_to_user and copy_from_user fault too, from kernel mode (fault.user is false), on addresses the VMA allows. They are not errors: do_anonymous_page maps the page for them exactly as for the process itself.',
  }, (t) => {
    const pid = t.spawn();
    const addr = t.mmap(pid, 2 * PAGE);
    t.expectCopy(
      t.copyToUser(pid, addr + 10, [1, 2, 3]),
      { notCopied: 0, errno: null },
      'copy_to_user of 3 bytes into a page the process never touched',
    );
    t.expectValue(t.read(pid, addr + 11), 2, 'the process reading a byte the kernel copied to it');
    t.expectCopy(
      t.copyFromUser(pid, addr + PAGE, 4),
      { notCopied: 0, errno: null, data: [0, 0, 0, 0] },
      'copy_from_user of 4 bytes from a page the process never touched',
    );
    t.expectPte(
      pid,
      addr + PAGE,
      { zero: true },
      'the page copy_from_user faulted in (read) to map the zero page',
    );
  });

  test('a forced write into a read-only mapping (/proc/self/mem) leaves the page read-only to the process', {
    points: 2,
    visibility: 'hidden',
    hint: 'A write fault can come from FOLL_FORCE (ptrace, /proc/PID/mem) into an area without PROT_WRITE. The page gets the data, but its PTE may be writable only if the VMA allows writes (vma.write) — the process itself must still fault on a store.',
  }, (t) => {
    const pid = t.spawn();
    const buf = t.mmap(pid, PAGE);
    t.write(pid, buf, 0x42);
    const ro = t.mmap(pid, PAGE, { read: true, write: false, exec: false });
    const forced = t.kernel().procMemWrite(pid, pid, ro, { address: buf, length: 1 });
    t.expectEqual(
      forced.kind === 'done' && forced.bytes,
      1,
      'the bytes a /proc/self/mem write of 1 byte put into a read-only page',
    );
    t.expectValue(t.read(pid, ro), 0x42, 'the process reading the byte the forced write put there');
    t.expectPte(pid, ro, { writable: false }, 'the page a forced write faulted into a read-only mapping');
    t.expectSignal(
      t.write(pid, ro, 1),
      { signal: 'SIGSEGV', code: 'SEGV_ACCERR' },
      'the process’s own store to its read-only mapping',
    );
  });

  test('memory unmapped and mapped again at the same address starts as zeros', {
    points: 2,
    visibility: 'hidden',
    hint: 'A new mapping is new memory, even at an address used before: each first touch is a fault of its own, answered from the fault alone — no frame or answer kept from an earlier fault.',
  }, (t) => {
    const pid = t.spawn();
    const addr = t.mmap(pid, 2 * PAGE);
    t.write(pid, addr, 0x77);
    t.write(pid, addr + PAGE, 0x78);
    t.expectErrno(t.munmap(pid, addr, 2 * PAGE), null, 'munmap of the two pages');
    const again = t.mmap(pid, 2 * PAGE, undefined, { address: addr, fixed: true });
    t.expectResolutions(
      t.write(pid, again + PAGE, 1),
      ['demand-zero'],
      'the first write to the page written last before the munmap, mapped again',
    );
    t.expectValue(
      t.read(pid, again + PAGE + 1),
      0,
      'a byte of the page mapped again that nobody wrote since',
    );
    t.expectValue(t.read(pid, again), 0, 'the first read of the other page mapped again');
    t.expectInvariants('after mapping the memory again');
  });

  test('a written page is dirty from its first write: no second fault just to set the dirty bit', {
    points: 2,
    visibility: 'hidden',
    hint: 'do_anonymous_page makes the entry for a write both writable and dirty (pte_mkdirty). Where hardware does not set the dirty bit itself (an ARM64 CPU without FEAT_HAFDBS), a writable but clean page faults once more on the very write that faulted it in.',
  }, (t) => {
    t.machine({ arch: 'arm64', accessFlags: 'software' });
    const pid = t.spawn();
    const addr = t.mmap(pid, 2 * PAGE);
    t.expectResolutions(
      t.write(pid, addr, 5),
      ['demand-zero'],
      'the first write to an untouched page (ARM64, dirty bit kept by software)',
    );
    t.expectPte(pid, addr, { writable: true }, 'the page written once');
    t.expectResolutions(t.write(pid, addr + 1, 6), [], 'a second write to the same page');
  });

  test('out of memory: the fault ends in the OOM killer, and nothing half-mapped is left', {
    points: 2,
    visibility: 'hidden',
    hint: 'kernel.allocPage() can fail: it returns -1 when no frame is left. What must the handler answer then, instead of clearing or mapping frame -1 (VM_FAULT_OOM)?',
  }, (t) => {
    // 96 frames, no swap: a process writing 256 pages must run out.
    t.machine({ frames: 96, swapSlots: 0 });
    const pid = t.spawn();
    const pages = 256;
    const addr = t.mmap(pid, pages * PAGE);
    const free = t.freeFrames();
    t.expectResolutions(t.write(pid, addr, 1), ['demand-zero'], 'the first write, with memory to spare');
    let written = 1;
    let last = t.write(pid, addr + PAGE, 1);
    while (last.kind === 'ok' && written < pages - 1) {
      written++;
      last = t.write(pid, addr + written * PAGE, 1);
    }
    // Out of memory only once memory is really gone: most free frames became pages first.
    t.expectEqual(
      written >= free / 2,
      true,
      `whether the process wrote at least ${Math.ceil(free / 2)} pages (half the ${free} free frames) before memory ran out — it wrote ${written}`,
    );
    t.expectSignal(
      last,
      { signal: 'SIGKILL' },
      'the write that found no frame left (on a machine of 96 frames and no swap)',
    );
    t.expectInvariants('after the OOM kill');
  });
});
