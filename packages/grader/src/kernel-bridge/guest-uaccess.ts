/**
 * The guest's `kernel` object during copyFromUser / copyToUser, host side:
 * the UaccessApi (uaccess.ts in @faultline/vm-core), with its arguments
 * checked before the kernel sees them, like the KernelApi methods of
 * guest-api.ts.
 *
 * In the guest, inside a user-copy hook:
 *
 * ```ts
 * kernel.accessOk(address, length)           // boolean: the range lies in user space
 * kernel.userAccessBegin(pid)                // stac: open the user-access window (SMAP off)
 * kernel.userAccessEnd(pid)                  // clac: close it again
 * kernel.loadByte(pid, address, ip)          // {kind:'ok', value} | {kind:'fixup'} | {kind:'oops', report}
 * kernel.storeByte(pid, address, value, ip)  // the same
 * kernel.copyInstruction()                   // the ip of the copy instruction (it has an exception-table entry)
 * ```
 *
 * `copyInstruction` is a method, not a value as in UaccessApi: every member
 * of the guest's `kernel` object is a host function (only plain values cross
 * the boundary, and the object is fixed when the sandbox is created).
 *
 * The guest's `kernel` has the KernelApi methods and these side by side; each
 * set works only inside the hooks that receive that API, and using the other
 * is a learner-facing error, not a crash (see `createKernelBridge`).
 */
import { hookApiFacts, type UaccessApi, type UserCopy } from '@faultline/vm-core';
import {
  addressProblem,
  type MethodSpec as CheckedMethod,
  checkCall,
  integerProblem,
  type ParamCheck,
} from './check.ts';

/** What one user-copy hook call's guest API talks to. */
export interface GuestUaccessContext {
  readonly u: UaccessApi;
  /** The copy the hook was called for (its length bounds the result's notCopied). */
  readonly copy: UserCopy;
  readonly taskExists: (pid: number) => boolean;
}

export function guestUaccessContext(u: UaccessApi, copy: UserCopy): GuestUaccessContext {
  // The kernel that built `u` tells its tasks (as in guest-api.ts).
  const facts = hookApiFacts(u);
  return { u, copy, taskExists: facts === null ? () => true : facts.taskExists };
}

type Param = ParamCheck<GuestUaccessContext>;

const pid: Param = (ctx, v, label) =>
  integerProblem(label, v) ?? (ctx.taskExists(v as number) ? null : `${label} ${v} does not exist`);
const address: Param = (_ctx, v, label) => addressProblem(label, v);
const ip: Param = (_ctx, v, label) => addressProblem(label, v);
const length: Param = (_ctx, v, label) =>
  integerProblem(label, v) ?? ((v as number) < 0 ? `${label} ${v} is negative` : null);
const byte: Param = (_ctx, v, label) =>
  integerProblem(label, v) ??
  ((v as number) < 0 || (v as number) > 255 ? `${label} ${v} is not a byte (0..255)` : null);

type MethodSpec = CheckedMethod<UaccessApi, GuestUaccessContext>;

const spec = (params: MethodSpec['params'], run: MethodSpec['run']): MethodSpec => ({ params, run });

/** Every UaccessApi member, in the order of uaccess.ts; `copyInstruction` becomes a method. */
export const GUEST_UACCESS_METHODS: Readonly<Record<keyof UaccessApi, MethodSpec>> = {
  accessOk: spec(
    [
      ['address', address],
      ['length', length],
    ],
    (u, [a, n]) => u.accessOk(a, n),
  ),
  userAccessBegin: spec([['pid', pid]], (u, [p]) => u.userAccessBegin(p)),
  userAccessEnd: spec([['pid', pid]], (u, [p]) => u.userAccessEnd(p)),
  loadByte: spec(
    [
      ['pid', pid],
      ['address', address],
      ['ip', ip],
    ],
    (u, [p, a, i]) => u.loadByte(p, a, i),
  ),
  storeByte: spec(
    [
      ['pid', pid],
      ['address', address],
      ['value', byte],
      ['ip', ip],
    ],
    (u, [p, a, v, i]) => u.storeByte(p, a, v, i),
  ),
  copyInstruction: spec([], (u) => u.copyInstruction),
};

/** The hooks whose guest API is GUEST_UACCESS_METHODS, as named in messages. */
export const UACCESS_HOOKS_TEXT = 'copyFromUser/copyToUser';

/** Checks a guest call's arguments; throws a KernelArgumentError naming the method and the argument. */
export function checkUaccessArguments(
  ctx: GuestUaccessContext,
  method: keyof UaccessApi,
  args: readonly unknown[],
): void {
  checkCall(ctx, method, GUEST_UACCESS_METHODS[method].params, args);
}
