/** The CLI's grading worker as a library (`@faultline/cli/worker`): the web app's embedded default runs it in its process. */

export { firstInstructorCommand } from '../commands/user.ts';
export {
  type GradingWorker,
  type GradingWorkerOptions,
  startGradingWorker,
  versionFolder,
} from './grading-worker.ts';
export { type FolderValidation, validateExerciseFolder } from './validate.ts';
