// An exercise loader for watchdog tests: `<dir>?slow-report` loads `<dir>`
// normally, but the exercise's id then takes 10 s to read the second time,
// which is when the runner builds the report after the last test finished.
import { loadExercise as load, readExercise as read } from '../../../../exercises/src/load.ts';

const SUFFIX = '?slow-report';

export function readExercise(dir: string) {
  return read(dir.endsWith(SUFFIX) ? dir.slice(0, -SUFFIX.length) : dir);
}

export async function loadExercise(dir: string) {
  if (!dir.endsWith(SUFFIX)) return await load(dir);
  const exercise = await load(dir.slice(0, -SUFFIX.length));
  let reads = 0;
  return {
    ...exercise,
    get id() {
      reads += 1;
      if (reads === 2) {
        const end = Date.now() + 10_000;
        while (Date.now() < end) {
          // stuck after the tests, while the report is built
        }
      }
      return exercise.id;
    },
  };
}
