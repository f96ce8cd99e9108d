/**
 * The JSON API's edges: every route goes through `api()`, which answers 401
 * to a request without a session, 403 to the wrong role or a cross-site
 * state change, 413 to a body over its limit, and 500 (logged, with no
 * detail for the caller) to a bug — so no route can forget one of them.
 *
 * CSRF: a state-changing request must carry the `x-faultline-request`
 * header, which a cross-site form cannot send and a cross-site script can
 * send only after a CORS preflight this app never grants (OWASP's "custom
 * request header" defence), and, when the browser sends an Origin, it must
 * be this site's. Cookies are SameSite=Lax on top.
 */
import type { Role } from '@faultline/accounts';
import type { Db, User } from '@faultline/db';
import { getDb } from './db.ts';
import { userFromRequest } from './session.ts';

export const CSRF_HEADER = 'x-faultline-request';

export function errorResponse(
  status: number,
  message: string,
  extra: Record<string, unknown> = {},
): Response {
  return Response.json({ error: message, ...extra }, { status, headers: { 'cache-control': 'no-store' } });
}

export type Access = 'anyone' | 'signed-in' | readonly Role[];

export interface ApiContext<P> {
  readonly request: Request;
  readonly db: Db;
  readonly user: User | null;
  readonly params: P;
}

export interface SignedInContext<P> extends ApiContext<P> {
  readonly user: User;
}

type Handler<C> = (context: C) => Promise<Response>;

export function api<P = Record<string, never>>(
  access: 'anyone',
  handler: Handler<ApiContext<P>>,
): (request: Request, route: { params: Promise<P> }) => Promise<Response>;
export function api<P = Record<string, never>>(
  access: 'signed-in' | readonly Role[],
  handler: Handler<SignedInContext<P>>,
): (request: Request, route: { params: Promise<P> }) => Promise<Response>;
export function api<P>(access: Access, handler: Handler<never>) {
  return async (request: Request, route: { params: Promise<P> }): Promise<Response> => {
    try {
      if (!['GET', 'HEAD', 'OPTIONS'].includes(request.method)) {
        const refusal = crossSiteRefusal(request);
        if (refusal !== null) return errorResponse(403, refusal);
      }
      const db = await getDb();
      const user = await userFromRequest(db, request);
      if (access !== 'anyone') {
        if (user === null) return errorResponse(401, 'Sign in first: this needs an account.');
        if (access !== 'signed-in' && !access.includes(user.role))
          return errorResponse(403, `Only ${access.join(' or ')} accounts may do this.`);
      }
      const params = (await route.params) ?? ({} as P);
      return await (handler as Handler<ApiContext<P>>)({ request, db, user, params });
    } catch (error) {
      if (error instanceof BodyError) return errorResponse(error.status, error.message);
      console.error(`faultline web: ${request.method} ${new URL(request.url).pathname} failed:`, error);
      return errorResponse(
        500,
        'Something went wrong on the server, and what you sent may not have been saved. Try again in a moment.',
      );
    }
  };
}

/** Why a state-changing request looks cross-site, or null. */
export function crossSiteRefusal(request: Request): string | null {
  if (request.headers.get(CSRF_HEADER) !== '1')
    return `This request did not come from Faultline's own pages (the ${CSRF_HEADER} header is missing).`;
  const origin = request.headers.get('origin');
  if (origin !== null) {
    const host = request.headers.get('host');
    let originHost: string | null = null;
    try {
      originHost = new URL(origin).host;
    } catch {
      originHost = null;
    }
    if (host === null || originHost !== host) return 'This request came from another site.';
  }
  return null;
}

class BodyError extends Error {
  constructor(
    readonly status: 400 | 413 | 415,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The request's body, read no further than `maxBytes`: a bigger body is a
 * 413 that says how big it may be, whatever Content-Length claims.
 */
export async function readBytes(request: Request, maxBytes: number, what = 'The request'): Promise<Buffer> {
  const tooBig = () =>
    new BodyError(413, `${what} is too large: at most ${Math.floor(maxBytes / 1024)} KiB is accepted.`);
  const declared = Number(request.headers.get('content-length') ?? '0');
  if (declared > maxBytes) throw tooBig();
  const reader = request.body?.getReader();
  if (reader === undefined) throw new BodyError(400, 'The request has no body.');
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      throw tooBig();
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}

/** The request's JSON body, within `maxBytes` (see `readBytes`). */
export async function readJson(request: Request, maxBytes: number, what = 'The request'): Promise<unknown> {
  requireType(request, 'application/json', 'Send JSON (Content-Type: application/json).');
  const bytes = await readBytes(request, maxBytes, what);
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new BodyError(400, 'The body is not valid JSON.');
  }
}

export function requireType(request: Request, type: string, message: string): void {
  if (!(request.headers.get('content-type') ?? '').startsWith(type)) throw new BodyError(415, message);
}
