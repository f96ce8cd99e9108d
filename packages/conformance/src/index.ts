/**
 * @faultline/conformance: the simulator checked against Linux itself. Each
 * case (cases/*.yaml) is a scenario a user program can perform; it runs on
 * the simulator and, through a C probe booted under QEMU, on Debian's Linux
 * 6.1; everything the program can observe is compared (suite.ts).
 */
export {
  CASE_ARCHS,
  CASES_DIR,
  type ConformanceCase,
  loadCases,
  PROBED_STEPS,
  parseCase,
} from './case-file.ts';
export type { ComparedCase, ComparedStep, FieldDifference, Verdict } from './compare.ts';
export { CaseError } from './errors.ts';
export { type KnownDifference, loadKnownDifferences } from './known-differences.ts';
export { findLinuxToolchain } from './linux/index.ts';
export type { CaseArch } from './observation.ts';
export { programOf } from './program.ts';
export { conformanceJson, formatConformance } from './report.ts';
export {
  type Counts,
  type LinuxSource,
  MAX_SKIPS,
  runConformance,
  runConformanceOnEach,
  type SuiteOptions,
  type SuiteResult,
} from './suite.ts';
