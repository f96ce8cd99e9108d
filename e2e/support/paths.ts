/** Where things are, from this workspace's folder: the tests run against the repository they live in. */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The folder at or above `from` that holds pnpm-workspace.yaml: the checkout the tests run against. */
function workspaceRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'pnpm-workspace.yaml'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no pnpm-workspace.yaml at or above ${from}`);
  }
}

/** The repository's root folder. */
export const REPO = workspaceRoot(dirname(fileURLToPath(import.meta.url)));
/** This workspace's folder (e2e/). */
export const E2E = join(REPO, 'e2e');
/** The workspace's own exercises: what a server serves unless a test adds its own. */
export const EXERCISES = join(REPO, 'exercises');
/** Exercises that exist only for these tests (blocking-grade). */
export const E2E_EXERCISES = join(E2E, 'exercises');
/** Screenshots, traces and failure artifacts (gitignored). */
export const ARTIFACTS = join(E2E, 'e2e-artifacts');

/** A file of an exercise folder under exercises/, as text. */
export function exerciseFile(exercise: string, file: string): string {
  return readFileSync(join(EXERCISES, exercise, file), 'utf8');
}
