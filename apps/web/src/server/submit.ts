/**
 * Taking a submission: it is checked (size, rate, exercise, assignment) and
 * stored with its grading job in one transaction before anything grades it,
 * so a crash after the 201 loses nothing — the job waits in the queue.
 */
import type { CreateSubmissionResult, Db, User } from '@faultline/db';
import { errorResponse } from './http.ts';
import { rateLimited } from './limits.ts';

/** 64 KiB of code: a whole kernel subsystem in TypeScript fits; a megabyte of padding does not. */
export const MAX_CODE_BYTES = 64 * 1024;

/**
 * The most a JSON body carrying that much code can take: JSON escapes
 * (`\n`, `\"`, `\u0000`) can make code up to six times longer; the code
 * itself is measured after parsing.
 */
export const MAX_CODE_BODY_BYTES = 6 * MAX_CODE_BYTES + 4096;

/** The 413 for code over the limit, the same sentence wherever code is sent. */
export function codeTooLarge(what: string): Response {
  return errorResponse(
    413,
    `${what} is too large: at most ${MAX_CODE_BYTES / 1024} KiB of code is accepted.`,
  );
}

const REFUSALS = {
  'unknown-version': [
    409,
    'This exercise changed while you were working on it. Reload the page to get the new version; your draft is kept.',
  ],
  'version-of-another-exercise': [400, 'That exercise version belongs to another exercise.'],
  'unknown-assignment': [404, 'There is no such assignment.'],
  'not-in-assignment': [400, 'This exercise is not part of that assignment.'],
  'not-released': [403, 'This assignment is not open yet.'],
  'past-due': [403, 'The due date of this assignment has passed, and it does not accept late work.'],
  'code-contains-nul': [
    400,
    'Your code contains a NUL character (\\0), which no source file holds; remove it and submit again.',
  ],
} as const satisfies Record<
  Extract<CreateSubmissionResult, { kind: 'err' }>['reason'],
  readonly [number, string]
>;

export async function takeSubmission(db: Db, request: Request, user: User, body: unknown): Promise<Response> {
  const input = body as { exerciseId?: unknown; code?: unknown; assignmentId?: unknown } | null;
  if (typeof input?.exerciseId !== 'string' || typeof input.code !== 'string')
    return errorResponse(400, 'Send { "exerciseId": "…", "code": "…" }.');
  if (Buffer.byteLength(input.code, 'utf8') > MAX_CODE_BYTES) return codeTooLarge('Your code');
  if (input.assignmentId !== undefined && typeof input.assignmentId !== 'string')
    return errorResponse(400, 'assignmentId must be a string.');
  const limited = await rateLimited(db, request, 'submit', { user });
  if (limited !== null) return limited;
  const exercise = await db.exercises.current(input.exerciseId);
  if (exercise === null) return errorResponse(404, 'There is no such exercise.');
  if (input.assignmentId !== undefined) {
    const assignment = await db.assignments.get(input.assignmentId);
    const role = assignment === null ? null : await db.courses.roleIn(assignment.courseId, user.id);
    if (assignment === null || role === null) return errorResponse(404, 'There is no such assignment.');
  }
  const created = await db.submissions.create({
    userId: user.id,
    exerciseId: exercise.id,
    exerciseHash: exercise.hash,
    code: input.code,
    ...(input.assignmentId === undefined ? {} : { assignmentId: input.assignmentId }),
  });
  if (created.kind === 'err') {
    const [status, message] = REFUSALS[created.reason];
    return errorResponse(status, message);
  }
  return Response.json({ id: created.submission.id }, { status: 201 });
}
