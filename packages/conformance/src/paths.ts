/**
 * Where this package's files are: the cases, the reviewed list, Linux's
 * recorded results and the probe's source. One module owns the package's
 * location, so a bundle (the CLI's) has one `import.meta.url` to point back
 * here (packages/cli/build.mjs).
 */
import { fileURLToPath } from 'node:url';

const root = new URL('../', import.meta.url);
const at = (path: string) => fileURLToPath(new URL(path, root));

export const PACKAGE_PATHS = {
  cases: at('cases/'),
  knownDifferences: at('known-differences.yaml'),
  /** Linux's results on each architecture (x86-64 kept its name from before arm64 was compared). */
  recorded: at('linux-results.json'),
  recordedArm64: at('linux-results-arm64.json'),
  probeSource: at('linux/probe.c'),
  /** Where the bootstrap unpacks Debian's arm64 kernel (package.json's faultline.unpackedPackages). */
  arm64Boot: at('../../.tools/arm64/boot/'),
} as const;
