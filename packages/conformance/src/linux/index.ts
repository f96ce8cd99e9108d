/**
 * The Linux side of the conformance suite: find QEMU, a kernel and gcc,
 * build the probe's initramfs and run conformance programs on a real
 * Linux kernel.
 */
export { type CpioEntry, type ParsedCpioEntry, parseCpio, writeCpio } from './cpio.ts';
export {
  collectRun,
  KERNEL_COMMAND_LINE,
  type LinuxProgram,
  type LinuxRun,
  parseProbeOutput,
  type RunOnLinuxOptions,
  runOnLinux,
} from './qemu.ts';
export { findLinuxToolchain, type LinuxToolchain, type MissingLinuxToolchain } from './toolchain.ts';
