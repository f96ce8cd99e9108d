/**
 * Which submissions a `faultline grade` command line names, and what each is
 * called. A path is a submission file (any `.ts`), or a folder of
 * submissions: each `.ts` file directly in it is one (named for the file),
 * and so is each subfolder that holds one (named for the folder). Hidden
 * entries (`.git`, `.DS_Store`) and other files are ignored; the order is by
 * name, so the same folder is always graded and summarised the same way.
 *
 * A subfolder whose solution cannot be told (no `.ts` file, or several and
 * none named `solution.ts`) is still a submission — one that cannot be
 * graded, with the reason — so a class's summary lists every student.
 */
import { readdir, stat } from 'node:fs/promises';
import { basename, join, sep } from 'node:path';

export type Submission =
  /** A file to grade. */
  | { readonly kind: 'file'; readonly name: string; readonly file: string }
  /** A folder in which no single solution file could be found. */
  | { readonly kind: 'unusable'; readonly name: string; readonly path: string; readonly reason: string };

/** A submission before it has its name (names depend on all the paths). */
type Unnamed = Submission extends infer S ? (S extends Submission ? Omit<S, 'name'> : never) : never;

export type Collected =
  | { readonly kind: 'ok'; readonly submissions: readonly Submission[] }
  | { readonly kind: 'err'; readonly message: string };

/** The file a folder's single solution is in, when several `.ts` files sit beside it. */
const PREFERRED = 'solution.ts';

export async function collectSubmissions(paths: readonly string[]): Promise<Collected> {
  const found: { path: string; submission: Unnamed }[] = [];
  for (const path of paths) {
    let isDirectory: boolean;
    try {
      isDirectory = (await stat(path)).isDirectory();
    } catch {
      // Not there: still a submission, one that cannot be read (its report says so).
      found.push({ path, submission: { kind: 'file', file: path } });
      continue;
    }
    if (!isDirectory) {
      found.push({ path, submission: { kind: 'file', file: path } });
      continue;
    }
    const inFolder = await folderSubmissions(path);
    if (inFolder.length === 0)
      return {
        kind: 'err',
        message: `${path} holds no submissions (no .ts file, and no folder holding one)`,
      };
    for (const entry of inFolder) found.push(entry);
  }
  const names = uniqueNames(found.map((f) => f.path));
  return {
    kind: 'ok',
    submissions: found.map((f, i): Submission => ({ ...f.submission, name: names[i] ?? f.path })),
  };
}

async function folderSubmissions(dir: string) {
  const entries = (await readdir(dir, { withFileTypes: true }))
    .filter((e) => !e.name.startsWith('.'))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const out: { path: string; submission: Unnamed }[] = [];
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isFile() && isSource(entry.name)) {
      out.push({ path, submission: { kind: 'file', file: path } });
    } else if (entry.isDirectory()) {
      const files = (await readdir(path, { withFileTypes: true }))
        .filter((e) => e.isFile() && !e.name.startsWith('.') && isSource(e.name))
        .map((e) => e.name)
        .sort();
      const chosen = files.length === 1 ? files[0] : files.includes(PREFERRED) ? PREFERRED : undefined;
      if (chosen !== undefined) {
        out.push({ path, submission: { kind: 'file', file: join(path, chosen) } });
      } else if (files.length === 0) {
        // A folder of something else (notes, fixtures) is not a submission; an empty one is a student with nothing handed in.
        const anything = (await readdir(path)).some((n) => !n.startsWith('.'));
        if (!anything)
          out.push({
            path,
            submission: { kind: 'unusable', path, reason: 'the folder is empty: nothing was handed in' },
          });
      } else {
        out.push({
          path,
          submission: {
            kind: 'unusable',
            path,
            reason: `the folder holds ${files.length} .ts files (${files.join(', ')}) and none is named ${PREFERRED}: put the solution in one file, or name it ${PREFERRED}`,
          },
        });
      }
    }
  }
  return out;
}

function isSource(name: string): boolean {
  return name.endsWith('.ts') && !name.endsWith('.d.ts');
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
      .map((s, i, all) => (i === all.length - 1 ? s.replace(/\.ts$/, '') : s));
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
