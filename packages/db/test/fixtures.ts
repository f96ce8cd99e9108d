/** Small builders for test data, through the public API only. */
import { expect } from 'vitest';
import type { Db, GradedTest, GradingResult, User, UserRole, Verdict } from '../src/index.ts';

let counter = 0;

export async function makeUser(db: Db, role: UserRole = 'learner', name?: string): Promise<User> {
  counter += 1;
  const label = name ?? `${role}${counter}`;
  const r = await db.users.create({
    email: `${label}@example.edu`,
    passwordHash: `hash-of-${label}`,
    displayName: label,
    role,
  });
  if (r.kind !== 'ok') throw new Error(`could not create ${label}: ${r.reason}`);
  return r.user;
}

/** Stores a version of `exerciseId` and makes it current; returns its hash. */
export async function makeExercise(db: Db, exerciseId: string, hash = `${exerciseId}-v1`): Promise<string> {
  const put = await db.exercises.putVersion({
    exerciseId,
    hash,
    meta: { id: exerciseId, title: `Exercise ${exerciseId}`, points: 10 },
    readme: `# ${exerciseId}`,
    starter: 'export function handle() {}',
    files: {
      'exercise.json': JSON.stringify({ id: exerciseId }),
      'tests/hidden.test.ts': 'secret hidden test',
      'solution.ts': 'secret solution',
    },
    source: 'folder',
  });
  expect(put.kind).toBe('ok');
  expect((await db.exercises.setCurrent(exerciseId, hash)).kind).toBe('ok');
  return hash;
}

export async function submit(
  db: Db,
  user: User,
  exerciseId: string,
  options: { hash?: string; assignmentId?: string; code?: string } = {},
): Promise<string> {
  const r = await db.submissions.create({
    userId: user.id,
    exerciseId,
    exerciseHash: options.hash ?? `${exerciseId}-v1`,
    code: options.code ?? `// ${user.displayName} on ${exerciseId}`,
    ...(options.assignmentId === undefined ? {} : { assignmentId: options.assignmentId }),
  });
  if (r.kind !== 'ok') throw new Error(`could not submit: ${r.reason}`);
  return r.submission.id;
}

/** A result with one visible and two hidden tests; `failing` names the tests that fail. */
export function result(failing: readonly string[] = [], verdict?: Verdict): GradingResult {
  const names = ['visible basics', 'hidden cow', 'hidden swap'];
  const tests: GradedTest[] = names.map((name) => {
    const fails = failing.includes(name);
    return {
      name,
      visibility: name.startsWith('hidden') ? 'hidden' : 'visible',
      status: fails ? 'fail' : 'pass',
      points: 10,
      earned: fails ? 0 : 10,
    };
  });
  const score = tests.reduce((sum, t) => sum + t.earned, 0);
  return {
    verdict: verdict ?? (failing.length === 0 ? 'pass' : 'fail'),
    score,
    maxScore: 30,
    report: {
      schemaVersion: 3,
      status: verdict ?? (failing.length === 0 ? 'pass' : 'fail'),
      score,
      tests: names,
    },
    tests,
  };
}

/** Claims the next job and completes it with `r`; fails the test if there is none. */
export async function gradeNext(db: Db, r: GradingResult, workerId = 'w-grade'): Promise<string> {
  const job = await db.queue.claim({ workerId, leaseMs: 60_000 });
  if (!job) throw new Error('no job to grade');
  const done = await db.queue.complete(job, r);
  expect(done).toEqual({ kind: 'ok' });
  return job.submissionId;
}
