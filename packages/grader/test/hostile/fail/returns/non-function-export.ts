// biome-ignore-all lint: a hostile fixture, written the way a hostile learner would write it.
// @ts-nocheck: graded as text by test/hostile.test.ts, never imported; it is ill-typed on purpose.
/*
 * Tries: exporting anonymousFault as a constant object that looks like a correct outcome rather than a function.
 * (Current message, a wording bug in packages/grader/src/runner/run.ts: "Your anonymousFault The module
 * does not export a function named …": describeVerdict's MissingExport case is not the rest of a sentence.)
 * Must: the export exists, so tests run, but calling it fails; each test is an error; overall status fail, score 0.
 */
export const anonymousFault = { kind: 'resolved', resolution: 'zero-page' };
