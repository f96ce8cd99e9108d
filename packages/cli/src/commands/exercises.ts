/**
 * Instructor commands.
 *
 *   faultline validate [EXERCISE…]   prove exercises sound (all when none named):
 *                                    schema valid, reference at full marks,
 *                                    starter and every mutant below, two runs
 *                                    identical. Exit 0 all sound, 1 any not,
 *                                    2 could not run (unknown exercise, bad usage).
 *                                    Each submission is graded in a worker under
 *                                    the exercise's wall-clock limit, as `grade`
 *                                    does: a test that hangs cannot hang this.
 *   faultline new SLUG               scaffold an exercise folder to fill in.
 *                                    Exit 0 created, 2 bad slug or it exists.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ValidationResult } from '@faultline/grader';
import { ExitCode, type Io } from '../io.ts';
import { loadGrader } from './grade.ts';

export async function validate(argv: readonly string[], io: Io): Promise<ExitCode> {
  const unknownOption = argv.find((a) => a.startsWith('-'));
  if (unknownOption !== undefined) {
    io.err.write(
      `faultline validate: unknown option ${unknownOption}\nusage: faultline validate [EXERCISE…]\n`,
    );
    return ExitCode.Usage;
  }
  const { exercises, grader, sandbox } = await loadGrader(io);
  const known = await exercises.listExercises();
  const ids = argv.length === 0 ? known : [...argv];
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
      const exerciseDir = join(exercises.EXERCISES_DIR, id);
      let files: Awaited<ReturnType<typeof exercises.readExercise>>;
      try {
        files = await exercises.readExercise(exerciseDir);
      } catch (error) {
        io.out.write(`✗ ${id}: ${(error as Error).message}\n`);
        allSound = false;
        continue;
      }
      const { wallMsTotal } = grader.gradingLimits({ limits: files.meta.limits });
      let result: ValidationResult;
      try {
        result = await grader.validateWith(files, async (learnerSource) => {
          const graded = await grader.gradeInPool(pool, { exerciseDir, learnerSource, wallMs: wallMsTotal });
          if (graded.kind === 'grader-failed') throw new CouldNotGrade(graded.reason);
          return graded.report;
        });
      } catch (error) {
        if (!(error instanceof CouldNotGrade)) throw error;
        io.out.write(`✗ ${id}: could not grade: ${error.message}\n`);
        allSound = false;
        continue;
      }
      allSound = report(io, id, result) && allSound;
    }
  } finally {
    await pool.close();
  }
  return allSound ? ExitCode.Ok : ExitCode.Failed;
}

/** The exercise could not be graded at all (its tests do not load, a worker died): not a verdict on it. */
class CouldNotGrade extends Error {}

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
  const [slug, ...extra] = argv;
  if (slug === undefined || extra.length > 0 || !/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/.test(slug)) {
    io.err.write(
      'faultline new: give one slug of lowercase words joined by hyphens, e.g. "cow-break"\nusage: faultline new SLUG\n',
    );
    return ExitCode.Usage;
  }
  const { exercises } = await loadGrader(io);
  const dir = join(exercises.EXERCISES_DIR, slug);
  if (existsSync(dir)) {
    io.err.write(`faultline new: ${dir} already exists\n`);
    return ExitCode.Usage;
  }
  for (const sub of ['tests', 'mutants']) mkdirSync(join(dir, sub), { recursive: true });
  for (const [file, text] of Object.entries(scaffoldFiles(slug))) writeFileSync(join(dir, file), text);
  io.out.write(
    `created ${dir}\nnext: write README.md, the solution and the tests, add mutants, then run \`faultline validate ${slug}\`\n`,
  );
  return ExitCode.Ok;
}

function scaffoldFiles(slug: string): Record<string, string> {
  const meta = {
    id: slug,
    title: 'TODO: a title learners see in the catalog',
    summary: 'TODO: one sentence on what the learner writes.',
    difficulty: 'easy',
    points: 2,
    hooks: ['anonymousFault'],
    limits: { cpuMsPerCall: 250, cpuMsPerTest: 5000, cpuMsTotal: 30000, wallMsTotal: 60000 },
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
  test('TODO: a behaviour only grading checks', { points: 1, visibility: 'hidden' }, (t) => {
    const pid = t.spawn();
    const addr = t.mmap(pid, 4096);
    t.expectValue(t.write(pid, addr, 7), 7, 'a first write of fresh memory');
  });
});
`,
    'mutants/TODO-plausible-mistake.ts': `// TODO: a wrong solution a learner would plausibly write; hidden tests must fail it.\n${hook}`,
  };
}
