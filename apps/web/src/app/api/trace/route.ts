/**
 * GET /api/trace?scenario=<name> or ?src=<YAML or JSON>: the recording the
 * /trace page draws, as JSON (`{ recording, ms }`), or `{ error }` with 400
 * (a bad scenario), 404 (no such bundled scenario), 413 (too large) or 422
 * (the machine refused it). Public, like /trace: it runs scenarios only.
 */
import { getDb } from '../../../server/db.ts';
import { rateLimited } from '../../../server/limits.ts';
import { openBundled } from '../../../trace/bundled.ts';
import { type Opened, openScenarioText } from '../../../trace/open.ts';

export async function GET(request: Request): Promise<Response> {
  const url = new URL(request.url);
  const name = url.searchParams.get('scenario');
  const src = url.searchParams.get('src');
  if ((name === null) === (src === null))
    return Response.json({ error: 'Give either ?scenario=<name> or ?src=<scenario text>.' }, { status: 400 });
  let opened: Opened;
  if (src !== null) {
    const db = await getDb();
    const limited =
      (await rateLimited(db, request, 'traceSource')) ??
      (await rateLimited(db, request, 'traceSourceEveryone', 'everyone'));
    if (limited !== null) return limited;
    try {
      opened = openScenarioText(src);
    } catch (error) {
      console.error('faultline web: /api/trace could not record a scenario', error);
      return Response.json({ error: 'The simulator failed on this scenario.' }, { status: 500 });
    }
  } else {
    const bundled = await openBundled(name!);
    if (bundled === null)
      return Response.json({ error: `There is no bundled scenario called "${name}".` }, { status: 404 });
    opened = bundled.opened;
  }
  if (opened.kind === 'err') return Response.json({ error: opened.message }, { status: opened.status });
  return Response.json(
    { recording: opened.recording, ms: Math.round(opened.ms * 10) / 10 },
    { headers: { 'cache-control': src === null ? 'public, max-age=300' : 'no-store' } },
  );
}
