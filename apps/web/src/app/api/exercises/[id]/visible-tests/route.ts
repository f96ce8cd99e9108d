import { api, errorResponse } from '../../../../../server/http.ts';
import { visibleTestsOf } from '../../../../../server/visible-tests.ts';

/**
 * The visible tests of one exercise version as a browser module, for Run.
 * They are public by design (a learner reads them anyway); the hidden
 * tests and the solution never take this path — the grader refuses to
 * bundle them.
 */
export const GET = api<{ id: string }>('signed-in', async ({ request, db, params }) => {
  const hash = new URL(request.url).searchParams.get('hash');
  if (hash === null || !/^[0-9a-f]{64}$/.test(hash))
    return errorResponse(400, 'Say which version: ?hash=<its sha256>.');
  const bundle = await visibleTestsOf(db, params.id, hash);
  if (bundle === null) return errorResponse(404, 'There is no such exercise version.');
  if (bundle.kind === 'err') {
    console.error(`faultline web: visible tests of ${params.id}@${hash} do not bundle:`, bundle.errors);
    return errorResponse(
      500,
      'This exercise’s visible tests cannot run in the browser; use Submit, and tell your instructor.',
    );
  }
  return Response.json(
    { code: bundle.code, sha256: bundle.sha256, exercise: bundle.exercise, limits: bundle.limits },
    { headers: { 'cache-control': 'private, max-age=31536000, immutable', etag: `"${bundle.sha256}"` } },
  );
});
