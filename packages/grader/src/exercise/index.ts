/**
 * The exercise format: what an exercise folder holds, the schema of its
 * exercise.json, and the loader that reads and checks a folder. Content lives
 * elsewhere (the workspace's `exercises/`, an instructor's own repository);
 * the format is the grader's, because grading is what it describes.
 */
export {
  type ContentProblem,
  type ContentResult,
  contentHash,
  EXERCISE_CONTENT_LIMITS,
  type ExerciseContent,
  type ExerciseContentFiles,
  exerciseContent,
  pathProblem,
  readExerciseContent,
  writeExerciseContent,
} from './content.ts';
export {
  type Exercise,
  type ExerciseFiles,
  ExerciseLoadError,
  listExercises,
  loadExercise,
  readExercise,
} from './load.ts';
export { type ExerciseMeta, ExerciseMetaSchema } from './schema.ts';
