import { authenticate, startSession } from '@faultline/accounts';
import { api, errorResponse, readJson } from '../../../../server/http.ts';
import { rateLimited } from '../../../../server/limits.ts';
import { setSessionCookie } from '../../../../server/session.ts';

export const POST = api('anyone', async ({ request, db }) => {
  const limited = await rateLimited(db, request, 'signin');
  if (limited !== null) return limited;
  const body = (await readJson(request, 4 * 1024)) as Record<string, unknown> | null;
  if (typeof body?.email === 'string') {
    const forAccount = await rateLimited(db, request, 'signinAccount', { email: body.email });
    if (forAccount !== null) return forAccount;
  }
  const result = await authenticate(db, body?.email, body?.password);
  if (result.kind === 'err') return errorResponse(401, 'That email and password do not match an account.');
  const session = await startSession(db, result.user.id, Date.now());
  await setSessionCookie(session.token, session.expiresAt);
  return Response.json({ user: { id: result.user.id, displayName: result.user.displayName } });
});
