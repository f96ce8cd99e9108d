import { createAccount, startSession } from '@faultline/accounts';
import { api, errorResponse, readJson } from '../../../../server/http.ts';
import { rateLimited } from '../../../../server/limits.ts';
import { setSessionCookie } from '../../../../server/session.ts';

/** Anyone may sign up as a learner; instructors come from `faultline user add --role instructor`. */
export const POST = api('anyone', async ({ request, db }) => {
  const limited =
    (await rateLimited(db, request, 'signup')) ??
    (await rateLimited(db, request, 'signupEveryone', 'everyone'));
  if (limited !== null) return limited;
  const body = (await readJson(request, 4 * 1024)) as Record<string, unknown> | null;
  const created = await createAccount(db, {
    email: body?.email,
    password: body?.password,
    displayName: body?.displayName,
    role: 'learner',
  });
  if (created.kind === 'err')
    return errorResponse(400, 'Some fields need another look.', { fields: created.problems });
  const session = await startSession(db, created.user.id, Date.now());
  await setSessionCookie(session.token, session.expiresAt);
  return Response.json(
    { user: { id: created.user.id, displayName: created.user.displayName } },
    { status: 201 },
  );
});
