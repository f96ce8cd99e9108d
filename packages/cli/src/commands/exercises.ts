/**
 * Instructor commands.
 *
 *   faultline validate [EXERCISE…] [--exercises DIR]
 *                                    prove exercises sound (all when none named):
 *                                    schema valid, reference at full marks,
 *                                    starter and every mutant below, two runs
 *                                    identical. Exit 0 all sound, 1 any not,
 *                                    2 could not run (unknown exercise, unreadable
 *                                    folder, bad usage).
 *                                    Each submission is graded in a worker under
 *                                    the exercise's wall-clock limit, as `grade`
 *                                    does: a test that hangs cannot hang this.
 *   faultline new SLUG [--exercises DIR]
 *                                    scaffold an exercise folder DIR/SLUG to fill in.
 *                                    Exit 0 created, 2 bad slug or it exists.
 *
 * `--exercises DIR` is the folder of exercise folders (default: the
 * repository's exercises/), so an instructor can keep a course's exercises in
 * a repository of their own. Their tests are ES modules importing
 * `@faultline/grader`. The built CLI's workers compile them and give them the
 * grader they run with (the grader's build); whatever reads them from source
 * (an editor, vitest, tsx, this command under vitest) needs DIR to resolve
 * the grader like any dependency: `new` writes DIR/package.json when no
 * package.json governs DIR (`"type": "module"`, the grader as a `link:`
 * dependency on this checkout) and says what is missing.
 */
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { ValidationResult } from '@faultline/grader';
import { ExitCode, type Io } from '../io.ts';
import { shellQuote } from '../shell.ts';
import { validateExerciseFolder } from '../worker/validate.ts';
import { loadGrader } from './grade.ts';

const VALIDATE_USAGE = 'usage: faultline validate [EXERCISE…] [--exercises DIR]';
const LIST_USAGE = 'usage: faultline list [--json] [--exercises DIR]';
const NEW_USAGE = 'usage: faultline new SLUG [--exercises DIR]';

type Parsed =
  | { readonly kind: 'ok'; readonly ids: readonly string[]; readonly root: string | undefined }
  | { readonly kind: 'err'; readonly message: string };

/** Positionals and `--exercises DIR` (resolved against the working directory). */
function parseExerciseArgs(argv: readonly string[]): Parsed {
  try {
    const { values, positionals } = parseArgs({
      args: [...argv],
      options: { exercises: { type: 'string' } },
      allowPositionals: true,
      strict: true,
    });
    if (values.exercises === '') return { kind: 'err', message: '--exercises needs a folder' };
    const root = values.exercises === undefined ? undefined : resolve(values.exercises);
    return { kind: 'ok', ids: positionals, root };
  } catch (error) {
    return { kind: 'err', message: (error as Error).message.replace(/\s*\n\s*/g, ' ') };
  }
}

export async function validate(argv: readonly string[], io: Io): Promise<ExitCode> {
  const parsed = parseExerciseArgs(argv);
  if (parsed.kind === 'err') {
    io.err.write(`faultline validate: ${parsed.message}\n${VALIDATE_USAGE}\n`);
    return ExitCode.Usage;
  }
  const { exercises, sandbox } = await loadGrader();
  const root = parsed.root ?? exercises.EXERCISES_DIR;
  let known: string[];
  try {
    known = await exercises.listExercises(root);
  } catch (error) {
    io.err.write(
      `faultline validate: cannot read the exercises folder ${root} (${(error as NodeJS.ErrnoException).code ?? 'error'})\n`,
    );
    return ExitCode.Usage;
  }
  const ids = parsed.ids.length === 0 ? known : parsed.ids;
  if (ids.length === 0) {
    io.err.write(`faultline validate: no exercises in ${root} (a folder with an exercise.json)\n`);
    return ExitCode.Usage;
  }
  const missing = ids.filter((id) => !known.includes(id));
  if (missing.length > 0) {
    io.err.write(
      `faultline validate: unknown exercise ${missing.map((m) => `"${m}"`).join(', ')}; known: ${known.join(', ')}\n`,
    );
    return ExitCode.Usage;
  }
  let allSound = true;
  const pool = sandbox.createPool({ size: 1 });
  try {
    for (const id of ids) {
      const checked = await validateExerciseFolder(join(root, id), pool);
      if (checked.kind === 'unreadable') {
        io.out.write(`✗ ${id}: ${checked.message}\n`);
        allSound = false;
        continue;
      }
      allSound = report(io, id, checked.result) && allSound;
    }
  } finally {
    await pool.close();
  }
  return allSound ? ExitCode.Ok : ExitCode.Failed;
}

