import { api, errorResponse, readJson } from '../../../server/http.ts';

export const POST = api(['instructor', 'author'], async ({ request, db, user }) => {
  const body = (await readJson(request, 4096)) as { title?: unknown } | null;
  const title = typeof body?.title === 'string' ? body.title.trim() : '';
  if (title.length === 0 || title.length > 120)
    return errorResponse(400, 'Give the course a title of 1 to 120 characters.');
  const created = await db.courses.create({ title, ownerId: user.id });
  if (created.kind === 'err') return errorResponse(403, 'Only instructors may create courses.');
  return Response.json({ id: created.course.id, joinCode: created.course.joinCode }, { status: 201 });
});
