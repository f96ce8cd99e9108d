/**
 * Checking a change to the CPU's control state before the MMU applies it:
 * only fields that exist, each of its own type, numbers non-negative
 * integers, and every new root (CR3, satp, TTBR0, ARM64's TTBR1) able to
 * hold its root table — aligned to the table's size and inside installed
 * memory (compiled-format.ts's checkRoot).
 */
import { type CompiledFormat, checkRoot } from './compiled-format.ts';
import type { ControlState } from './control.ts';

/** Throws a RangeError or TypeError naming what is wrong with `patch` against `state`; changes nothing. */
export function checkControlPatch(
  c: CompiledFormat,
  memorySize: number,
  state: ControlState,
  patch: Partial<ControlState>,
): void {
  for (const key in patch) {
    if (!Object.hasOwn(patch, key)) continue;
    const value = patch[key as keyof ControlState];
    if (!(key in state)) throw new RangeError(`unknown control field "${key}"`);
    const current = state[key as keyof ControlState];
    if (typeof value !== typeof current)
      throw new TypeError(`control field ${key} must be a ${typeof current}`);
    if (typeof value === 'number' && (!Number.isSafeInteger(value) || value < 0)) {
      throw new RangeError(`control field ${key} must be a non-negative integer, got ${value}`);
    }
  }
  checkRoots(c, memorySize, patch);
}

/** The roots a patch or a new state sets: rootHigh only where the format has a second root. */
export function checkRoots(c: CompiledFormat, memorySize: number, patch: Partial<ControlState>): void {
  if (patch.root !== undefined) checkRoot(c, memorySize, patch.root, 'root');
  if (patch.rootHigh !== undefined && c.splitRoots) checkRoot(c, memorySize, patch.rootHigh, 'rootHigh');
}