/** One line of `faultline list`. */
export interface ListedExercise {
  readonly id: string;
  readonly title: string;
  /** What the learner hands in: code (hooks) — quizzes will be another kind. */
  readonly kind: 'code';
  readonly difficulty: string;
  readonly points: number;
  readonly prerequisites: readonly string[];
}

const DIFFICULTY_RANK: Readonly<Record<string, number>> = { intro: 0, easy: 1, medium: 2, hard: 3 };

/**
 * `faultline list [--json] [--exercises DIR]`: the exercises in the order a
 * learner takes them — by difficulty, each after its prerequisites, then by
 * id. A folder whose exercise.json cannot be read is named on stderr (exit 1)
 * and the others are still listed.
 */
export async function list(argv: readonly string[], io: Io): Promise<ExitCode> {
  let json: boolean;
  let root: string | undefined;
  try {
    const { values, positionals } = parseArgs({
      args: [...argv],
      options: { json: { type: 'boolean', default: false }, exercises: { type: 'string' } },
      allowPositionals: true,
      strict: true,
    });
    if (positionals.length > 0) throw new Error(`unexpected argument "${positionals[0]}"`);
    if (values.exercises === '') throw new Error('--exercises needs a folder');
    json = values.json;
    root = values.exercises === undefined ? undefined : resolve(values.exercises);
  } catch (error) {
    io.err.write(`faultline list: ${(error as Error).message.replace(/\s*\n\s*/g, ' ')}\n${LIST_USAGE}\n`);
    return ExitCode.Usage;
  }
  const { exercises } = await loadGrader();
  const { readExercise } = await import('@faultline/grader/exercise');
  const folder = root ?? exercises.EXERCISES_DIR;
  let ids: string[];
  try {
    ids = await exercises.listExercises(folder);
  } catch (error) {
    io.err.write(
      `faultline list: cannot read the exercises folder ${folder} (${(error as NodeJS.ErrnoException).code ?? 'error'})\n`,
    );
    return ExitCode.Usage;
  }
  const listed: ListedExercise[] = [];
  const problems: string[] = [];
  for (const id of ids) {
    try {
      const { meta } = await readExercise(join(folder, id));
      listed.push({
        id: meta.id,
        title: meta.title,
        kind: 'code',
        difficulty: meta.difficulty,
        points: meta.points,
        prerequisites: meta.prerequisites,
      });
    } catch (error) {
      problems.push(`${id}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  const ordered = inLearningOrder(listed);
  if (json) io.out.write(`${JSON.stringify(ordered)}\n`);
  else if (ordered.length === 0) io.out.write(`no exercises in ${folder}\n`);
  else {
    const width = (f: (e: ListedExercise) => string) => Math.max(...ordered.map((e) => f(e).length));
    const w = {
      id: width((e) => e.id),
      difficulty: width((e) => e.difficulty),
      points: width((e) => `${e.points}`),
    };
    for (const e of ordered) {
      const after = e.prerequisites.length === 0 ? '' : `  (after ${e.prerequisites.join(', ')})`;
      io.out.write(
        `${e.id.padEnd(w.id)}  ${e.kind}  ${e.difficulty.padEnd(w.difficulty)}  ${`${e.points}`.padStart(w.points)} points  ${e.title}${after}\n`,
      );
    }
  }
  for (const p of problems) io.err.write(`faultline list: ${p}\n`);
  return problems.length > 0 ? ExitCode.Failed : ExitCode.Ok;
}

/** By difficulty, then after every prerequisite (depth in the prerequisite graph), then by id. */
function inLearningOrder(listed: readonly ListedExercise[]): ListedExercise[] {
  const byId = new Map(listed.map((e) => [e.id, e]));
  const depth = new Map<string, number>();
  const depthOf = (id: string, seen: ReadonlySet<string>): number => {
    const known = depth.get(id);
    if (known !== undefined) return known;
    const e = byId.get(id);
    // An unknown prerequisite, or a cycle, adds nothing.
    if (e === undefined || seen.has(id)) return 0;
    const next = new Set(seen).add(id);
    const d = 1 + Math.max(0, ...e.prerequisites.map((p) => depthOf(p, next)));
    depth.set(id, d);
    return d;
  };
  return [...listed].sort(
    (a, b) =>
      (DIFFICULTY_RANK[a.difficulty] ?? 9) - (DIFFICULTY_RANK[b.difficulty] ?? 9) ||
      depthOf(a.id, new Set()) - depthOf(b.id, new Set()) ||
      a.id.localeCompare(b.id),
  );
}

/** Prints one exercise's verdict; true when it is sound. */
function report(io: Io, id: string, result: ValidationResult): boolean {
  const s = result.reports.solution;
  const mutants = Object.entries(result.reports.mutants).map(
    ([name, r]) => `${name} ${r.score}/${r.maxScore}`,
  );
  if (result.ok) {
    io.out.write(
      `✓ ${id}: reference ${s.score}/${s.maxScore}, starter ${result.reports.starter.score}/${result.reports.starter.maxScore}, ${mutants.length} mutants caught (${mutants.join(', ')})\n`,
    );
    return true;
  }
  io.out.write(`✗ ${id}:\n${result.problems.map((p) => `    ${p}`).join('\n')}\n`);
  return false;
}

export async function scaffold(argv: readonly string[], io: Io): Promise<ExitCode> {
  const parsed = parseExerciseArgs(argv);
  if (parsed.kind === 'err') {
    io.err.write(`faultline new: ${parsed.message}\n${NEW_USAGE}\n`);
    return ExitCode.Usage;
  }
  const [slug, ...extra] = parsed.ids;
  if (slug === undefined || extra.length > 0 || !/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/.test(slug)) {
    io.err.write(
      `faultline new: give one slug of lowercase words joined by hyphens, e.g. "cow-break"\n${NEW_USAGE}\n`,
    );
    return ExitCode.Usage;
  }
  const { exercises } = await loadGrader();
  const root = parsed.root ?? exercises.EXERCISES_DIR;
  const dir = join(root, slug);
  if (existsSync(root) && !statSync(root).isDirectory()) {
    io.err.write(`faultline new: ${root} is a file, not a folder of exercises\n${NEW_USAGE}\n`);
    return ExitCode.Usage;
  }
  if (existsSync(dir)) {
    io.err.write(`faultline new: ${dir} already exists\n`);
    return ExitCode.Usage;
  }
  for (const sub of ['tests', 'mutants']) mkdirSync(join(dir, sub), { recursive: true });
  for (const [file, text] of Object.entries(scaffoldFiles(slug))) writeFileSync(join(dir, file), text);
  const validateCommand = `faultline validate ${slug}${parsed.root === undefined ? '' : ` --exercises ${shellQuote(root)}`}`;
  io.out.write(`created ${dir}\n`);
  for (const line of prepareModuleScope(root)) io.out.write(`${line}\n`);
  io.out.write(
    `next: write README.md, the solution and the tests, add mutants, then run \`${validateCommand}\`\n`,
  );
  return ExitCode.Ok;
}

/**
 * What an exercises folder outside this repository needs before its tests
 * load, done or said: the tests are TypeScript ES modules (a `.ts` file is
 * CommonJS unless the nearest package.json says `"type": "module"`) that import
 * `@faultline/grader`, which must resolve from the folder like any dependency.
 * Returns the lines to print; none for a folder that is ready (the repository's).
 */
function prepareModuleScope(root: string): string[] {
  const grader = graderPackageDir();
  const linked = resolvesGrader(root);
  const manifest = nearestPackageJson(root);
  if (manifest === null) {
    const file = join(root, 'package.json');
    const pkg = {
      private: true,
      type: 'module',
      description: 'Faultline exercises: faultline validate --exercises <this folder>',
      devDependencies: { '@faultline/grader': `link:${relative(root, grader) || '.'}` },
    };
    writeFileSync(file, `${JSON.stringify(pkg, null, 2)}\n`);
    return [
      `created ${file}: the tests are ES modules that import @faultline/grader (linked from ${grader})`,
      ...(linked
        ? []
        : [
            `note: faultline validate needs nothing more; for your editor's types and for vitest, install that link: cd ${shellQuote(root)} && pnpm install`,
          ]),
    ];
  }
  const lines: string[] = [];
  if (manifest.type !== 'module')
    lines.push(
      `note: ${manifest.file} does not say "type": "module": faultline validate loads the tests anyway, but your editor, vitest and tsx will read them as CommonJS; add it`,
    );
  if (!linked)
    lines.push(
      `note: @faultline/grader does not resolve from ${root} (faultline validate does not need it; your editor and vitest do): cd ${shellQuote(root)} && pnpm add -D ${shellQuote(`link:${grader}`)}`,
    );
  return lines;
}

/** The package.json that decides how Node reads `.ts` files in `dir`, or null when none does. */
function nearestPackageJson(dir: string): { file: string; type: unknown } | null {
  for (let at = dir; ; at = dirname(at)) {
    const file = join(at, 'package.json');
    if (existsSync(file)) {
      try {
        return { file, type: (JSON.parse(readFileSync(file, 'utf8')) as { type?: unknown }).type };
      } catch {
        return { file, type: undefined };
      }
    }
    if (dirname(at) === at) return null;
  }
}

/**
 * Whether a test module in `dir` would find `@faultline/grader`: the ES module
 * lookup, a node_modules folder in `dir` or above (not NODE_PATH, which
 * `require` honours, `import` does not, and pnpm sets for its binaries).
 */
function resolvesGrader(dir: string): boolean {
  for (let at = dir; ; at = dirname(at)) {
    if (existsSync(join(at, 'node_modules', '@faultline', 'grader', 'package.json'))) return true;
    if (dirname(at) === at) return false;
  }
}

/** The folder of the `@faultline/grader` package this command runs with. */
function graderPackageDir(): string {
  let dir = dirname(createRequire(import.meta.url).resolve('@faultline/grader'));
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
}

function scaffoldFiles(slug: string): Record<string, string> {
  const meta = {
    id: slug,
    title: 'TODO: a title learners see in the catalog',
    summary: 'TODO: one sentence on what the learner writes.',
    difficulty: 'easy',
    points: 2,
    hooks: ['anonymousFault'],
    // Step budgets only: the wall-clock limits behind them are left to the grader's defaults.
    limits: { cpuMsPerCall: 250, cpuMsPerTest: 5000, cpuMsTotal: 30000 },
    frames: 256,
    concepts: ['TODO'],
    prerequisites: [],
  };
  const hook = `// The kernel calls this hook; \`kernel\` is the kernel API (see the exercise README).
export function anonymousFault(fault, vma) {
  throw new Error('anonymousFault is not implemented yet');
}
`;
  return {
    'exercise.json': `${JSON.stringify(meta, null, 2)}\n`,
    'README.md': `# ${meta.title}\n\nTODO: what the learner implements, which kernel API calls they need, and what Linux does.\n`,
    'starter.ts': hook,
    'solution.ts': `// TODO: the reference solution (it must score full marks).\n${hook}`,
    'tests/visible.ts': `import { defineTests } from '@faultline/grader';

export default defineTests((test) => {
  test('TODO: a behaviour the learner can see', { points: 1, visibility: 'visible' }, (t) => {
    const pid = t.spawn();
    const addr = t.mmap(pid, 4096);
    t.expectValue(t.read(pid, addr), 0, 'a first read of fresh memory');
  });
});
`,
    'tests/hidden.ts': `import { defineTests } from '@faultline/grader';

export default defineTests((test) => {
  test('TODO: a behaviour only grading checks', {
    points: 1,
    visibility: 'hidden',
    // Shown to a learner who fails this test, even though its message is not: point at the concept.
    hint: 'TODO: what to look at when this fails',
  }, (t) => {
    const pid = t.spawn();
    const addr = t.mmap(pid, 4096);
    t.expectValue(t.write(pid, addr, 7), 7, 'a first write of fresh memory');
  });
});
`,
    'mutants/TODO-plausible-mistake.ts': `// TODO: a wrong solution a learner would plausibly write; hidden tests must fail it.\n${hook}`,
  };
}
