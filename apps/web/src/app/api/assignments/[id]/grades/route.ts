import { csvTable } from '@faultline/grader/csv';
import { assignmentAccess } from '../../../../../server/courses.ts';
import { api, errorResponse } from '../../../../../server/http.ts';

/** The assignment's grades as CSV: one row per learner and exercise, each cell safe from formula injection. */
export const GET = api<{ id: string }>('signed-in', async ({ db, user, params }) => {
  const access = await assignmentAccess(db, params.id, user, Date.now());
  if (access.kind !== 'instructor')
    return errorResponse(403, 'Only the course’s instructors may export its grades.');
  const rows = (await db.dashboard.grades(params.id)) ?? [];
  const csv = csvTable(
    [
      'email',
      'name',
      'exercise',
      'attempts',
      'score',
      'final_score',
      'max_score',
      'submitted_at_utc',
      'late',
    ],
    rows.map((r) => [
      r.email,
      r.displayName,
      r.exerciseId,
      r.attempts,
      r.best?.score ?? '',
      r.best?.finalScore ?? '',
      r.best?.maxScore ?? '',
      r.best === null ? '' : new Date(r.best.submittedAt).toISOString(),
      r.best === null ? '' : r.best.late ? 'late' : 'on time',
    ]),
  );
  const name = access.assignment.title.replace(/[^A-Za-z0-9._-]+/g, '-').slice(0, 60) || 'grades';
  return new Response(csv, {
    headers: {
      'content-type': 'text/csv; charset=utf-8',
      'content-disposition': `attachment; filename="${name}-grades.csv"`,
      'cache-control': 'no-store',
    },
  });
});
