export { EXERCISES_DIR, type Exercise, ExerciseLoadError, listExercises, loadExercise } from './load.ts';
export { type ExerciseMeta, ExerciseMetaSchema } from './schema.ts';
