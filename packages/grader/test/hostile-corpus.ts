/**
 * The hostile corpus: submissions to page-fault-handler (the grader's own
 * copy, see fixture-exercise.ts) under
 * test/hostile/<expected report status>/<cause>/<name>.ts (or .ts.txt for
 * files that must not parse). Read by hostile.test.ts (their properties) and
 * by the verdict-stability test (their committed reports).
 */
import { readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { filesUnder } from '../src/testing.ts';
import { FIXTURE_DIR, FIXTURE_ID } from './fixture-exercise.ts';

export const HOSTILE_DIR = new URL('./hostile', import.meta.url).pathname;
/** The exercise the corpus attacks: its id, and its folder. */
export const HOSTILE_TARGET = FIXTURE_ID;
export const HOSTILE_TARGET_DIR = FIXTURE_DIR;

export interface HostileFixture {
  /** Path inside test/hostile, e.g. `timeout/loop/infinite-loop-in-hook.ts`. */
  readonly name: string;
  readonly source: string;
}

export function hostileFixtures(): HostileFixture[] {
  return filesUnder(HOSTILE_DIR)
    .filter((path) => path.endsWith('.ts') || path.endsWith('.ts.txt'))
    .map((path) => relative(HOSTILE_DIR, path).split(sep).join('/'))
    .sort()
    .map((name) => ({ name, source: readFileSync(join(HOSTILE_DIR, name), 'utf8') }));
}
