/**
 * The scenario file format (JSON or YAML), as a zod schema: the machine, then
 * a list of steps. Each step is written as a one-key object naming the step,
 * e.g. `- mmap: { task: app, length: 8192, prot: rw-, as: buf }`.
 *
 * Addresses are numbers, hex strings ("0x7f00..."), or labels a previous step
 * defined with `as:` (plus or minus an offset: "buf+0x10"). Tasks are named
 * by the name a spawn/fork/thread/kthread step gave them, or by pid.
 */
import { KERNEL_ARCHES, type KernelArch, type LinuxVersion } from '@faultline/vm-core';
import { z } from 'zod';
import { ScenarioError } from './errors.ts';
import { HOOK_NAMES, type HookName, isHookName } from './hooks.ts';

export { ScenarioError } from './errors.ts';

const address = z
  .union([z.number().int(), z.string().min(1)])
  .describe('a number, "0x…" or a label such as "buf+16"');
const task = z.union([z.number().int().nonnegative(), z.string().min(1)]);
const label = z
  .string()
  .regex(
    /^[A-Za-z_][A-Za-z0-9_]*$/,
    'labels are identifiers: letters, digits and _, not starting with a digit',
  );
const prot = z.string().regex(/^[r-][w-][x-]$/, 'prot looks like "rw-": r or -, then w or -, then x or -');
const length = z
  .number()
  .int()
  .positive()
  .max(2 ** 40);
const cpu = z.number().int().nonnegative().optional();
const byte = z.number().int().min(0).max(255);
const hookName = z
  .string()
  .refine(isHookName, { error: `not a hook; the hooks are ${HOOK_NAMES.join(', ')}` })
  .transform((name) => name as HookName);
/** Which implementation a hook runs: Linux's, one that does nothing (see hooks.ts), or one from a file. */
const hookSpec = z.union([z.enum(['reference', 'empty']), z.strictObject({ file: z.string().min(1) })], {
  error: 'a hook is "reference", "empty" or { file: path }',
});
/** get_user / put_user move 1, 2, 4 or 8 bytes. */
const userValueSize = z.union([z.literal(1), z.literal(2), z.literal(4), z.literal(8)], {
  error: 'size is 1, 2, 4 or 8 bytes',
});
/** A 64-bit value: a number, or "0x…" for values beyond 2^53. */
const wideValue = z.union([
  z.number().int().nonnegative(),
  z.string().regex(/^0x[0-9a-fA-F_]+$/, 'a value is a non-negative number or "0x…"'),
]);

/** A uid: 0 (root) to 4294967294 ((uid_t)-1 means "no change" to setuid, so it is no uid). */
const uid = z
  .number({
    error: (issue) => `a uid is a number (0 for root, 1000 for a user), not ${JSON.stringify(issue.input)}`,
  })
  .int()
  .min(0, { error: 'a uid is 0 (root) or more' })
  .max(0xffff_fffe, { error: 'a uid is at most 4294967294' });

/** The signals a fault raises, and SIGKILL (whose action cannot be changed: sigaction says EINVAL). */
const signalName = z.enum(['SIGSEGV', 'SIGBUS', 'SIGKILL'], {
  error: (issue) => `a signal is SIGSEGV, SIGBUS or SIGKILL, not ${JSON.stringify(issue.input)}`,
});
/** A name a `mark` step gives its place in the file, for a handler to siglongjmp to. */
const markName = label;
/**
 * A signal's handler, as sigaction installs it: `default` (SIG_DFL: SIGSEGV
 * and SIGBUS kill), `ignore` (SIG_IGN), or a SA_SIGINFO handler — steps it
 * runs on the faulting task (`do`), and how it `ends`: `return` (the access
 * is retried) or `{ jump: mark }` (siglongjmp to a later `mark` step).
 */
const handlerSpec = z.union(
  [
    z.enum(['default', 'ignore']),
    z.strictObject({
      do: z.array(z.unknown()).max(32).default([]),
      ends: z.union([z.literal('return'), z.strictObject({ jump: markName })], {
        error:
          'a handler says how it ends: ends: return (the access is retried) or ends: { jump: <mark> } (siglongjmp)',
      }),
    }),
  ],
  { error: 'handler is default, ignore, or { do: [steps], ends: return | { jump: <mark> } }' },
);

