import { api, errorResponse, readJson } from '../../../../server/http.ts';
import { codeTooLarge, MAX_CODE_BODY_BYTES, MAX_CODE_BYTES } from '../../../../server/submit.ts';

/** A learner's draft of one exercise: theirs alone (the session's user is the owner, there is no other key). */
export const PUT = api<{ exercise: string }>('signed-in', async ({ request, db, user, params }) => {
  const body = (await readJson(request, MAX_CODE_BODY_BYTES, 'Your draft')) as { code?: unknown } | null;
  if (typeof body?.code !== 'string') return errorResponse(400, 'Send the draft as { "code": "…" }.');
  if (Buffer.byteLength(body.code, 'utf8') > MAX_CODE_BYTES) return codeTooLarge('Your draft');
  if ((await db.exercises.current(params.exercise)) === null)
    return errorResponse(404, 'There is no such exercise.');
  const saved = await db.drafts.save(user.id, params.exercise, body.code);
  if (saved.kind === 'err')
    return errorResponse(
      400,
      'Your code contains a NUL character (\\0), which no source file holds; remove it to save.',
    );
  return Response.json({ saved: true });
});

export const GET = api<{ exercise: string }>('signed-in', async ({ db, user, params }) => {
  const draft = await db.drafts.get(user.id, params.exercise);
  return Response.json({ code: draft?.code ?? null });
});
