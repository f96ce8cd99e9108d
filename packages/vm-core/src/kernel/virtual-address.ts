/**
 * The kernel's two spellings of a virtual address, and the one place they
 * meet. Inside the kernel an address is the MMU's number — signed on the
 * 64-bit formats (hw/address.ts) — which keeps the hot path free of BigInt.
 * At the hook boundary it is what C's unsigned long holds: the exact
 * unsigned bigint of hooks.ts's `VirtualAddress`, kernel and non-canonical
 * addresses included.
 */
import { nearestAddress } from '../hw/address.ts';
import type { PagingFormat } from '../hw/paging-format.ts';
import type { VirtualAddress } from './hooks.ts';
import { KernelError } from './kernel.ts';

/** Converts between the two for one format; one per kernel. */
export interface AddressCodec {
  /** Register width: 64, or 32 on x86-32. */
  readonly bits: 32 | 64;
  /** The hook-facing value of an internal address. */
  toVirtual(address: number): VirtualAddress;
  /**
   * The internal address of a value a hook handed over, read modulo 2^bits
   * like a register. A value no number holds is non-canonical on every
   * format the kernel runs, and becomes the nearest one (still non-canonical).
   * `where` names the call for the error a non-bigint gets.
   */
  fromVirtual(address: unknown, where: string): number;
  /** The exact value of an address the kernel's own callers give either way (a scenario, a test). */
  exact(address: number | VirtualAddress): VirtualAddress;
  /** The exact register value of what a hook handed over (modulo 2^bits), for checks a number would round. */
  register(address: unknown, where: string): VirtualAddress;
}

export function addressCodec(format: PagingFormat): AddressCodec {
  const bits = format.addressing === 'unsigned' ? 32 : 64;
  const signed = format.addressing === 'sign-extended';
  // A fault's address goes out once and usually comes straight back in a
  // few API calls (mapPage(mm, fault.address, …)), between which the
  // fault's instruction pointer goes out too: remember the last two pairs.
  const numbers = [0, 0];
  const virtuals: VirtualAddress[] = [0n, 0n];
  let newest = 0;
  const remember = (n: number, v: VirtualAddress) => {
    newest ^= 1;
    numbers[newest] = n;
    virtuals[newest] = v;
  };
  return Object.freeze({
    bits,
    toVirtual(address: number): VirtualAddress {
      if (address === numbers[newest]) return virtuals[newest]!;
      if (address === numbers[newest ^ 1]) return virtuals[newest ^ 1]!;
      // A user address is its own register value; only a negative (kernel-half) one wraps.
      const virtual = address >= 0 ? BigInt(address) : BigInt.asUintN(bits, BigInt(address));
      remember(address, virtual);
      return virtual;
    },
    exact(address: number | VirtualAddress): VirtualAddress {
      return typeof address === 'bigint' ? BigInt.asUintN(bits, address) : this.toVirtual(address);
    },
    register(address: unknown, where: string): VirtualAddress {
      if (typeof address !== 'bigint') throw notABigint(address, where);
      return BigInt.asUintN(bits, address);
    },
    fromVirtual(address: unknown, where: string): number {
      if (address === virtuals[newest]) return numbers[newest]!;
      if (address === virtuals[newest ^ 1]) return numbers[newest ^ 1]!;
      if (typeof address !== 'bigint') throw notABigint(address, where);
      const register = BigInt.asUintN(bits, address);
      const n = signed ? nearestAddress(register, true) : Number(register);
      // Only an exact pair may be remembered: toVirtual(n) must give `register` back.
      if (register === address && (signed ? BigInt.asUintN(bits, BigInt(n)) === register : true)) {
        remember(n, register);
      }
      return n;
    },
  });
}

function notABigint(address: unknown, where: string): KernelError {
  return new KernelError(
    `${where}: a virtual address is a bigint (the kernel's unsigned long), got ${describe(address)}` +
      (typeof address === 'number' && Number.isSafeInteger(address)
        ? ` — write ${address < 0 ? '-' : ''}0x${Math.abs(address).toString(16)}n or BigInt(x)`
        : ''),
  );
}

function describe(value: unknown): string {
  if (typeof value === 'number') return `the number ${value}`;
  if (typeof value === 'string') return `the string ${JSON.stringify(value.slice(0, 40))}`;
  return value === null ? 'null' : typeof value;
}