/** The length of a range madvise, mlock and munlock take (0 does nothing). */
const rangeLength = z
  .number()
  .int()
  .nonnegative()
  .max(2 ** 40);
/** The range mlock and munlock take. */
const lockRange = z.strictObject({ task, addr: address, length: rangeLength, cpu });
/** A system call's user buffers (struct iovec): one for read and write, more for readv and writev. */
const iovec = z
  .array(z.strictObject({ addr: address, length: z.number().int().nonnegative().max(65536) }))
  .min(1)
  .max(16);
/** read / readv or write / writev on a pipe, or on a file at an offset (pread / pwrite). */
const fdIo = z
  .strictObject({
    task,
    pipe: z.string().min(1).optional(),
    file: z.string().min(1).optional(),
    offset: z
      .number()
      .int()
      .nonnegative()
      .max(1 << 26)
      .optional(),
    iov: iovec,
    cpu,
  })
  .refine((a) => (a.pipe === undefined) !== (a.file === undefined), {
    error: 'give either "pipe" or "file"',
  })
  .refine((a) => a.offset === undefined || a.file !== undefined, {
    error: '"offset" goes with "file" (a pipe has no offset)',
  });
/** process_vm_readv / process_vm_writev: `task` copies between its buffers (`local`) and `target`'s memory (`remote`). */
const processVm = z.strictObject({ task, target: task, local: iovec, remote: iovec, cpu });
/**
 * /proc/PID/mem: `task` reads (pread) or writes (pwrite) `target`'s memory —
 * its own, /proc/self/mem, when no target is named — at `addr`, through its
 * buffer at `buf` of `length` bytes. The kernel uses FOLL_FORCE: protections
 * do not stop it, and a write to a read-only private page makes a private copy.
 */
const procMem = z.strictObject({
  task,
  target: task.optional(),
  addr: address,
  buf: address,
  length: z.number().int().nonnegative().max(65536),
  cpu,
});

