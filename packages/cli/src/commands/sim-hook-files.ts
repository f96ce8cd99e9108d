/**
 * Hook files named by a scenario (`hooks: { cowBreak: { file: mine.ts } }`),
 * loaded the way a learner's submission is graded: transpiled, then run in
 * a sandbox of their own through the grader's kernel bridge, with the
 * sandbox's default limits. The scenario runner gets only the host-side hook
 * functions; the code itself never runs in this process's realm.
 *
 * Paths are relative to the scenario file, so a scenario and its hooks can
 * travel together.
 */
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { HookName, ResolveHookFile } from '@faultline/scenario';
import { ScenarioError } from '@faultline/scenario';
import type { KernelHooks } from '@faultline/vm-core';

export interface LoadedHookFiles {
  readonly resolve: ResolveHookFile;
  /** Ends every sandbox; call it once the run is over. */
  dispose(): void;
}

/** Loads each file with the hooks asked of it; throws ScenarioError naming the file when one cannot be loaded. */
export async function loadHookFiles(
  files: ReadonlyMap<string, readonly HookName[]>,
  scenarioFile: string,
): Promise<LoadedHookFiles> {
  const [{ describeVerdict, loadLearnerHooks }, { transpile }] = await Promise.all([
    import('@faultline/grader'),
    import('@faultline/sandbox'),
  ]);
  const loaded = new Map<string, Partial<KernelHooks>>();
  const sandboxes: { dispose(): void }[] = [];
  const dispose = () => {
    for (const sandbox of sandboxes) sandbox.dispose();
  };
  try {
    for (const [file, names] of files) {
      const path = resolve(dirname(scenarioFile), file);
      let source: string;
      try {
        source = await readFile(path, 'utf8');
      } catch (error) {
        throw new ScenarioError(
          `hook file "${file}": cannot read it (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
        );
      }
      const compiled = await transpile(source, { filename: file });
      if (compiled.kind === 'compile-error') {
        const first = compiled.errors[0];
        const where = first === undefined ? '' : `${first.line}:${first.column}: ${first.message}`;
        throw new ScenarioError(`hook file "${file}" does not compile: ${where}`);
      }
      const result = await loadLearnerHooks(compiled.code, names);
      sandboxes.push(result.sandbox);
      if (result.kind === 'load-failed') {
        throw new ScenarioError(`hook file "${file}" failed to load: it ${describeVerdict(result.failure)}`);
      }
      const missing = names.filter((name) => !result.exports.includes(name));
      if (missing.length > 0) {
        const exported = result.exports.length === 0 ? 'nothing' : result.exports.join(', ');
        throw new ScenarioError(
          `hook file "${file}" does not export ${missing.join(', ')}, which the scenario asks of it; it exports ${exported}`,
        );
      }
      loaded.set(file, result.hooks);
    }
  } catch (error) {
    dispose();
    throw error;
  }
  return {
    resolve: (file) => loaded.get(file) ?? {},
    dispose,
  };
}
