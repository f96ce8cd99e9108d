import { endSession } from '@faultline/accounts';
import { api } from '../../../../server/http.ts';
import { clearSessionCookie, sessionToken } from '../../../../server/session.ts';

export const POST = api('anyone', async ({ db }) => {
  await endSession(db, await sessionToken());
  await clearSessionCookie();
  return Response.json({ ok: true });
});
