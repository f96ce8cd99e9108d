import { api, errorResponse, readJson } from '../../../../server/http.ts';
import { rateLimited } from '../../../../server/limits.ts';

export const POST = api('signed-in', async ({ request, db, user }) => {
  const limited = await rateLimited(db, request, 'join', { user });
  if (limited !== null) return limited;
  const body = (await readJson(request, 1024)) as { code?: unknown } | null;
  if (typeof body?.code !== 'string')
    return errorResponse(400, 'Send the join code your instructor gave you.');
  const joined = await db.courses.join(body.code, user.id);
  if (joined.kind === 'err')
    return errorResponse(
      404,
      'No course has that join code. Check it with your instructor (letters and digits, dashes optional).',
    );
  return Response.json({ courseId: joined.course.id, joined: joined.joined });
});
