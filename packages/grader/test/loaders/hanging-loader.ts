// An exercise loader whose tests never finish loading (a test module stuck at
// its top level): only the pool's watchdog ends the job. Its metadata reads
// fine, through the real loader.
export { readExercise } from '../../src/exercise/load.ts';

export function loadExercise(): Promise<never> {
  for (;;) {
    // stuck, as a test module with an endless top-level loop would be
  }
}
