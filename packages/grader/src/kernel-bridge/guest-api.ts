/**
 * The guest's `kernel` object, host side: every KernelApi method, with its
 * arguments checked before the kernel sees them. A bad argument becomes a
 * learner-facing exception in the guest (`mapPage: pfn 70000 is beyond
 * physical memory (0..511)`); the kernel is not called, so its state is
 * unchanged.
 *
 * The installed hooks of `KernelApi.hooks` are `kernel.hooks.*` in the guest
 * too (named `hooks.cowBreak` here: the sandbox groups a dotted name). Their
 * names before they moved there (`kernel.readPte`, `kernel.cowBreak`, …) are
 * kept as functions that only say what to call now (RENAMED_KERNEL_METHODS).
 */
import {
  type FaultInfo,
  hookApiFacts,
  type InstalledHooks,
  type KernelApi,
  type PageMapOptions,
  type VmaInfo,
} from '@faultline/vm-core';
import {
  addressProblem,
  type MethodSpec as CheckedMethod,
  checkCall,
  fieldProblem,
  hex,
  integerProblem,
  isRecord,
  type ParamCheck,
  show,
} from './check.ts';
import { checkFaultInfo, checkVmaInfo } from './shapes.ts';

/** A guest `kernel` method's name: a KernelApi method, or `hooks.<name>` for one of the installed hooks. */
export type GuestKernelMethod = Exclude<keyof KernelApi, 'hooks'> | `hooks.${keyof InstalledHooks}`;

/** What one hook call's guest API talks to: created per call from the `k` the kernel passed to the hook. */
export interface GuestKernelContext {
  readonly k: KernelApi;
  /** Physical frames, when the kernel built `k` (otherwise the kernel's own checks apply). */
  readonly frames: number | null;
  readonly mmExists: (id: number) => boolean;
}

export function guestKernelContext(k: KernelApi): GuestKernelContext {
  // The kernel that built `k` tells its frame count and its mms; `k` itself
  // cannot (a hook reaches nothing but the API through it).
  const facts = hookApiFacts(k);
  return {
    k,
    frames: facts === null ? null : facts.frames,
    mmExists: facts === null ? () => true : facts.mmExists,
  };
}

type Param = ParamCheck<GuestKernelContext>;

const mm: Param = (ctx, v, label) =>
  integerProblem(label, v) ?? (ctx.mmExists(v as number) ? null : `${label} ${v} does not exist`);
const mmOrNull: Param = (ctx, v, label) => (v === null ? null : mm(ctx, v, label));
const nonNegative: Param = (_ctx, v, label) =>
  integerProblem(label, v) ?? ((v as number) < 0 ? `${label} ${v} is negative` : null);
const address: Param = (_ctx, v, label) => addressProblem(label, v);
const userAddress: Param = (ctx, v, label) =>
  addressProblem(label, v) ??
  (ctx.k.isUserAddress(v as bigint) ? null : `${label} ${hex(v as bigint)} is not a user address`);
const pfn: Param = (ctx, v, label) => {
  const p = integerProblem(label, v);
  if (p !== null) return p;
  const n = v as number;
  if (n < 0 || (ctx.frames !== null && n >= ctx.frames))
    return `${label} ${n} is beyond physical memory (0..${ctx.frames === null ? '?' : ctx.frames - 1})`;
  return null;
};
const level: Param = (ctx, v, label) => {
  const p = integerProblem(label, v);
  if (p !== null) return p;
  const levels = ctx.k.pageTableLevels();
  return (v as number) < 0 || (v as number) >= levels ? `${label} ${v} is not 0..${levels - 1}` : null;
};
const boolean: Param = (_ctx, v, label) =>
  typeof v === 'boolean' ? null : `${label} must be a boolean, got ${show(v)}`;
