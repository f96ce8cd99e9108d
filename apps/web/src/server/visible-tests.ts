/**
 * An exercise version's visible tests, bundled for the browser's Run by the
 * grader (`bundleVisibleTests`, which refuses a bundle that would carry the
 * solution, the hidden tests or a mutant), once per version and process:
 * a version never changes, so its bundle never does.
 */
import { join } from 'node:path';
import type { Db } from '@faultline/db';
import { bundleVisibleTests, type VisibleTestsBundle } from '@faultline/grader/browser';
import { readConfig } from './config.ts';
import { loadWorkerModule } from './worker-module.ts';

const KEY = Symbol.for('faultline.web.visible-tests');
type Holder = { [KEY]?: Map<string, Promise<VisibleTestsBundle | null>> };

/** null when the database has no such version of that exercise. */
export function visibleTestsOf(db: Db, exerciseId: string, hash: string): Promise<VisibleTestsBundle | null> {
  const holder = globalThis as Holder;
  holder[KEY] ??= new Map();
  const cache = holder[KEY];
  const key = `${exerciseId}@${hash}`;
  let bundle = cache.get(key);
  if (bundle === undefined) {
    bundle = (async () => {
      const version = await db.exercises.versionSummary(hash);
      if (version === null || version.id !== exerciseId) return null;
      const { versionFolder } = await loadWorkerModule();
      const dir = await versionFolder(db, join(readConfig().dataDir, 'exercise-versions'), exerciseId, hash);
      return dir === null ? null : bundleVisibleTests(dir);
    })();
    // A failure is not kept: the next Run tries again.
    bundle.catch(() => cache.delete(key));
    cache.set(key, bundle);
  }
  return bundle;
}