const steps = {
  spawn: z.strictObject({ name: label, cpu, uid: uid.optional() }),
  thread: z.strictObject({ task, name: label.optional(), cpu }),
  kthread: z.strictObject({ name: label, cpu }),
  switch: z.strictObject({ task, cpu: z.number().int().nonnegative() }),
  mmap: z.strictObject({
    task,
    addr: address.optional(),
    length,
    prot,
    /** `populate`: MAP_POPULATE, every page faulted in during the call. */
    flags: z.array(z.enum(['anon', 'private', 'shared', 'fixed', 'growsdown', 'populate'])).optional(),
    /** Map this file (see the file step) instead of anonymous memory. */
    file: z.string().min(1).optional(),
    offset: z.number().int().nonnegative().optional(),
    as: label.optional(),
    cpu,
  }),
  munmap: z.strictObject({ task, addr: address, length, cpu }),
  mprotect: z.strictObject({ task, addr: address, length, prot, cpu }),
  brk: z.strictObject({ task, addr: address, cpu }),
  /**
   * madvise(): `dontneed` (MADV_DONTNEED) drops the range's pages and keeps
   * its areas — the next touch reads zero (private anonymous memory), the
   * file again (a private file mapping), or what was written (shared).
   */
  madvise: z.strictObject({
    task,
    addr: address,
    length: rangeLength,
    advice: z.literal('dontneed', { error: 'advice is dontneed (MADV_DONTNEED), the one madvise models' }),
    cpu,
  }),
  /**
   * mremap(): the area at `addr` goes from `old_length` to `new_length` bytes —
   * shrunk or grown in place, or with `maymove` moved, its page tables
   * carried along (the pages are there at the new address without a fault).
   * `fixed` (MREMAP_FIXED) moves to `new_addr` exactly; `dontunmap`
   * (MREMAP_DONTUNMAP) leaves the old range mapped, empty. `as` labels the
   * address it returns. Bad flag combinations are EINVAL, as in Linux.
   */
  mremap: z.strictObject({
    task,
    addr: address,
    old_length: rangeLength,
    new_length: rangeLength,
    flags: z.array(z.enum(['maymove', 'fixed', 'dontunmap'])).optional(),
    new_addr: address.optional(),
    as: label.optional(),
    cpu,
  }),
  /** A load of `size` bytes (default 1; 2, 4 or 8 may straddle two pages). */
  read: z.strictObject({ task, addr: address, size: userValueSize.optional(), cpu }),
  /** A store of `value`: a byte, or with `size` 2, 4 or 8 a little-endian value of that many bytes. */
  write: z
    .strictObject({ task, addr: address, value: wideValue, size: userValueSize.optional(), cpu })
    .refine((a) => (a.size ?? 1) > 1 || (typeof a.value === 'number' && a.value <= 255), {
      error: 'a one-byte write stores a value from 0 to 255 (give size: 2, 4 or 8 for a wider one)',
      path: ['value'],
    })
    .refine((a) => BigInt(String(a.value).replaceAll('_', '')) < 1n << BigInt(8 * (a.size ?? 1)), {
      error: 'the value does not fit in size bytes',
      path: ['value'],
    }),
  /** Writes one byte in every page of a range: a program filling its memory. */
  touch: z.strictObject({ task, addr: address, length, value: byte.optional(), cpu }),
  exec: z.strictObject({ task, addr: address, cpu }),
  /** execve(): the task gets a fresh address space (a new program image). */
  execve: z.strictObject({ task, cpu }),
  fork: z.strictObject({ task, name: label.optional(), cpu }),
  /** The task exits (with `code`, default 0): a zombie until its parent waits. */
  exit: z.strictObject({ task, code: byte.optional(), cpu }),
  /** wait4(): `task` reaps a zombie child — `child`, or any — and reports how it ended. */
  wait: z.strictObject({ task, child: task.optional(), cpu }),
  copy_from_user: z.strictObject({
    task,
    addr: address,
    length: z.number().int().positive().max(65536),
    cpu,
  }),
  /** The bytes to copy, or `length` bytes of `fill` (default 0): a buffer too long to list. */
  copy_to_user: z
    .strictObject({
      task,
      addr: address,
      bytes: z.array(byte).min(1).max(65536).optional(),
      length: z.number().int().positive().max(65536).optional(),
      fill: byte.optional(),
      cpu,
    })
    .refine((a) => (a.bytes === undefined) !== (a.length === undefined), {
      error: 'give either "bytes" (a list) or "length" (with an optional "fill" byte)',
    })
    .refine((a) => a.fill === undefined || a.length !== undefined, {
      error: '"fill" goes with "length", not with "bytes"',
    }),
  get_user: z.strictObject({ task, addr: address, size: userValueSize, cpu }),
  put_user: z.strictObject({ task, addr: address, size: userValueSize, value: wideValue, cpu }),
  kernel_access: z.strictObject({
    addr: address,
    access: z.enum(['read', 'write']),
    value: byte.optional(),
    uaccess: z.boolean().optional(),
    task: task.optional(),
    /**
     * The accessing instruction: an address, or a uaccess routine's name
     * (copy_user_generic, __get_user_1, __put_user_1). With an
     * exception-table entry, a fault it takes resumes at the fixup.
     */
    ip: address.optional(),
    cpu,
  }),
  /** Creates a file from text or bytes. */
  file: z.strictObject({
    name: z.string().min(1),
    text: z
      .string()
      .max(1 << 20)
      .optional(),
    bytes: z
      .array(byte)
      .max(1 << 20)
      .optional(),
  }),
  /** mlock(): the range's pages are faulted in now and stay in memory (reclaim passes them by); munlock() undoes it. */
  mlock: lockRange,
  munlock: lockRange,
  /** pipe(): a pipe by this name (O_NONBLOCK), open to every task that names it. */
  pipe: z.strictObject({ name: z.string().min(1) }),
  readv: fdIo,
  writev: fdIo,
  process_vm_readv: processVm,
  process_vm_writev: processVm,
  proc_mem_read: procMem,
  proc_mem_write: procMem,
  /** ftruncate(): the file's new length; a mapping of what is cut off takes SIGBUS there. */
  ftruncate: z.strictObject({
    name: z.string().min(1),
    length: z
      .number()
      .int()
      .nonnegative()
      .max(1 << 26),
  }),
  /** What read(2) of a file returns now (the page cache wins over the disk). */
  read_file: z.strictObject({
    name: z.string().min(1),
    offset: z.number().int().nonnegative().default(0),
    length: z.number().int().positive().max(4096),
  }),
  kmalloc: z.strictObject({
    bytes: z
      .number()
      .int()
      .positive()
      .max(2 ** 22),
    as: label.optional(),
    cpu,
  }),
  vmalloc: z.strictObject({
    bytes: z
      .number()
      .int()
      .positive()
      .max(2 ** 26),
    as: label.optional(),
    cpu,
  }),
  kfree: z.strictObject({ addr: address, cpu }),
  vfree: z.strictObject({ addr: address, cpu }),
  reclaim: z.strictObject({
    pages: z
      .number()
      .int()
      .positive()
      .max(2 ** 20),
    /** Only scan: report what reclaim would decide for each page, and change nothing. */
    scan_only: z.boolean().optional(),
    cpu,
  }),
  /**
   * sigaction(): what `signal` does to the task's process from now on (its
   * threads share it; a fork copies it; execve resets a handler). SA_SIGINFO
   * always; `flags`: nodefer (SA_NODEFER: the signal stays unblocked in its
   * handler), resethand (SA_RESETHAND: back to the default once entered).
   */
  sigaction: z.strictObject({
    task,
    signal: signalName,
    handler: handlerSpec,
    flags: z.array(z.enum(['nodefer', 'resethand'])).optional(),
    cpu,
  }),
  /** sigprocmask() of the task (one thread): block, unblock, or set the mask to exactly these. */
  sigprocmask: z.strictObject({
    task,
    how: z.enum(['block', 'unblock', 'setmask']),
    signals: z.array(signalName).max(3),
    cpu,
  }),
  /** A place in the file a handler can siglongjmp to (`ends: { jump: name }`); it does nothing itself. */
  mark: z.strictObject({ name: markName }),
  /** From this step on, `name` runs another implementation. */
  hook: z.strictObject({ name: hookName, use: hookSpec }),
  check: z.strictObject({ cpu }),
  /** Lets the seeded scheduler make `ticks` decisions: which task runs on which CPU. */
  schedule: z.strictObject({ ticks: z.number().int().positive().max(100000) }),
} as const;

