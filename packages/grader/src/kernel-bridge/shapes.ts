/**
 * The plain-data shapes of the hook API (hooks.ts in @faultline/vm-core),
 * checked at run time: what a learner's hook returns, and the FaultInfo /
 * VmaInfo objects a learner passes back to `kernel.*`. Each check returns a
 * learner-facing problem, or null when the value has the shape.
 */
import { KERNEL_ARCHES } from '@faultline/vm-core';
import { addressProblem, fieldProblem, integerProblem, isRecord, show } from './check.ts';

const RESOLUTIONS = [
  'demand-zero',
  'zero-page',
  'huge-page',
  'huge-zero-page',
  'cow-copy',
  'cow-reuse',
  'swap-in',
  'stack-growth',
  'vmalloc-sync',
  'page-cache',
  'page-mkwrite',
  'access-flags',
  'spurious',
] as const;
const SIGNALS = ['SIGSEGV', 'SIGBUS', 'SIGKILL'] as const;
const SI_CODES = ['SEGV_MAPERR', 'SEGV_ACCERR', 'BUS_ADRERR', 'SI_KERNEL'] as const;
const oneOf = (values: readonly string[]) => values.map((v) => `'${v}'`).join(' | ');

export type Check = (value: unknown) => string | null;

function booleanFields(value: Record<string, unknown>, names: readonly string[]): string | null {
  for (const name of names) {
    if (typeof value[name] !== 'boolean') return `${name} must be a boolean, got ${show(value[name])}`;
  }
  return null;
}

/**
 * What the handlers below do_page_fault return (do_anonymous_page,
 * do_wp_page, do_swap_page): the fault resolved, a signal, or out of
 * memory. Exception fixups and oopses are the page-fault handler's.
 */
export const HANDLER_OUTCOME_SHAPE =
  "{kind:'resolved', resolution:…} | {kind:'signal', signal:{signal, code, address:bigint}} | {kind:'oom'}";

export const FAULT_OUTCOME_SHAPE =
  "{kind:'resolved', resolution:…} | {kind:'fixup', fixupIp:bigint} | {kind:'signal', signal:{signal, code, address:bigint}} | {kind:'oops', report:string} | {kind:'oom'}";

export const checkFaultOutcome: Check = (value) => {
  if (!isRecord(value)) return 'not an object';
  switch (value.kind) {
    case 'resolved':
      return (
        fieldProblem(value, ['kind', 'resolution']) ??
        (RESOLUTIONS.includes(value.resolution as never)
          ? null
          : `resolution ${show(value.resolution)} is not one of ${oneOf(RESOLUTIONS)}`)
      );
    case 'fixup':
      return fieldProblem(value, ['kind', 'fixupIp']) ?? addressProblem('fixupIp', value.fixupIp);
    case 'signal': {
      const fields = fieldProblem(value, ['kind', 'signal']);
      if (fields !== null) return fields;
      const s = value.signal;
      if (!isRecord(s)) return `signal must be {signal, code, address}, got ${show(s)}`;
      return (
        fieldProblem(s, ['signal', 'code', 'address']) ??
        (SIGNALS.includes(s.signal as never)
          ? null
          : `signal.signal ${show(s.signal)} is not one of ${oneOf(SIGNALS)}`) ??
        (SI_CODES.includes(s.code as never)
          ? null
          : `signal.code ${show(s.code)} is not one of ${oneOf(SI_CODES)}`) ??
        addressProblem('signal.address', s.address)
      );
    }
    case 'oops':
      return (
        fieldProblem(value, ['kind', 'report']) ??
        (typeof value.report === 'string' ? null : `report must be a string, got ${show(value.report)}`)
      );
    case 'oom':
      return fieldProblem(value, ['kind']);
    default:
      return `kind ${show(value.kind)} is not one of 'resolved' | 'fixup' | 'signal' | 'oops' | 'oom'`;
  }
};

const LEAF_FLAGS = ['writable', 'user', 'exec', 'accessed', 'dirty'] as const;

export const PTE_INFO_SHAPE =
  "{kind:'none'} | {kind:'present', pfn, writable, user, exec, accessed, dirty} | {kind:'swap', slot:number}";

