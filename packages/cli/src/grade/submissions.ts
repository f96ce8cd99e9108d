/**
 * Which submissions a `faultline grade` command line names, and what each is
 * called. A path is a submission file (any `.ts`), or a folder of
 * submissions: each `.ts` file directly in it is one (named for the file),
 * and so is each subfolder that holds one (named for the folder). Hidden
 * entries (`.git`, `.DS_Store`) and other files are ignored; the order is by
 * name, so the same folder is always graded and summarised the same way.
 *
 * A subfolder whose solution cannot be told (no `.ts` file, or several and
 * none named `solution.ts`), or that cannot be read, is still a submission —
 * one that cannot be graded, with the reason — so a class's summary lists
 * every student. Symlinks are followed.
 */
import { readdir, stat } from 'node:fs/promises';
import { basename, join, resolve, sep } from 'node:path';

export type Submission =
  /** A file to grade. */
  | { readonly kind: 'file'; readonly name: string; readonly file: string }
  /** A folder in which no single solution file could be found. */
  | { readonly kind: 'unusable'; readonly name: string; readonly path: string; readonly reason: string };

/** A submission before it has its name (names depend on all the paths). */
type Unnamed = Submission extends infer S ? (S extends Submission ? Omit<S, 'name'> : never) : never;

/** The file a folder's single solution is in, when several `.ts` files sit beside it. */
const PREFERRED = 'solution.ts';

/** Folders in a class folder that are never a student's. */
const NEVER_SUBMISSIONS = new Set(['node_modules']);

export interface CollectOptions {
  /** Folders to leave out wherever they appear (the --out folder, when it lies inside a class folder). */
  readonly skip?: readonly string[];
}

/**
 * Every submission the paths name, in order (a folder's in name order). A
 * path or entry that cannot be read — a dangling symlink, a name the file
 * system will not open, a folder without a solution — is a submission that
 * cannot be graded, with the reason; nothing is dropped without a word, and
 * nothing aborts the rest. The same file named twice is graded once.
 */
