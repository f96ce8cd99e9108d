// Every shipped example scenario, on every architecture its `archs` say its
// concept applies to, with the kernel's invariants checked after each step —
// not only at the end, where a later step could hide an earlier corruption.
// A scenario that replaces hooks may be showing what a broken one does (an
// empty TLB flush leaves stale entries on purpose): it must end consistent.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  archsOf,
  bootSession,
  formatOfFileName,
  hookFilesOf,
  onArch,
  parseScenarioText,
  runOn,
} from '@faultline/scenario';
import { checkInvariants } from '@faultline/vm-core';
import { describe, expect, test } from 'vitest';
import { loadHookFiles } from './commands/sim-hook-files.ts';

const folder = join(dirname(fileURLToPath(import.meta.url)), '..', 'scenarios');
const files = readdirSync(folder).filter((f) => /\.(ya?ml|json)$/.test(f));

describe.each(files)('%s', (file) => {
  const path = join(folder, file);
  const scenario = parseScenarioText(readFileSync(path, 'utf8'), formatOfFileName(file));
  test.each(archsOf(scenario))('on %s: every step leaves the kernel consistent', async (arch) => {
    const onThis = onArch(scenario, arch);
    const hookFiles = hookFilesOf(onThis);
    const hooks = hookFiles.size > 0 ? await loadHookFiles(hookFiles, path) : null;
    try {
      const options = hooks === null ? {} : { resolveHookFile: hooks.resolve };
      const session = bootSession(onThis, options);
      const broken: string[] = [];
      let index = 0;
      const report = runOn(session, onThis, options, {
        begin: (i) => {
          index = i;
        },
        end: () => {
          for (const problem of checkInvariants(session.kernel))
            broken.push(`after step ${index}: ${problem}`);
        },
      });
      expect(report.arch).toBe(arch);
      expect(report.stopped).toBeNull();
      const replacesHooks = onThis.hooks !== undefined || onThis.steps.some((step) => step.kind === 'hook');
      expect(replacesHooks ? report.invariants : broken).toEqual([]);
    } finally {
      hooks?.dispose();
    }
  });
});
