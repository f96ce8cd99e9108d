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
type Holder = { [KEY]?: Map<string, Promise<VisibleTestsBundle>> };

/** Bundles kept per process: the versions learners are working on, not every version ever asked for. */
const KEPT = 64;

/** null when the database has no such version of that exercise. */
export async function visibleTestsOf(
  db: Db,
  exerciseId: string,
  hash: string,
): Promise<VisibleTestsBundle | null> {
  // Only a version that exists gets a place in the cache: a request for a
  // made-up one must not cost the process memory.
  const version = await db.exercises.versionSummary(hash);
  if (version === null || version.id !== exerciseId) return null;
  const holder = globalThis as Holder;
  holder[KEY] ??= new Map();
  const cache = holder[KEY];
  const key = `${exerciseId}@${hash}`;
  let bundle = cache.get(key);
  if (bundle === undefined) {
    bundle = (async () => {
      const { versionFolder } = await loadWorkerModule();
      const dir = await versionFolder(db, join(readConfig().dataDir, 'exercise-versions'), exerciseId, hash);
      if (dir === null) throw new Error(`version ${hash} of ${exerciseId} has no files`);
      return bundleVisibleTests(dir);
    })();
    // A failure is not kept: the next Run tries again.
    bundle.catch(() => cache.delete(key));
    cache.set(key, bundle);
    // Least recently added goes first (Map keeps insertion order).
    for (const old of cache.keys()) {
      if (cache.size <= KEPT) break;
      cache.delete(old);
    }
  }
  return bundle;
}
