/**
 * `faultline demo`: a guided tour of the simulated MMU on the tiny8 teaching
 * machine (a whole address space on one screen), then one 4-level x86-64
 * walk of a kernel address. Every line comes from the real simulator's
 * events, so the demo doubles as a smoke test of the hardware layer.
 */
import { parseArgs } from 'node:util';
import {
  Access,
  accessName,
  bumpFrames,
  decodeEntry,
  formatAddress,
  type HwEvent,
  isPageFault,
  Mmu,
  PageTableEditor,
  type PagingFormat,
  PhysicalMemory,
  Privilege,
  privilegeName,
  tiny8,
  toAddress,
  x86_64,
} from '@faultline/vm-core';
import { ExitCode, type Io } from '../io.ts';

export interface DemoStep {
  readonly title: string;
  readonly action: string;
  /** What happened, in one line: the value read, or the fault report. */
  readonly outcome: string;
  readonly trace: readonly string[];
  readonly lesson: string;
}

export function demo(argv: readonly string[], io: Io): ExitCode {
  let json = false;
  try {
    const { values } = parseArgs({ args: [...argv], options: { json: { type: 'boolean' } }, strict: true });
    json = values.json === true;
  } catch (error) {
    io.err.write(`faultline demo: ${(error as Error).message}\nusage: faultline demo [--json]\n`);
    return ExitCode.Usage;
  }
  const steps = runDemo();
  const addressSpace = describeAddressSpace();
  if (json) {
    io.out.write(`${JSON.stringify({ addressSpace, steps }, null, 2)}\n`);
    return ExitCode.Ok;
  }
  io.out.write(
    'Faultline demo — the tiny8 teaching machine: 32-byte pages, 1-byte page-table entries,\n' +
      'two levels, eight frames. Everything below is printed from the simulator’s own events.\n\n' +
      'The whole address space (16 pages), read with a side-effect-free walk of each page:\n',
  );
  for (const line of addressSpace) io.out.write(`  ${line}\n`);
  steps.forEach((step, n) => {
    io.out.write(`\n${n + 1}. ${step.title}\n   ${step.action}\n`);
    for (const line of step.trace) io.out.write(`     ${line}\n`);
    io.out.write(`   → ${step.outcome}\n   Why: ${step.lesson}\n`);
  });
  io.out.write('\nNext: the exercises have you write the kernel code that handles these faults.\n');
  return ExitCode.Ok;
}

/** Runs the tour and returns its steps (plain data, also used by tests). */
export function runDemo(): DemoStep[] {
  const steps: DemoStep[] = [];
  const tiny = tinyMachine();
  const { mmu, memory, editor, root } = tiny;
  const run = (title: string, lesson: string, va: number, access: Access, privilege: Privilege) => {
    steps.push(traced(mmu, tiny.format, title, lesson, va, access, privilege));
  };

  run(
    'A user read walks the page tables and fills the TLB',
    'the TLB was empty, so the MMU read the PD and PT entries from memory, set their Accessed bits, and cached the translation.',
    0x005,
    Access.Read,
    Privilege.User,
  );
  run(
    'The same page again: a TLB hit',
    'no memory is read for the translation this time; the TLB entry already holds the frame and the rights.',
    0x01f,
    Access.Read,
    Privilege.User,
  );
  run(
    'A user write marks the page dirty',
    'the cached entry was clean, so the MMU walked again to set the Dirty bit — what the swapper later reads to decide whether to write the page out.',
    0x006,
    Access.Write,
    Privilege.User,
  );
  run(
    'A user read of a kernel page',
    'the page is present (P=1) but supervisor-only (U/S=0): a protection fault, error code 0x5. Linux answers a user access to kernel memory with SIGSEGV.',
    0x025,
    Access.Read,
    Privilege.User,
  );
  run(
    'A write to an address with no mapping',
    'P=0: nothing is mapped there. Linux looks for a VMA; with none, SIGSEGV with SEGV_MAPERR; inside one, it allocates a page (demand paging).',
    0x0c4,
    Access.Write,
    Privilege.User,
  );
  run(
    'A user write to a read-only user page',
    'P=1, W=1, U=1: present, a write, from user mode. This is exactly the fault copy-on-write relies on — the kernel copies the page and the process never notices.',
    0x081,
    Access.Write,
    Privilege.User,
  );

  // The stale-TLB lesson: make page 0 read-only in memory without invlpg.
  const pte = editor.entryAddress(root, 0x000, 1)!;
  memory.write8(pte, memory.read8(pte) & ~0b10);
  run(
    'The kernel clears W in the PTE but forgets invlpg',
    'the TLB still holds the old, writable translation, so the write succeeds. A missing TLB flush is a real kernel bug, not a simulator one.',
    0x007,
    Access.Write,
    Privilege.User,
  );
  mmu.invalidatePage(0x000);
  run(
    'After invlpg the new rights apply',
    'invalidating the entry forced a fresh walk, which found W=0.',
    0x007,
    Access.Write,
    Privilege.User,
  );

  const big = x86Machine();
  steps.push(
    traced(
      big.mmu,
      x86_64,
      'On x86-64 the same walk has four levels',
      'PML4 → PDPT → PD → PT, 9 address bits each. Kernel addresses live in the upper (negative, sign-extended) half, and the page is global: it survives context switches in the TLB.',
      toAddress('0xffff888000001234'),
      Access.Read,
      Privilege.Supervisor,
    ),
  );
  steps.push(
    traced(
      big.mmu,
      x86_64,
      'A user access to that kernel address',
      'user mode may not touch supervisor pages: error code 0x5 (P=1, W=0, U=1). This is why a learner’s process cannot read kernel memory even though it is mapped in every page table.',
      toAddress('0xffff888000001234'),
      Access.Read,
      Privilege.User,
    ),
  );
  return steps;
}

