/**
 * The hostile corpus: submissions to page-fault-handler under
 * test/hostile/<expected report status>/<cause>/<name>.ts (or .ts.txt for
 * files that must not parse). Read by hostile.test.ts (their properties) and
 * by the verdict-stability test (their committed reports).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

export const HOSTILE_DIR = new URL('./hostile', import.meta.url).pathname;
/** The exercise the corpus attacks. */
export const HOSTILE_TARGET = 'page-fault-handler';

export interface HostileFixture {
  /** Path inside test/hostile, e.g. `timeout/loop/infinite-loop-in-hook.ts`. */
  readonly name: string;
  readonly source: string;
}

export function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? filesUnder(path) : [path];
  });
}

export function hostileFixtures(): HostileFixture[] {
  return filesUnder(HOSTILE_DIR)
    .filter((path) => path.endsWith('.ts') || path.endsWith('.ts.txt'))
    .map((path) => relative(HOSTILE_DIR, path).split(sep).join('/'))
    .sort()
    .map((name) => ({ name, source: readFileSync(join(HOSTILE_DIR, name), 'utf8') }));
}
