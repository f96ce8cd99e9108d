import { api, readJson } from '../../../server/http.ts';
import { MAX_CODE_BODY_BYTES, takeSubmission } from '../../../server/submit.ts';

export const POST = api('signed-in', async ({ request, db, user }) => {
  const body = await readJson(request, MAX_CODE_BODY_BYTES, 'Your submission');
  return takeSubmission(db, request, user, body);
});

export const GET = api('signed-in', async ({ request, db, user }) => {
  const exerciseId = new URL(request.url).searchParams.get('exercise') ?? undefined;
  const list = await db.submissions.listForUser(user.id, exerciseId === undefined ? {} : { exerciseId });
  return Response.json({ submissions: list });
});
