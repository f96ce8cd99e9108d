/**
 * A case as the Linux probe's program: one line per step, in the format
 * packages/conformance/linux/probe.c reads (its header comment and
 * PROTOCOL.md). Addresses stay expressions ("buf+0x1000"): the probe resolves
 * labels against what its own mmap calls returned, as the simulator does
 * against its own.
 */
import { HANDLING_TASK, type Step } from '@faultline/scenario';
import type { ConformanceCase } from './case-file.ts';
import { CaseError } from './errors.ts';

/** The byte the probe's scratch file holds for copy_to_user (the simulator copies the same). */
export const COPY_TO_USER_FILL = 0xaa;

export function programOf(c: ConformanceCase): string {
  const lines = [`case ${c.id}`, `uid ${c.linux.uid}`];
  if (c.scenario.transparent_hugepage === 'always') lines.push('thp always');
  for (const w of c.scenario.watch?.pages ?? []) lines.push(`watch ${task(w.task)} ${address(w.addr)}`);
  for (const step of c.scenario.steps) lines.push(lineOf(step));
  return `${lines.join('\n')}\n`;
}

function lineOf(step: Step): string {
  switch (step.kind) {
    case 'spawn':
      return `spawn ${step.args.name}`;
    case 'fork': {
      if (step.args.name === undefined) throw new CaseError('a conformance fork names its child');
      return `fork ${task(step.args.task)} ${step.args.name}`;
    }
    case 'exit':
      return `exit ${task(step.args.task)}`;
    case 'mmap': {
      const a = step.args;
      const flags = a.flags === undefined || a.flags.length === 0 ? '-' : a.flags.join(',');
      const addr = a.addr === undefined ? '-' : address(a.addr);
      return `mmap ${task(a.task)} ${addr} ${a.length} ${a.prot} ${flags} ${a.file ?? '-'} ${a.offset ?? 0} ${a.as ?? '-'}`;
    }
    case 'mremap': {
      const a = step.args;
      const flags = a.flags === undefined || a.flags.length === 0 ? '-' : a.flags.join(',');
      const to = a.new_addr === undefined ? '-' : address(a.new_addr);
      return `mremap ${task(a.task)} ${address(a.addr)} ${a.old_length} ${a.new_length} ${flags} ${to} ${a.as ?? '-'}`;
    }
    case 'munmap':
      return `munmap ${task(step.args.task)} ${address(step.args.addr)} ${step.args.length}`;
    case 'mprotect':
      return `mprotect ${task(step.args.task)} ${address(step.args.addr)} ${step.args.length} ${step.args.prot}`;
    case 'brk':
      return `brk ${task(step.args.task)} ${address(step.args.addr)}`;
    case 'read': {
      const size = (step.args.size ?? 1) === 1 ? '' : ` ${step.args.size}`;
      return `read ${task(step.args.task)} ${address(step.args.addr)}${size}`;
    }
    case 'exec':
      return `exec ${task(step.args.task)} ${address(step.args.addr)}`;
    case 'write': {
      const size = (step.args.size ?? 1) === 1 ? '' : ` ${step.args.size}`;
      const value = BigInt(String(step.args.value).replaceAll('_', ''));
      return `write ${task(step.args.task)} ${address(step.args.addr)} ${size === '' ? value : `0x${value.toString(16)}`}${size}`;
    }
    case 'touch':
      return `touch ${task(step.args.task)} ${address(step.args.addr)} ${step.args.length} ${step.args.value ?? 1}`;
    case 'copy_from_user':
      return `copy_from_user ${task(step.args.task)} ${address(step.args.addr)} ${step.args.length}`;
    case 'copy_to_user': {
      const a = step.args;
      if (a.length === undefined || (a.fill ?? COPY_TO_USER_FILL) !== COPY_TO_USER_FILL)
        throw new CaseError(
          `a conformance copy_to_user gives a length and fill ${COPY_TO_USER_FILL} (the probe's file)`,
        );
      return `copy_to_user ${task(a.task)} ${address(a.addr)} ${a.length}`;
    }
    case 'file': {
      const bytes = step.args.bytes ?? [...new TextEncoder().encode(step.args.text ?? '')];
      const hex = bytes.map((b) => b.toString(16).padStart(2, '0')).join('');
      return `file ${fileName(step.args.name)} ${hex === '' ? '-' : hex}`;
    }
    case 'read_file':
      return `read_file ${fileName(step.args.name)} ${step.args.offset} ${step.args.length}`;
    case 'sigaction': {
      const a = step.args;
      const flags = a.flags === undefined || a.flags.length === 0 ? '-' : a.flags.join(',');
      if (typeof a.handler !== 'object')
        return `sigaction ${task(a.task)} ${a.signal} ${a.handler} ${flags} -`;
      const ends = a.handler.ends === 'return' ? 'return' : `jump:${a.handler.ends.jump}`;
      // The handler's steps follow as "do" lines: the probe runs them inside the task's handler.
      const body = a.handler.do.map((b) => `do ${lineOf(handlerStep(b))}`);
      return [`sigaction ${task(a.task)} ${a.signal} handler ${flags} ${ends}`, ...body].join('\n');
    }
    case 'sigprocmask': {
      const a = step.args;
      return `sigprocmask ${task(a.task)} ${a.how} ${a.signals.length === 0 ? '-' : a.signals.join(',')}`;
    }
    case 'mark':
      return `mark ${step.args.name}`;
    case 'mlock':
    case 'munlock':
      return `${step.kind} ${task(step.args.task)} ${address(step.args.addr)} ${step.args.length}`;
    case 'madvise':
      return `madvise ${task(step.args.task)} ${address(step.args.addr)} ${step.args.length} ${step.args.advice}`;
    case 'ftruncate':
      return `ftruncate ${fileName(step.args.name)} ${step.args.length}`;
    case 'pipe':
      return `pipe ${fileName(step.args.name)}`;
    case 'readv':
    case 'writev': {
      const a = step.args;
      const on =
        a.pipe !== undefined ? `pipe ${fileName(a.pipe)} -` : `file ${fileName(a.file!)} ${a.offset ?? 0}`;
      return `${step.kind} ${task(a.task)} ${on} ${buffers(a.iov)}`;
    }
    case 'process_vm_readv':
    case 'process_vm_writev': {
      const a = step.args;
      return `${step.kind} ${task(a.task)} ${task(a.target)} ${buffers(a.local)} ${buffers(a.remote)}`;
    }
    case 'proc_mem_read':
    case 'proc_mem_write': {
      const a = step.args;
      // No target: the task's own memory (/proc/self/mem is /proc/<its pid>/mem).
      const target = task(a.target ?? a.task);
      return `${step.kind} ${task(a.task)} ${target} ${address(a.addr)} ${address(a.buf)} ${a.length}`;
    }
    default:
      throw new CaseError(`the probe cannot do a ${step.kind} step`);
  }
}

