// biome-ignore-all lint: a hostile fixture, written the way a hostile learner would write it.
// @ts-nocheck: graded as text by test/hostile.test.ts, never imported; it is ill-typed on purpose.
/*
 * Tries: to import the reference solution (`../solution`) and re-export its hook.
 * Must: modules are not available in the sandbox: the load fails; overall status error, score 0.
 */
export { anonymousFault } from '../solution';