/** One line per virtual page of the tiny8 machine, from `Mmu.inspect` (no A/D updates, no TLB fill). */
export function describeAddressSpace(): string[] {
  const { mmu } = tinyMachine();
  const lines: string[] = [];
  for (let page = 0; page < 16; page++) {
    const va = page * 32;
    const seen = mmu.inspect(va, Access.Read, Privilege.Supervisor);
    const last = seen.steps.at(-1);
    const where = `page ${String(page).padStart(2)} (0x${va.toString(16).padStart(3, '0')})`;
    if (last === undefined || last.entry.kind !== 'leaf') {
      const level = last?.levelName ?? 'PD';
      lines.push(`${where}: not mapped (${level} entry not present)`);
      continue;
    }
    const f = last.entry.flags;
    lines.push(
      `${where}: frame ${last.entry.pfn}, ${f.U ? 'user' : 'kernel'}, ${f.W ? 'read-write' : 'read-only'}`,
    );
  }
  return lines;
}

function tinyMachine() {
  const format = tiny8;
  const memory = new PhysicalMemory({ frames: 8, pageSize: 32 });
  const editor = new PageTableEditor(memory, format, bumpFrames(memory, 1, 5));
  const root = editor.createRoot();
  editor.map(root, 0x000, { pfn: 5, user: true, writable: true }); // page 0: user data
  editor.map(root, 0x020, { pfn: 6, user: false, writable: false }); // page 1: kernel, read-only
  editor.map(root, 0x080, { pfn: 7, user: true, writable: false }); // page 4: user, read-only
  for (let i = 0; i < 32; i++) {
    memory.write8(5 * 32 + i, 0x20 + i);
    memory.write8(7 * 32 + i, 0x60 + i);
  }
  const mmu = new Mmu({ format, memory, tlb: { entries: 4, ways: 2 }, control: { root } });
  return { format, memory, editor, root, mmu };
}

function x86Machine() {
  const memory = new PhysicalMemory({ frames: 64, pageSize: 4096 });
  const editor = new PageTableEditor(memory, x86_64, bumpFrames(memory, 1, 32));
  const root = editor.createRoot();
  editor.map(root, toAddress('0xffff888000001000'), { pfn: 40, writable: true, global: true });
  memory.write8(40 * 4096 + 0x234, 0x5a);
  return { memory, mmu: new Mmu({ format: x86_64, memory, control: { root } }) };
}

function traced(
  mmu: Mmu,
  format: PagingFormat,
  title: string,
  lesson: string,
  va: number,
  access: Access,
  privilege: Privilege,
): DemoStep {
  const width = format.addressing === 'unsigned' ? 32 : 64;
  const short = (a: number) => (width === 32 ? `0x${a.toString(16).padStart(3, '0')}` : formatAddress(a));
  const trace: string[] = [];
  const stop = mmu.subscribe((event) => {
    const line = describeEvent(event, format, short);
    if (line !== null) trace.push(line);
  });
  const result = access === Access.Write ? mmu.write8(va, 0xff, privilege) : mmu.read8(va, privilege);
  stop();
  let outcome: string;
  if (isPageFault(result)) outcome = result.message;
  else if (result === null) outcome = 'the write went through';
  else outcome = `read 0x${result.toString(16).padStart(2, '0')}`;
  return {
    title,
    action: `${privilegeName(privilege)} ${accessName(access)} of ${short(va)}`,
    outcome,
    trace,
    lesson,
  };
}

function describeEvent(event: HwEvent, format: PagingFormat, short: (a: number) => string): string | null {
  // An exhaustive switch: a new event type will not compile until it is described here.
  switch (event.type) {
    case 'tlb-hit':
      return `TLB hit (entry ${event.index})`;
    case 'tlb-miss':
      return event.permissionRecheck
        ? 'TLB entry found, but its cached rights (or clean state) do not cover this access: walk again'
        : 'TLB miss';
    case 'walk-step': {
      const decoded = decodeEntry(format, event.level, BigInt(event.entry));
      return `read ${event.levelName} entry at physical 0x${event.entryPa.toString(16)}: ${decoded.summary}`;
    }
    case 'ad-update':
      return `set ${event.dirty ? 'Accessed+Dirty' : 'Accessed'} in the level-${event.level} entry: ${event.before} → ${event.after}`;
    case 'tlb-fill':
      return `TLB fill: page ${short(event.pageVa)} → physical 0x${event.pagePa.toString(16)}${event.global ? ' (global)' : ''}`;
    case 'access':
      return `${event.access} physical 0x${event.pa.toString(16)}`;
    case 'fault':
    case 'tlb-flush':
    case 'context':
      return null;
  }
}
