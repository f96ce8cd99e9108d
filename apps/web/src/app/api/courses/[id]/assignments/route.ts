import type { LatePolicy } from '@faultline/db';
import { courseAccess } from '../../../../../server/courses.ts';
import { api, errorResponse, readJson } from '../../../../../server/http.ts';

const HIDDEN = ['points', 'hints', 'messages-after-due'] as const;

const REASONS = {
  'unknown-course': 'There is no such course.',
  'no-exercises': 'Pick at least one exercise.',
  'duplicate-exercise': 'An exercise is listed twice.',
  'due-before-release': 'The due date must come after the release date.',
  'bad-penalty': 'A late penalty is a percentage from 0 to 100.',
} as const;

export const POST = api<{ id: string }>('signed-in', async ({ request, db, user, params }) => {
  const access = await courseAccess(db, params.id, user);
  if (access.kind !== 'instructor')
    return errorResponse(403, 'Only the course’s instructors may add assignments.');
  const body = (await readJson(request, 16 * 1024)) as Record<string, unknown> | null;
  const title = typeof body?.title === 'string' ? body.title.trim() : '';
  const exerciseIds = Array.isArray(body?.exerciseIds) ? body.exerciseIds : null;
  const releaseAt = body?.releaseAt;
  const dueAt = body?.dueAt;
  const hiddenTests = body?.hiddenTests ?? 'hints';
  if (title.length === 0 || title.length > 120)
    return errorResponse(400, 'Give the assignment a title of 1 to 120 characters.');
  if (exerciseIds === null || !exerciseIds.every((e) => typeof e === 'string'))
    return errorResponse(400, 'exerciseIds must be a list of exercise ids.');
  if (!Number.isSafeInteger(releaseAt) || !Number.isSafeInteger(dueAt))
    return errorResponse(400, 'Give a release date and a due date.');
  if (!HIDDEN.includes(hiddenTests as (typeof HIDDEN)[number]))
    return errorResponse(400, `hiddenTests must be one of ${HIDDEN.join(', ')}.`);
  const late = parseLatePolicy(body?.latePolicy);
  if (late === null)
    return errorResponse(400, 'latePolicy must be none, refuse, or accept with a penalty of 0–100 %.');
  const created = await db.assignments.create({
    courseId: params.id,
    title,
    exerciseIds: exerciseIds as string[],
    releaseAt: releaseAt as number,
    dueAt: dueAt as number,
    latePolicy: late,
    hiddenTests: hiddenTests as (typeof HIDDEN)[number],
  });
  if (created.kind === 'err')
    return errorResponse(
      400,
      created.reason === 'unknown-exercise'
        ? `There is no exercise "${created.exerciseId}".`
        : REASONS[created.reason],
    );
  return Response.json({ id: created.assignment.id }, { status: 201 });
});

function parseLatePolicy(value: unknown): LatePolicy | null {
  const v = (value ?? { kind: 'none' }) as { kind?: unknown; penaltyPercent?: unknown };
  if (v.kind === 'none') return { kind: 'none' };
  if (v.kind === 'refuse') return { kind: 'refuse' };
  if (v.kind === 'accept' && typeof v.penaltyPercent === 'number')
    return { kind: 'accept', penaltyPercent: v.penaltyPercent };
  return null;
}