const MAP_OPTIONS = '{writable: boolean, exec: boolean, dirty?: boolean}';
const mapOptions: Param = (_ctx, v, label) => {
  if (!isRecord(v)) return `${label} must be ${MAP_OPTIONS}, got ${show(v)}`;
  const fields = fieldProblem(v, ['writable', 'exec'], ['dirty']);
  if (fields !== null) return `${label} must be ${MAP_OPTIONS}: ${fields}`;
  for (const key of ['writable', 'exec', 'dirty'] as const) {
    if (key in v && typeof v[key] !== 'boolean')
      return `${label}.${key} must be a boolean, got ${show(v[key])}`;
  }
  return null;
};
const fault: Param = (ctx, v, label) => {
  const p = checkFaultInfo(v);
  if (p !== null) return `${label}: ${p}`;
  const m = (v as FaultInfo).mm;
  return m !== null && !ctx.mmExists(m) ? `${label}.mm ${m} does not exist` : null;
};
const vma: Param = (_ctx, v, label) => {
  const p = checkVmaInfo(v);
  return p === null ? null : `${label}: ${p}`;
};
const reason: Param = (_ctx, v, label) =>
  typeof v !== 'string'
    ? `${label} must be a string, got ${show(v)}`
    : v.length > 4096
      ? `${label} is longer than 4096 characters`
      : null;

type MethodSpec = CheckedMethod<KernelApi, GuestKernelContext>;

const spec = (params: MethodSpec['params'], run: MethodSpec['run']): MethodSpec => ({ params, run });

/** Every KernelApi method, in the order of hooks.ts, then the installed hooks (`kernel.hooks.*`). */
export const GUEST_KERNEL_METHODS: Readonly<Record<GuestKernelMethod, MethodSpec>> = {
  findVma: spec(
    [
      ['mm', mm],
      ['address', address],
    ],
    (k, [m, a]) => k.findVma(m, a),
  ),
  vmaForFault: spec(
    [
      ['mm', mm],
      ['address', address],
    ],
    (k, [m, a]) => k.vmaForFault(m, a),
  ),
  pageTableRoot: spec([['mm', mm]], (k, [m]) => k.pageTableRoot(m)),
  pageTableLevels: spec([], (k) => k.pageTableLevels()),
  tableIndex: spec(
    [
      ['address', address],
      ['level', level],
    ],
    (k, [a, l]) => k.tableIndex(a, l),
  ),
  entrySize: spec([], (k) => k.entrySize()),
  readTableEntry: spec(
    [
      ['pa', nonNegative],
      ['level', level],
    ],
    (k, [pa, l]) => k.readTableEntry(pa, l),
  ),
  pageInfo: spec([['pfn', pfn]], (k, [p]) => k.pageInfo(p)),
  zeroPfn: spec([], (k) => k.zeroPfn()),
  allocPage: spec([], (k) => k.allocPage()),
  clearPage: spec([['pfn', pfn]], (k, [p]) => k.clearPage(p)),
  copyPage: spec(
    [
      ['fromPfn', pfn],
      ['toPfn', pfn],
    ],
    (k, [from, to]) => k.copyPage(from, to),
  ),
  getPage: spec([['pfn', pfn]], (k, [p]) => k.getPage(p)),
  putPage: spec([['pfn', pfn]], (k, [p]) => k.putPage(p)),
  mapPage: spec(
    [
      ['mm', mm],
      ['address', userAddress],
      ['pfn', pfn],
      ['options', mapOptions],
    ],
    (k, [m, a, p, o]) => k.mapPage(m, a, p, o as PageMapOptions),
  ),
  replacePage: spec(
    [
      ['mm', mm],
      ['address', userAddress],
      ['pfn', pfn],
      ['options', mapOptions],
    ],
    (k, [m, a, p, o]) => k.replacePage(m, a, p, o as PageMapOptions),
  ),
  makeWritable: spec(
    [
      ['mm', mm],
      ['address', userAddress],
    ],
    (k, [m, a]) => k.makeWritable(m, a),
  ),
  setAccessFlags: spec(
    [
      ['mm', mm],
      ['address', userAddress],
      ['write', boolean],
    ],
    (k, [m, a, w]) => k.setAccessFlags(m, a, w),
  ),
  cpusThatMayCache: spec([['mm', mm]], (k, [m]) => k.cpusThatMayCache(m)),
  invalidateTlbEntry: spec(
    [
      ['cpu', nonNegative],
      ['mm', mm],
      ['address', address],
    ],
    (k, [c, m, a]) => k.invalidateTlbEntry(c, m, a),
  ),
  swapInPage: spec(
    [
      ['mm', mm],
      ['address', userAddress],
      ['write', boolean],
    ],
    (k, [m, a, w]) => k.swapInPage(m, a, w),
  ),
  fileFault: spec([['fault', fault]], (k, [f]) => k.fileFault(f)),
  hugePmdFault: spec([['fault', fault]], (k, [f]) => k.hugePmdFault(f)),
  tryFreeSwap: spec([['pfn', pfn]], (k, [p]) => k.tryFreeSwap(p)),
  syncKernelMapping: spec(
    [
      ['mm', mmOrNull],
      ['address', address],
    ],
    (k, [m, a]) => k.syncKernelMapping(m, a),
  ),
  isUserAddress: spec([['address', address]], (k, [a]) => k.isUserAddress(a)),
  isVmallocAddress: spec([['address', address]], (k, [a]) => k.isVmallocAddress(a)),
  searchExceptionTable: spec([['ip', address]], (k, [ip]) => k.searchExceptionTable(ip)),
  oopsReport: spec(
    [
      ['fault', fault],
      ['reason', reason],
    ],
    (k, [f, r]) => k.oopsReport(f, r),
  ),
  'hooks.anonymousFault': spec(
    [
      ['fault', fault],
      ['vma', vma],
    ],
    (k, [f, v]) => k.hooks.anonymousFault(f, v as VmaInfo),
  ),
  'hooks.cowBreak': spec(
    [
      ['fault', fault],
      ['pfn', pfn],
    ],
    (k, [f, p]) => k.hooks.cowBreak(f, p),
  ),
  'hooks.swapIn': spec([['fault', fault]], (k, [f]) => k.hooks.swapIn(f)),
  'hooks.vmallocFault': spec([['fault', fault]], (k, [f]) => k.hooks.vmallocFault(f)),
  'hooks.exceptionFixup': spec([['fault', fault]], (k, [f]) => k.hooks.exceptionFixup(f)),
  'hooks.flushTlbPage': spec(
    [
      ['mm', mm],
      ['address', address],
    ],
    (k, [m, a]) => k.hooks.flushTlbPage(m, a),
  ),
  'hooks.walkPageTable': spec(
    [
      ['mm', mm],
      ['address', address],
    ],
    (k, [m, a]) => k.hooks.walkPageTable(m, a),
  ),
};

