// A test's hint: the author's pointer for a learner whose code did not pass
// it — in the report when the test did not pass, kept in the learner's view of
// a hidden test whose message is withheld, rendered by text and JUnit.
import { describe, expect, test } from 'vitest';
import {
  buildReport,
  defineTests,
  type Exercise,
  gradeSubmission,
  loadExercise,
  ReportSchema,
  renderJUnit,
  renderText,
  viewFor,
} from '../src/index.ts';
import { FIXTURE_DIR } from './fixture-exercise.ts';

const base: Exercise = await loadExercise(FIXTURE_DIR);
const HINT = 'A frame comes back from the allocator holding its last owner’s data.';

const exercise: Exercise = {
  ...base,
  tests: defineTests((t) => {
    t('maps the zero page', { points: 1, visibility: 'visible', hint: 'Reads share one page.' }, (ctx) => {
      const pid = ctx.spawn();
      ctx.expectResolutions(ctx.read(pid, ctx.mmap(pid, 4096)), ['zero-page'], 'the first read');
    });
    t('clears recycled frames', { points: 2, visibility: 'hidden', hint: HINT }, (ctx) => {
      // Fails for every learner: a fresh page holds 0, the test insists on 1.
      const pid = ctx.spawn();
      const addr = ctx.mmap(pid, 4096);
      ctx.expectValue(ctx.read(pid, addr), 1, 'a byte of a fresh page');
    });
  }),
};
const LEARNER = { audience: 'learner', dueDatePassed: false } as const;

describe('hints', () => {
  test('defineTests refuses an empty, blank, too long or non-string hint', () => {
    for (const hint of ['', '   ', 'x'.repeat(501), 42 as unknown as string])
      expect(() => defineTests((t) => t('a', { points: 1, visibility: 'hidden', hint }, () => {}))).toThrow(
        /defineTests: test "a": hint must be a non-empty string of at most 500 characters/,
      );
  });

  test('a failed test carries its hint, a passed one does not; the learner sees a hidden test’s hint, not its message', async () => {
    const report = await gradeSubmission({ exercise, learnerSource: base.solution, clock: () => 0 });
    const [visible, hidden] = report.tests;
    expect(visible).toMatchObject({ status: 'pass' });
    expect(visible).not.toHaveProperty('hint');
    expect(hidden).toMatchObject({
      status: 'fail',
      hint: HINT,
      message: expect.stringMatching(/a byte of a fresh page/),
    });
    const learner = viewFor(report, LEARNER).tests[1];
    expect(learner).toMatchObject({ message: '', output: '', hint: HINT });
    expect(renderText(report, LEARNER)).toContain(`      Hint: ${HINT}`);
    expect(renderText(report, LEARNER)).not.toContain('a byte of a fresh page');
    const junit = renderJUnit(report, LEARNER);
    expect(junit).toContain(
      `<failure type="fail" message="Hint: ${HINT.replace('’', '’')}">Hint: ${HINT}</failure>`,
    );
  });

  test('the report refuses a hint on a passed test', () => {
    const passed = buildReport({
      exercise: 'e',
      tests: [
        {
          name: 't',
          status: 'fail',
          points: 0,
          maxPoints: 1,
          message: 'm',
          durationMs: 0,
          visibility: 'hidden',
          output: '',
          hint: 'h',
        },
      ],
    });
    expect(passed.tests[0]?.hint).toBe('h');
    const bad = {
      ...passed,
      status: 'pass',
      score: 1,
      tests: [{ ...passed.tests[0], status: 'pass', points: 1 }],
    };
    expect(ReportSchema.safeParse(bad).success).toBe(false);
  });
});
