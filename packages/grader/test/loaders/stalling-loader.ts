// An exercise loader for watchdog tests. `<dir>?stall=<where>` loads `<dir>`
// normally but stalls the grading job for good — a busy loop that only the
// pool's watchdog ends — at one point:
//   stall=test-N   in the body of test N (0-based), after tests 0..N-1 finished
//   stall=report   after the last test, while the runner builds the report
// With `&once=<file>` only the first worker to load the exercise stalls: it
// creates <file> as it loads (before any test runs, so before any progress
// reaches the host), and a later load (the retry, on a fresh worker) finds
// the file and runs through.
import { existsSync, writeFileSync } from 'node:fs';
import { loadExercise as load, readExercise as read } from '../../src/exercise/load.ts';

function parse(dir: string): { dir: string; stall: string | null; once: string | null } {
  const at = dir.indexOf('?');
  if (at < 0) return { dir, stall: null, once: null };
  const query = new URLSearchParams(dir.slice(at + 1));
  return { dir: dir.slice(0, at), stall: query.get('stall'), once: query.get('once') };
}

function stallForGood(): never {
  for (;;) {
    // stuck outside the learner's code: no step budget can stop this
  }
}

export function readExercise(dir: string) {
  return read(parse(dir).dir);
}

export async function loadExercise(spec: string) {
  const { dir, stall, once } = parse(spec);
  const exercise = await load(dir);
  if (stall === null) return exercise;
  const stalls = once === null || !existsSync(once);
  if (once !== null && stalls) writeFileSync(once, 'stalls once\n');
  const armed = () => stalls;
  let lastTestDone = false;
  const tests = exercise.tests.map((test, index) => ({
    ...test,
    body: (ctx: Parameters<typeof test.body>[0]) => {
      if (stall === `test-${index}` && armed()) stallForGood();
      test.body(ctx);
      if (index === exercise.tests.length - 1) lastTestDone = true;
    },
  }));
  return {
    ...exercise,
    tests,
    get id() {
      // Read for the plan, and again for the report once the tests are done.
      if (stall === 'report' && lastTestDone && armed()) stallForGood();
      return exercise.id;
    },
  };
}
