import type { Report } from '@faultline/grader/report';
import { describe, expect, test } from 'vitest';
import { reportForReader } from './visible-report.ts';

const report: Report = {
  schemaVersion: 3,
  status: 'fail',
  score: 2,
  maxScore: 6,
  exercise: 'x',
  tests: [
    {
      name: 'seen',
      status: 'fail',
      points: 0,
      maxPoints: 2,
      message: 'visible message',
      durationMs: 1,
      visibility: 'visible',
      output: 'out',
      hint: 'visible hint',
    },
    {
      name: 'secret',
      status: 'fail',
      points: 0,
      maxPoints: 2,
      message: 'hidden message',
      durationMs: 1,
      visibility: 'hidden',
      output: 'hidden out',
      hint: 'hidden hint',
      trace: [{ kind: 'walk' }],
    },
    {
      name: 'later',
      status: 'pass',
      points: 2,
      maxPoints: 2,
      message: '',
      durationMs: 1,
      visibility: 'after_due_date',
      output: 'later out',
    },
  ],
};

const test1 = (r: Report, name: string) => r.tests.find((t) => t.name === name);
const due = 1_000;

describe('what a learner sees of hidden tests, by the assignment’s policy', () => {
  test('hints (the default): name, status, points and the hint; never message, output or trace', () => {
    const seen = reportForReader(report, { policy: 'hints', dueAt: due, closedAfterDue: true, now: due + 1 });
    expect(test1(seen, 'secret')).toMatchObject({ message: '', output: '', hint: 'hidden hint' });
    expect(test1(seen, 'secret')?.trace).toBeUndefined();
    expect(test1(seen, 'seen')).toMatchObject({ message: 'visible message', output: 'out' });
    expect(test1(seen, 'later')?.output).toBe('');
  });

  test('points only: the hint goes too', () => {
    const seen = reportForReader(report, {
      policy: 'points',
      dueAt: due,
      closedAfterDue: true,
      now: due + 1,
    });
    expect(test1(seen, 'secret')?.hint).toBeUndefined();
    expect(test1(seen, 'seen')?.hint).toBe('visible hint');
  });

  test('messages after the due date: after_due_date tests in full once it has passed, not before; hidden ones never', () => {
    const before = reportForReader(report, {
      policy: 'messages-after-due',
      dueAt: due,
      closedAfterDue: true,
      now: due - 1,
    });
    expect(test1(before, 'later')?.output).toBe('');
    const after = reportForReader(report, {
      policy: 'messages-after-due',
      dueAt: due,
      closedAfterDue: true,
      now: due,
    });
    expect(test1(after, 'later')?.output).toBe('later out');
    expect(test1(after, 'secret')?.message).toBe('');
  });

  test('…but not while late work can still earn credit: then the messages would be answers to copy', () => {
    const open = reportForReader(report, {
      policy: 'messages-after-due',
      dueAt: due,
      closedAfterDue: false,
      now: due + 1,
    });
    expect(test1(open, 'later')?.output).toBe('');
  });

  test('staff see everything', () => {
    expect(reportForReader(report, 'staff')).toEqual(report);
  });

  test('a grader failure tells a learner only that it was the grader’s', () => {
    const failed = { ...report, status: 'error' as const, message: 'hidden.ts:3: cannot load' };
    const seen = reportForReader(failed, { policy: 'hints', dueAt: null, closedAfterDue: true, now: 0 });
    expect(seen.message).not.toContain('hidden.ts');
  });
});
