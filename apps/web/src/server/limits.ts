/**
 * Request limits kept in the database, so every web process counts the
 * same requests. A refusal is a 429 that says when to try again.
 */
import type { Db, User } from '@faultline/db';
import { errorResponse } from './http.ts';

/** What each limited action allows, per key and window. */
export const RATE_LIMITS = {
  /** Per client address: enough for a classroom behind one NAT, not for guessing passwords. */
  signin: { windowMs: 60_000, max: 30, what: 'sign-in attempts' },
  signup: { windowMs: 60 * 60_000, max: 60, what: 'sign-ups' },
  /** Per learner: a submission every few seconds, sustained, is more than any person types. */
  submit: { windowMs: 60_000, max: 20, what: 'submissions' },
} as const;

export type LimitedAction = keyof typeof RATE_LIMITS;

function clientAddress(request: Request): string {
  // Behind a proxy the first X-Forwarded-For hop is the client; alone, all
  // requests share one key, which only makes the limit stricter.
  return request.headers.get('x-forwarded-for')?.split(',')[0]?.trim() || 'direct';
}

/** A 429 response when `action` is over its limit for this user (or address), else null. */
export async function rateLimited(
  db: Db,
  request: Request,
  action: LimitedAction,
  user?: User,
): Promise<Response | null> {
  const limit = RATE_LIMITS[action];
  const key = `${action}:${user === undefined ? `ip:${clientAddress(request)}` : `user:${user.id}`}`;
  const hit = await db.rateLimits.hit(key, { windowMs: limit.windowMs, max: limit.max });
  if (hit.kind === 'ok') return null;
  const seconds = Math.max(1, Math.ceil(hit.retryAfterMs / 1000));
  const response = errorResponse(
    429,
    `Too many ${limit.what}: at most ${limit.max} per ${limit.windowMs / 60_000} minute${limit.windowMs === 60_000 ? '' : 's'}. Try again in ${seconds} s.`,
    { retryAfterSeconds: seconds },
  );
  response.headers.set('retry-after', String(seconds));
  return response;
}
