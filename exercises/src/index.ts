export {
  EXERCISES_DIR,
  type Exercise,
  type ExerciseFiles,
  ExerciseLoadError,
  listExercises,
  loadExercise,
  readExercise,
} from './load.ts';
export { type ExerciseMeta, ExerciseMetaSchema } from './schema.ts';