export type StepKind = keyof typeof steps;
export const STEP_KINDS = Object.keys(steps) as StepKind[];

/** A handler as a parsed scenario holds it: its steps parsed too. */
export type HandlerSpec =
  | 'default'
  | 'ignore'
  | { readonly do: readonly Step[]; readonly ends: 'return' | { readonly jump: string } };

type ArgsOf<K extends StepKind> = K extends 'sigaction'
  ? Omit<z.infer<(typeof steps)['sigaction']>, 'handler'> & { readonly handler: HandlerSpec }
  : z.infer<(typeof steps)[K]>;

export type Step = {
  [K in StepKind]: { readonly kind: K; readonly args: ArgsOf<K> };
}[StepKind];

/**
 * The steps a handler may run: what a handler does to fix the fault or
 * give up (system calls on its own process, and accesses that may fault
 * again). Their `task` defaults to the handler's.
 */
/**
 * The task a handler's step acts on when it names none: whichever task the
 * handler runs on — the one that faulted, or a fork's child that inherited
 * the handler. (No name in a file can be this: names are identifiers.)
 */
export const HANDLING_TASK = '(the handling task)';

export const HANDLER_STEP_KINDS = [
  'mmap',
  'munmap',
  'mprotect',
  'brk',
  'madvise',
  'mremap',
  'mlock',
  'munlock',
  'read',
  'write',
  'touch',
  'exec',
  'copy_from_user',
  'copy_to_user',
  'readv',
  'writev',
  'process_vm_readv',
  'process_vm_writev',
  'proc_mem_read',
  'proc_mem_write',
  'sigaction',
  'sigprocmask',
  'exit',
] as const satisfies readonly StepKind[];

