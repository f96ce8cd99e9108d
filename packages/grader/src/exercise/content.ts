/**
 * An exercise folder as content: every file by its relative path, and the
 * hash that names this version of it. The web app stores versions by hash
 * (a report records the hash it was graded against), an upload arrives as
 * content, and a grading worker on any machine writes a version back out as
 * a folder to grade from. The same limits apply however the content came.
 */
import { createHash, randomUUID } from 'node:crypto';
import { lstat, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, posix } from 'node:path';

/** What an exercise folder may hold: beyond this it is not an exercise but a mistake (or an attack). */
export const EXERCISE_CONTENT_LIMITS = {
  files: 200,
  bytesPerFile: 1024 * 1024,
  bytesTotal: 4 * 1024 * 1024,
  pathLength: 200,
} as const;

/** Every file of an exercise folder, by POSIX relative path (`tests/hidden.ts`), as UTF-8 text. */
export type ExerciseContentFiles = Readonly<Record<string, string>>;

export interface ExerciseContent {
  readonly files: ExerciseContentFiles;
  /** sha256 (hex) of the files, paths and contents, in path order. */
  readonly hash: string;
}

export type ContentProblem = { readonly path: string; readonly message: string };

export type ContentResult =
  | { readonly kind: 'ok'; readonly content: ExerciseContent }
  | { readonly kind: 'err'; readonly problems: readonly ContentProblem[] };

/** Folders no exercise holds that tools leave behind; skipped when a folder is read. */
const IGNORED_NAMES = new Set(['node_modules', '.git', '.DS_Store', '.turbo', 'dist', 'test-results.json']);

const SAFE_SEGMENT = /^[A-Za-z0-9._-]+$/;

/**
 * Why a relative path cannot name a file of an exercise, or null: only plain
 * names (letters, digits, `.`, `_`, `-`), no `..`, no absolute path, no
 * hidden file, so no archive entry can land outside its folder.
 */
export function pathProblem(path: string): string | null {
  if (path.length === 0) return 'an empty path';
  if (path.length > EXERCISE_CONTENT_LIMITS.pathLength)
    return `the path is longer than ${EXERCISE_CONTENT_LIMITS.pathLength} characters`;
  if (path.startsWith('/') || path.includes('\\')) return 'only relative paths with / are allowed';
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.' || segment === '..') return 'the path has an empty, . or .. part';
    if (segment.startsWith('.')) return 'hidden files (names starting with .) are not part of an exercise';
    if (!SAFE_SEGMENT.test(segment)) return 'names may hold only letters, digits, ., _ and -';
  }
  return null;
}

/** The content hash of a set of files: the same files give the same hash on every machine. */
export function contentHash(files: ExerciseContentFiles): string {
  const hash = createHash('sha256');
  for (const path of Object.keys(files).sort()) {
    hash.update(path);
    hash.update('\0');
    hash.update(files[path] ?? '');
    hash.update('\0');
  }
  return hash.digest('hex');
}

/**
 * Checks a set of files against the limits and path rules and names the
 * version; an archive's entries go through here as a folder's files do.
 */
export function exerciseContent(entries: Iterable<readonly [string, string]>): ContentResult {
  const problems: ContentProblem[] = [];
  const files: Record<string, string> = {};
  let total = 0;
  let count = 0;
  for (const [path, text] of entries) {
    count += 1;
    const problem = pathProblem(path);
    if (problem !== null) {
      problems.push({ path, message: problem });
      continue;
    }
    if (Object.hasOwn(files, path)) {
      problems.push({ path, message: 'the file appears twice' });
      continue;
    }
    const bytes = Buffer.byteLength(text, 'utf8');
    if (bytes > EXERCISE_CONTENT_LIMITS.bytesPerFile)
      problems.push({
        path,
        message: `${bytes} bytes; a file may hold ${EXERCISE_CONTENT_LIMITS.bytesPerFile}`,
      });
    total += bytes;
    files[path] = text;
  }
  if (count > EXERCISE_CONTENT_LIMITS.files)
    problems.push({
      path: '.',
      message: `${count} files; an exercise may hold ${EXERCISE_CONTENT_LIMITS.files}`,
    });
  if (total > EXERCISE_CONTENT_LIMITS.bytesTotal)
    problems.push({
      path: '.',
      message: `${total} bytes in all; an exercise may hold ${EXERCISE_CONTENT_LIMITS.bytesTotal}`,
    });
  if (problems.length > 0) return { kind: 'err', problems };
  return { kind: 'ok', content: { files, hash: contentHash(files) } };
}

/**
 * Reads an exercise folder as content. Links are refused rather than
 * followed (a folder from a course's repository must not reach outside it),
 * and so is anything that is not a plain file or folder.
 */
export async function readExerciseContent(dir: string): Promise<ContentResult> {
  const entries: [string, string][] = [];
  const problems: ContentProblem[] = [];
  const walk = async (relative: string): Promise<void> => {
    const names = (await readdir(join(dir, relative))).sort();
    for (const name of names) {
      if (IGNORED_NAMES.has(name)) continue;
      const path = relative === '' ? name : posix.join(relative, name);
      const stats = await lstat(join(dir, path));
      if (stats.isSymbolicLink()) problems.push({ path, message: 'links are not allowed in an exercise' });
      else if (stats.isDirectory()) await walk(path);
      else if (stats.isFile()) {
        if (stats.size > EXERCISE_CONTENT_LIMITS.bytesPerFile)
          problems.push({
            path,
            message: `${stats.size} bytes; a file may hold ${EXERCISE_CONTENT_LIMITS.bytesPerFile}`,
          });
        else entries.push([path, await readFile(join(dir, path), 'utf8')]);
      } else problems.push({ path, message: 'only plain files and folders are allowed' });
      if (entries.length + problems.length > EXERCISE_CONTENT_LIMITS.files) {
        problems.push({ path: '.', message: `more than ${EXERCISE_CONTENT_LIMITS.files} files` });
        return;
      }
    }
  };
  await walk('');
  const checked = exerciseContent(entries);
  if (problems.length === 0) return checked;
  return { kind: 'err', problems: [...problems, ...(checked.kind === 'err' ? checked.problems : [])] };
}

/**
 * Writes content out as the folder `dir` (its last part must be the
 * exercise's id), all at once: into a sibling temporary folder first, then
 * renamed into place, so no reader ever sees half a version. An existing
 * `dir` is left as it is — a version's folder never changes, its name is
 * its hash's.
 */
export async function writeExerciseContent(content: ExerciseContent, dir: string): Promise<void> {
  if (await exists(dir)) return;
  const staging = join(dirname(dir), `.staging-${randomUUID()}`);
  try {
    await mkdir(staging, { recursive: true });
    for (const [path, text] of Object.entries(content.files)) {
      const problem = pathProblem(path);
      if (problem !== null) throw new Error(`cannot write ${JSON.stringify(path)}: ${problem}`);
      await mkdir(dirname(join(staging, path)), { recursive: true });
      await writeFile(join(staging, path), text, 'utf8');
    }
    await mkdir(dirname(dir), { recursive: true });
    try {
      await rename(staging, dir);
    } catch (error) {
      // Another worker wrote the same version first: its folder is as good as ours.
      if (!(await exists(dir))) throw error;
    }
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch {
    return false;
  }
}