/**
 * Methods that moved to `kernel.hooks` because they run an installed hook
 * (perhaps the learner's own), by their old name: what each is now.
 */
export const RENAMED_KERNEL_METHODS: Readonly<Record<string, GuestKernelMethod>> = {
  readPte: 'hooks.walkPageTable',
  flushTlbPage: 'hooks.flushTlbPage',
  exceptionFixup: 'hooks.exceptionFixup',
  swapIn: 'hooks.swapIn',
  anonymousFault: 'hooks.anonymousFault',
  cowBreak: 'hooks.cowBreak',
  vmallocFault: 'hooks.vmallocFault',
};

/** The learner-facing message for a call of a method by its old name. */
export function renamedMethodMessage(old: string): string {
  const now = RENAMED_KERNEL_METHODS[old];
  if (now === undefined) throw new Error(`kernel bridge: ${old} was not renamed (a bug in the bridge)`);
  const params = GUEST_KERNEL_METHODS[now].params.map(([label]) => label).join(', ');
  return (
    `kernel.${old} was renamed: call kernel.${now}(${params}) instead. ` +
    'A call under kernel.hooks runs whatever hook of that name is installed (the reference, or a learner’s), ' +
    'so learner code may run there'
  );
}

/** Checks a guest call's arguments; throws a KernelArgumentError naming the method and the argument. */
export function checkArguments(
  ctx: GuestKernelContext,
  method: GuestKernelMethod,
  args: readonly unknown[],
): void {
  checkCall(ctx, method, GUEST_KERNEL_METHODS[method].params, args);
}