export const scenarioSchema = z.strictObject({
  title: z.string().optional(),
  description: z.string().optional(),
  arch: z.enum(KERNEL_ARCHES as [KernelArch, ...KernelArch[]]).default('x86-64'),
  /**
   * The architectures the scenario is written for, where its concept
   * applies (`faultline sim run --arch` refuses the others); without it,
   * only `arch`.
   */
  archs: z
    .array(z.enum(KERNEL_ARCHES as [KernelArch, ...KernelArch[]]))
    .min(1)
    .refine((list) => new Set(list).size === list.length, 'lists an architecture twice')
    .optional(),
  frames: z.number().int().min(64).max(262144).default(512),
  cpus: z.number().int().min(1).max(64).default(1),
  /** Tag TLB entries by PCID (x86-64) or satp.ASID (riscv-sv39); the default on both. */
  pcid: z.boolean().optional(),
  /**
   * Which Linux to behave like where releases differ ("major.minor"; the
   * default is 6.1): reclaim's second look at anonymous pages (5.9),
   * x86-32's vmalloc page-directory sync (5.8), ARM64's user copies
   * (5.11: LDTR/STTR with PAN set), RISC-V's vmalloc faults (gone in
   * 6.5). A quoted string: 5.10 unquoted is the number 5.1.
   */
  linux: z
    .string({ error: 'linux is a release as a quoted "major.minor" string, such as "6.1" or "5.4"' })
    .regex(/^\d{1,2}\.\d{1,2}$/, 'linux is a release as "major.minor", such as "6.1" or "5.4"')
    .transform((v) => v as LinuxVersion)
    .optional(),
  /**
   * Who keeps each page's accessed and dirty state: `hardware` (x86
   * always; ARM64 with FEAT_HAFDBS; RISC-V with Svadu) or `software` — the
   * MMU faults instead and the fault handler sets them (ARM64 without
   * FEAT_HAFDBS: an access-flag fault; RISC-V Svade: a page fault). Without
   * it, the architecture's default: hardware on arm64 (software with
   * `pan: software`, an ARMv8.0 CPU), software (Svade) on riscv-sv39.
   */
  access_flags: z
    .enum(['hardware', 'software'], {
      error: (issue) =>
        `access_flags is "hardware" (the MMU sets accessed/dirty) or "software" (it faults and the kernel sets them), not ${JSON.stringify(issue.input)}`,
    })
    .optional(),
  /**
   * What the `file:` steps' files live on: `ext4` (the default), a disk
   * file system — pages come into the page cache when first needed, and a
   * shared writable mapping is write-notified (mapped read-only until the
   * first write, the page_mkwrite fault); or `tmpfs`, memory — every page
   * is cached from the start and a read fault already maps a shared page
   * writable. The conformance cases run on tmpfs, as their Linux side does.
   */
  /**
   * Transparent huge pages (/sys/kernel/mm/transparent_hugepage/enabled):
   * `never` (the default, as on Debian's kernel with under 512 MiB) or
   * `always` — a fault in private anonymous memory whose 2 MiB-aligned
   * block lies inside the area maps the whole block at once (the huge zero
   * page for a read), and changing part of it splits it. A huge page needs
   * 512 free contiguous frames: raise `frames` (4096 is plenty).
   */
  transparent_hugepage: z
    .enum(['never', 'always'], {
      error: (issue) =>
        `transparent_hugepage is "never" or "always" (THP's enabled setting; "madvise" is not modelled), not ${JSON.stringify(issue.input)}`,
    })
    .optional(),
  files: z
    .enum(['ext4', 'tmpfs'], {
      error: (issue) =>
        `files is "ext4" (a disk file system, write-notified) or "tmpfs" (files in memory), not ${JSON.stringify(issue.input)}`,
    })
    .optional(),
  /**
   * ARM64: how the CPU keeps the kernel out of user memory. `hardware`
   * (the default): PSTATE.PAN, ARMv8.1 on. `software`: a CPU without PAN
   * (ARMv8.0), emulated by CONFIG_ARM64_SW_TTBR0_PAN — TTBR0 holds the
   * reserved empty table except inside the uaccess routines.
   */
  pan: z
    .enum(['hardware', 'software'], {
      error: (issue) =>
        `pan is "hardware" (PSTATE.PAN) or "software" (SW PAN: the reserved TTBR0 outside uaccess), not ${JSON.stringify(issue.input)}`,
    })
    .optional(),
  /**
   * ARM64 before Linux 5.11: the CPU has UAO (ARMv8.2), so copy_from_user
   * uses LDTR/STTR with PAN left set instead of clearing PAN around plain
   * loads (default false). Since 5.11 every CPU copies with LDTR/STTR.
   */
  uao: z
    .boolean({
      error: (issue) => `uao is true or false, not ${JSON.stringify(issue.input)}`,
    })
    .optional(),
  /**
   * The uid spawned processes run as, unless a spawn step says otherwise:
   * 1000 (an ordinary user) by default; 0 is root, whose CAP_SYS_RAWIO
   * lets it map below mmap_min_addr. Forks and threads inherit it.
   */
  uid: uid.optional(),
  /** Seed of the scheduler's PRNG: the same seed, the same interleaving. */
  seed: z.number().int().default(1),
  swap: z
    .number()
    .int()
    .min(0)
    .max(1 << 20)
    .optional(),
  tlb: z
    .union([
      z.strictObject({ entries: z.number().int().positive(), ways: z.number().int().positive() }),
      z.null(),
    ])
    .optional(),
  /** Hooks replaced for this run, before the first step. */
  hooks: z
    .record(z.string(), hookSpec)
    .superRefine((hooks, ctx) => {
      for (const name of Object.keys(hooks)) {
        if (!isHookName(name))
          ctx.addIssue({
            code: 'custom',
            path: [name],
            message: `not a hook; the hooks are ${HOOK_NAMES.join(', ')}`,
          });
      }
    })
    .transform((hooks) => hooks as Partial<Record<HookName, z.infer<typeof hookSpec>>>)
    .optional(),
  /** Shown after every step: the free frames, and the PTE and page behind each listed address. */
  watch: z
    .strictObject({
      free_frames: z.boolean().optional(),
      /** Every task on the task list: running or a zombie, its parent, how it ended. */
      tasks: z.boolean().optional(),
      pages: z
        .array(z.strictObject({ task, addr: address }))
        .max(16)
        .optional(),
    })
    .optional(),
  steps: z.array(z.unknown()).min(1, 'a scenario needs at least one step'),
});

