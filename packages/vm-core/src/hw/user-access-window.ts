/**
 * The window in which privileged code may touch user memory, and the control
 * bit each architecture keeps it in:
 *
 *   x86     EFLAGS.AC, set by stac and cleared by clac, lifts SMAP
 *           (Intel SDM Vol. 3A §4.6.1)
 *   ARM64   PSTATE.PAN = 0 lifts Privileged Access Never (ARM ARM D8.4.2.1)
 *   RISC-V  sstatus.SUM = 1 permits S-mode loads and stores to U pages
 *           (Privileged Spec §10.1.1.2)
 */
import type { ControlState } from './control.ts';
import type { PagingFormat } from './paging-format.ts';

/** The control bit to change to open (or close) the window. */
export function userAccessWindow(family: PagingFormat['family'], open: boolean): Partial<ControlState> {
  switch (family) {
    case 'x86':
      return { alignmentCheck: open };
    case 'arm64':
      return { pan: !open };
    case 'riscv':
      return { sum: open };
  }
}

/** Whether `control` has the window open (EFLAGS.AC set, PAN clear, SUM set). */
export function userAccessWindowOpen(
  family: PagingFormat['family'],
  control: Readonly<ControlState>,
): boolean {
  switch (family) {
    case 'x86':
      return control.alignmentCheck;
    case 'arm64':
      return !control.pan;
    case 'riscv':
      return control.sum;
  }
}