export function checkPteInfo(frames: number | null): Check {
  return (value) => {
    if (!isRecord(value)) return 'not an object';
    switch (value.kind) {
      case 'none':
        return fieldProblem(value, ['kind']);
      case 'swap':
        return fieldProblem(value, ['kind', 'slot']) ?? integerProblem('slot', value.slot);
      case 'present': {
        const problem =
          fieldProblem(value, ['kind', 'pfn', ...LEAF_FLAGS]) ??
          integerProblem('pfn', value.pfn) ??
          booleanFields(value, LEAF_FLAGS);
        if (problem !== null) return problem;
        const pfn = value.pfn as number;
        if (pfn < 0 || (frames !== null && pfn >= frames))
          return `pfn ${pfn} is beyond physical memory (0..${frames === null ? '?' : frames - 1})`;
        return null;
      }
      default:
        return `kind ${show(value.kind)} is not one of 'none' | 'present' | 'swap'`;
    }
  };
}

export const checkBoolean: Check = (value) => (typeof value === 'boolean' ? null : 'not a boolean');

export const checkNothing: Check = (value) =>
  value === null || value === undefined ? null : 'a value, but this hook returns nothing';

export const checkIpOrNull: Check = (value) =>
  value === null ? null : addressProblem('the fixup address', value);

export const RECLAIM_DECISIONS = ['reclaim', 'activate', 'keep'] as const;
export const checkReclaimDecision: Check = (value) =>
  RECLAIM_DECISIONS.includes(value as never) ? null : 'not one of the decisions';

const FAULT_ADDRESSES = ['address', 'ip'] as const;
const FAULT_NUMBERS = ['errorCode', 'pid'] as const;
const FAULT_BOOLEANS = [
  'present',
  'write',
  'exec',
  'user',
  'reservedBit',
  'userAccessOpen',
  'forced',
] as const;

/** A FaultInfo the guest hands back to the kernel (normally the one its hook received). */
export const checkFaultInfo: Check = (value) => {
  if (!isRecord(value)) return `must be a FaultInfo object, got ${show(value)}`;
  const problem = fieldProblem(value, [
    'arch',
    ...FAULT_ADDRESSES,
    ...FAULT_NUMBERS,
    ...FAULT_BOOLEANS,
    'mm',
  ]);
  if (problem !== null) return problem;
  if (!KERNEL_ARCHES.includes(value.arch as never))
    return `arch ${show(value.arch)} is not one of ${KERNEL_ARCHES.map((a) => `'${a}'`).join(' | ')}`;
  for (const name of FAULT_ADDRESSES) {
    const p = addressProblem(name, value[name]);
    if (p !== null) return p;
  }
  for (const name of FAULT_NUMBERS) {
    const p = integerProblem(name, value[name]);
    if (p !== null) return p;
  }
  if (value.mm !== null) {
    const p = integerProblem('mm', value.mm);
    if (p !== null) return `${p} (or null)`;
  }
  return booleanFields(value, FAULT_BOOLEANS);
};

const VMA_BOOLEANS = ['read', 'write', 'exec', 'shared', 'growsDown', 'file'] as const;

export const checkVmaInfo: Check = (value) => {
  if (!isRecord(value)) return `must be a VmaInfo object, got ${show(value)}`;
  return (
    fieldProblem(value, ['start', 'end', ...VMA_BOOLEANS]) ??
    addressProblem('start', value.start) ??
    addressProblem('end', value.end) ??
    booleanFields(value, VMA_BOOLEANS)
  );
};

export const USER_COPY_RESULT_SHAPE =
  "{notCopied: number (0..the copy's length), errno: 'EFAULT' | null, oops: string | null}";

/**
 * What copyFromUser / copyToUser return (UserCopyResult). The type admits any
 * errno; a user copy can only fail with EFAULT (the kernel itself answers
 * ENOMEM before the hook runs), so nothing else is accepted.
 */
export function checkUserCopyResult(length: number): Check {
  return (value) => {
    if (!isRecord(value)) return 'not an object';
    const problem =
      fieldProblem(value, ['notCopied', 'errno', 'oops']) ?? integerProblem('notCopied', value.notCopied);
    if (problem !== null) return problem;
    const notCopied = value.notCopied as number;
    if (notCopied < 0 || notCopied > length)
      return `notCopied ${notCopied} is not 0..${length} (the copy's length)`;
    if (value.errno !== 'EFAULT' && value.errno !== null)
      return `errno ${show(value.errno)} is not 'EFAULT' or null`;
    if (value.oops !== null && typeof value.oops !== 'string')
      return `oops must be a string or null, got ${show(value.oops)}`;
    return null;
  };
}