export type ScenarioHeader = z.infer<typeof scenarioSchema>;

export interface Scenario extends Omit<ScenarioHeader, 'steps'> {
  readonly steps: readonly Step[];
}

/** The architectures a scenario applies to: its `archs`, or else just its `arch`. */
export function archsOf(scenario: Pick<Scenario, 'arch' | 'archs'>): readonly KernelArch[] {
  return scenario.archs ?? [scenario.arch];
}

/**
 * The scenario on another architecture (`faultline sim run --arch`): the same
 * steps on that machine — refused, with the architectures it is written
 * for, when its concept does not apply there.
 */
export function onArch(scenario: Scenario, arch: KernelArch): Scenario {
  if (!(KERNEL_ARCHES as readonly string[]).includes(arch))
    throw new ScenarioError(`unknown architecture "${arch}"; the kernel runs on ${KERNEL_ARCHES.join(', ')}`);
  const applies = archsOf(scenario);
  if (!applies.includes(arch))
    throw new ScenarioError(
      `this scenario is written for ${applies.join(', ')} only, not ${arch} (its "archs" field lists where its concept applies)`,
    );
  return { ...scenario, arch };
}

/** Validates parsed JSON/YAML into a scenario, or throws ScenarioError with a precise message. */
export function parseScenario(data: unknown): Scenario {
  const header = scenarioSchema.safeParse(data);
  if (!header.success) throw new ScenarioError(describeIssues(header.error.issues, []));
  const parsed: Step[] = header.data.steps.map((raw, index) => parseStep(raw, `step ${index + 1}`));
  checkJumps(parsed);
  const { archs } = header.data;
  let arch = header.data.arch;
  if (archs !== undefined) {
    // Without an explicit arch, the scenario runs on the first it is written for.
    const explicit = typeof data === 'object' && data !== null && 'arch' in data;
    if (!explicit) arch = archs[0]!;
    else if (!archs.includes(arch))
      throw new ScenarioError(
        `field "arch": ${arch} is not one of the scenario's archs (${archs.join(', ')})`,
      );
  }
  return { ...header.data, arch, steps: parsed };
}

