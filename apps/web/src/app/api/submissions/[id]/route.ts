import { api, errorResponse } from '../../../../server/http.ts';
import { readableSubmission } from '../../../../server/read-submission.ts';

/** How long one request waits for a grade to change before answering "still pending". */
const WAIT_MS = 10_000;
const POLL_MS = 100;

export const GET = api<{ id: string }>('signed-in', async ({ request, db, user, params }) => {
  const found = await readableSubmission(db, user, params.id);
  if (found === null) return errorResponse(404, 'There is no such submission, or it is not yours.');
  const answer = (body: unknown) => Response.json(body, { headers: { 'cache-control': 'no-store' } });
  if (found.body.status !== 'pending' || new URL(request.url).searchParams.get('wait') !== '1')
    return answer(found.body);
  // Held: only the submission's status is asked for while it waits (who may
  // read it, and how, was settled above and is worked out once more at the end).
  const deadline = Date.now() + WAIT_MS;
  while (Date.now() < deadline && !request.signal.aborted) {
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    if ((await db.submissions.status(params.id)) !== 'pending') break;
  }
  const last = await readableSubmission(db, user, params.id);
  return last === null
    ? errorResponse(404, 'There is no such submission, or it is not yours.')
    : answer(last.body);
});
