/**
 * A scenario that cannot be run: a bad file, a step the kernel refused, a
 * hook that failed. The message names the step and the field where it can,
 * so an author can fix the file from the message alone.
 */
export class ScenarioError extends Error {
  override name = 'ScenarioError';
}
