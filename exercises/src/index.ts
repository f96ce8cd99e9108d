/**
 * The workspace's exercises: where their folders are and which there are.
 * The folders are content, read as data; what a folder must hold and how it
 * is read (the schema, the loader) is the exercise format, which belongs to
 * the grader (`@faultline/grader/exercise`).
 */
import { resolve } from 'node:path';
import { listExercises as listExerciseFolders } from '@faultline/grader/exercise';

/** The folder holding every exercise of the workspace (this package's root). */
export const EXERCISES_DIR = resolve(import.meta.dirname, '..');

/** The ids of the exercises under `root` (default: the workspace's), sorted. */
export function listExercises(root: string = EXERCISES_DIR): Promise<string[]> {
  return listExerciseFolders(root);
}