function parseStep(raw: unknown, where: string, inHandler = false): Step {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ScenarioError(`${where}: expected an object like { read: { task: app, addr: buf } }`);
  }
  const keys = Object.keys(raw);
  if (keys.length !== 1) {
    throw new ScenarioError(
      `${where}: a step has exactly one key, the step's name (got ${keys.length === 0 ? 'none' : keys.join(', ')})`,
    );
  }
  const kind = keys[0]!;
  // Own properties only: "constructor" or "__proto__" name no step.
  if (!Object.hasOwn(steps, kind)) {
    throw new ScenarioError(`${where}: unknown step "${kind}"; known steps: ${STEP_KINDS.join(', ')}`);
  }
  if (inHandler && !(HANDLER_STEP_KINDS as readonly string[]).includes(kind))
    throw new ScenarioError(
      `${where}: a handler cannot run a "${kind}" step; it may run ${HANDLER_STEP_KINDS.join(', ')}`,
    );
  const schema = steps[kind as StepKind];
  let args = (raw as Record<string, unknown>)[kind] ?? {};
  // In a handler, the steps act on the faulting task unless they name another.
  if (inHandler && typeof args === 'object' && args !== null && !('task' in args))
    args = { ...args, task: HANDLING_TASK };
  const result = schema.safeParse(args);
  if (!result.success)
    throw new ScenarioError(`${where} (${kind}): ${describeIssues(result.error.issues, [])}`);
  if (kind === 'sigaction') {
    const a = result.data as z.infer<(typeof steps)['sigaction']>;
    if (typeof a.handler === 'object') {
      const body = a.handler.do.map((step, i) =>
        parseStep(step, `${where} (sigaction), handler step ${i + 1}`, true),
      );
      return { kind, args: { ...a, handler: { do: body, ends: a.handler.ends } } };
    }
  }
  return { kind, args: result.data } as Step;
}

/** Every handler's jump goes to a mark the file has, named once. */
function checkJumps(parsed: readonly Step[]): void {
  const marks = new Set<string>();
  for (const [i, step] of parsed.entries()) {
    if (step.kind !== 'mark') continue;
    if (marks.has(step.args.name))
      throw new ScenarioError(`step ${i + 1} (mark): the mark "${step.args.name}" is already defined`);
    marks.add(step.args.name);
  }
  const visit = (list: readonly Step[], where: (i: number) => string) => {
    for (const [i, step] of list.entries()) {
      if (step.kind !== 'sigaction' || typeof step.args.handler !== 'object') continue;
      const { ends, do: body } = step.args.handler;
      if (ends !== 'return' && !marks.has(ends.jump))
        throw new ScenarioError(
          `${where(i)} (sigaction): the handler jumps to "${ends.jump}", but no mark step has that name (add - mark: { name: ${ends.jump} } where the program carries on)`,
        );
      visit(body, (j) => `${where(i)}, handler step ${j + 1}`);
    }
  };
  visit(parsed, (i) => `step ${i + 1}`);
}

function describeIssues(issues: readonly z.core.$ZodIssue[], prefix: readonly PropertyKey[]): string {
  return issues
    .slice(0, 3)
    .map((issue) => {
      const path = [...prefix, ...issue.path].map(String).join('.');
      const message =
        issue.code === 'unrecognized_keys'
          ? `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`
          : issue.message;
      return path === '' ? message : `field "${path}": ${message}`;
    })
    .join('; ');
}
