import { authenticate, startSession } from '@faultline/accounts';
import { api, errorResponse, readJson } from '../../../../server/http.ts';
import {
  countFailedSignIn,
  forgetFailedSignIns,
  rateLimited,
  tooManyFailedSignIns,
} from '../../../../server/limits.ts';
import { setSessionCookie } from '../../../../server/session.ts';

export const POST = api('anyone', async ({ request, db }) => {
  const limited = await rateLimited(db, request, 'signin');
  if (limited !== null) return limited;
  const body = (await readJson(request, 4 * 1024)) as Record<string, unknown> | null;
  const email = typeof body?.email === 'string' ? body.email : null;
  // An account with too many recent failures is refused whatever the
  // password, so a guesser learns nothing from the answer.
  if (email !== null) {
    const locked = await tooManyFailedSignIns(db, email);
    if (locked !== null) return locked;
  }
  const result = await authenticate(db, body?.email, body?.password);
  if (result.kind === 'err') {
    if (email !== null) await countFailedSignIn(db, email);
    return errorResponse(401, 'That email and password do not match an account.');
  }
  await forgetFailedSignIns(db, result.user.email);
  const session = await startSession(db, result.user.id, Date.now());
  await setSessionCookie(session.token, session.expiresAt);
  return Response.json({ user: { id: result.user.id, displayName: result.user.displayName } });
});
