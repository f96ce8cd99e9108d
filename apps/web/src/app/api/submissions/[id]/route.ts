import { api, errorResponse } from '../../../../server/http.ts';
import { readableSubmission } from '../../../../server/read-submission.ts';

/** How long one request waits for a grade to change before answering "still pending". */
const WAIT_MS = 10_000;
const POLL_MS = 100;

export const GET = api<{ id: string }>('signed-in', async ({ request, db, user, params }) => {
  const wait = new URL(request.url).searchParams.get('wait') === '1';
  const deadline = Date.now() + (wait ? WAIT_MS : 0);
  for (;;) {
    const found = await readableSubmission(db, user, params.id);
    if (found === null) return errorResponse(404, 'There is no such submission, or it is not yours.');
    if (found.body.status !== 'pending' || Date.now() >= deadline || request.signal.aborted)
      return Response.json(found.body, { headers: { 'cache-control': 'no-store' } });
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
});