/** Tasks are named in conformance cases (pids differ between the two kernels); "-" is the handler's own. */
function task(ref: string | number): string {
  if (typeof ref === 'number') throw new CaseError('a conformance case names tasks, not pids');
  return ref === HANDLING_TASK ? '-' : ref;
}

/** A handler's step, as the probe can run it: on the handling task, installing no handler of its own. */
function handlerStep(step: Step): Step {
  if ('task' in step.args && step.args.task !== HANDLING_TASK)
    throw new CaseError("a conformance handler's steps act on the task it runs on (leave out their task)");
  if (step.kind === 'sigaction' && typeof step.args.handler === 'object')
    throw new CaseError("a conformance handler's steps install no handler of their own");
  return step;
}

/** A buffer list (struct iovec[]) as one token: "addr:length,addr:length". */
function buffers(iov: readonly { readonly addr: string | number; readonly length: number }[]): string {
  return iov.map((v) => `${address(v.addr)}:${v.length}`).join(',');
}

/** A number as 64-bit hex (the simulator keeps kernel addresses as negative numbers); text as written. */
function address(expr: string | number): string {
  if (typeof expr === 'number') return `0x${BigInt.asUintN(64, BigInt(expr)).toString(16)}`;
  const text = expr.replaceAll(/\s+/g, '');
  if (text === '') throw new CaseError('an empty address');
  return text;
}

function fileName(name: string): string {
  if (!/^[A-Za-z0-9._-]+$/.test(name) || name.startsWith('.'))
    throw new CaseError(`file name "${name}": letters, digits, ".", "_" and "-" only, not starting with "."`);
  return name;
}