export async function collectSubmissions(
  paths: readonly string[],
  options: CollectOptions = {},
): Promise<readonly Submission[]> {
  const skip = new Set((options.skip ?? []).map((p) => resolve(p)));
  const found: { path: string; submission: Unnamed }[] = [];
  for (const path of paths) {
    const kind = await kindOf(path);
    if (kind.kind === 'dir') {
      const inFolder = await folderSubmissions(path, skip);
      if (inFolder.length > 0) found.push(...inFolder);
      else
        found.push({
          path,
          submission: {
            kind: 'unusable',
            path,
            reason: 'the folder holds no submissions (no .ts file, and no folder holding one)',
          },
        });
    } else {
      // A file, or nothing there: a submission either way (one that cannot be read says so in its report).
      found.push({ path, submission: { kind: 'file', file: path } });
    }
  }
  const seen = new Set<string>();
  const distinct = found.filter((f) => {
    const key = resolve(f.submission.kind === 'file' ? f.submission.file : f.submission.path);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  const names = uniqueNames(distinct.map((f) => f.path));
  return distinct.map((f, i): Submission => ({ ...f.submission, name: names[i] ?? f.path }));
}

type Kind = { kind: 'file' } | { kind: 'dir' } | { kind: 'other' } | { kind: 'unreadable'; code: string };

/** What is at `path`, following symlinks (a student's folder may well be a link). */
async function kindOf(path: string): Promise<Kind> {
  try {
    const info = await stat(path);
    return info.isDirectory() ? { kind: 'dir' } : info.isFile() ? { kind: 'file' } : { kind: 'other' };
  } catch (error) {
    return { kind: 'unreadable', code: (error as NodeJS.ErrnoException).code ?? 'error' };
  }
}

async function listNames(dir: string): Promise<string[] | { code: string }> {
  try {
    return (await readdir(dir))
      .filter((name) => !name.startsWith('.'))
      .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  } catch (error) {
    return { code: (error as NodeJS.ErrnoException).code ?? 'error' };
  }
}

async function folderSubmissions(dir: string, skip: ReadonlySet<string>) {
  const out: { path: string; submission: Unnamed }[] = [];
  const unusable = (path: string, reason: string) =>
    out.push({ path, submission: { kind: 'unusable', path, reason } });
  const names = await listNames(dir);
  if (!Array.isArray(names)) {
    unusable(dir, `the folder cannot be read (${names.code})`);
    return out;
  }
  for (const name of names) {
    const path = join(dir, name);
    if (skip.has(resolve(path)) || NEVER_SUBMISSIONS.has(name)) continue;
    const kind = await kindOf(path);
    if (kind.kind === 'unreadable') {
      // A dangling link, or a name (not UTF-8) that cannot be opened as it was listed.
      if (isSource(name) || !name.includes('.')) unusable(path, `cannot be read (${kind.code})`);
      continue;
    }
    if (kind.kind === 'file') {
      if (isSource(name)) out.push({ path, submission: { kind: 'file', file: path } });
      continue;
    }
    if (kind.kind !== 'dir') continue;
    const inside = await listNames(path);
    if (!Array.isArray(inside)) {
      unusable(path, `the folder cannot be read (${inside.code})`);
      continue;
    }
    const files: string[] = [];
    for (const n of inside.filter(isSource)) if ((await kindOf(join(path, n))).kind === 'file') files.push(n);
    const preferred = files.find((f) => f.toLowerCase() === PREFERRED);
    const chosen = files.length === 1 ? files[0] : preferred;
    if (chosen !== undefined) out.push({ path, submission: { kind: 'file', file: join(path, chosen) } });
    else if (files.length > 1)
      unusable(
        path,
        `the folder holds ${files.length} .ts files (${files.join(', ')}) and none is named ${PREFERRED}: put the solution in one file, or name it ${PREFERRED}`,
      );
    else if (inside.length === 0) unusable(path, 'the folder is empty: nothing was handed in');
    else
      unusable(
        path,
        `the folder holds no .ts file (it holds ${inside.slice(0, 5).join(', ')}${inside.length > 5 ? ', …' : ''})`,
      );
  }
  return out;
}

function isSource(name: string): boolean {
  const lower = name.toLowerCase();
  return lower.endsWith('.ts') && !lower.endsWith('.d.ts');
}

/**
 * A name for each path: its last component without `.ts`, with as many
 * parent folders as it takes to tell apart paths that end alike
 * (`alice/solution.ts` and `bob/solution.ts` are `alice/solution` and
 * `bob/solution`).
 */
export function uniqueNames(paths: readonly string[]): string[] {
  const split = (p: string) =>
    p
      .split(sep)
      .filter((s) => s !== '' && s !== '.')
      .map((s, i, all) => (i === all.length - 1 ? s.replace(/\.ts$/i, '') : s));
  // The same path given twice cannot be told apart by its folders: it gets a counter below.
  const distinct = [...new Set(paths.map((p) => split(p).join('/')))];
  const parts = distinct.map((p) => p.split('/'));
  const depth = parts.map(() => 1);
  const nameOf = (i: number) => (parts[i] ?? []).slice(-(depth[i] ?? 1)).join('/');
  for (let grew = true; grew; ) {
    grew = false;
    const byName = new Map<string, number[]>();
    parts.forEach((_, i) => {
      byName.set(nameOf(i), [...(byName.get(nameOf(i)) ?? []), i]);
    });
    for (const group of byName.values()) {
      if (group.length < 2) continue;
      for (const i of group) {
        if ((depth[i] ?? 1) < (parts[i]?.length ?? 0)) {
          depth[i] = (depth[i] ?? 1) + 1;
          grew = true;
        }
      }
    }
  }
  const names = new Map(distinct.map((p, i) => [p, nameOf(i) || basename(p)]));
  const seen = new Map<string, number>();
  return paths.map((p) => {
    const name = names.get(split(p).join('/')) ?? p;
    const n = (seen.get(name) ?? 0) + 1;
    seen.set(name, n);
    return n === 1 ? name : `${name} (${n})`;
  });
}
