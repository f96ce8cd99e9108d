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
  /**
   * Per account: the address is whatever X-Forwarded-For claims (Next keeps
   * a client's own), so guessing one account's password is limited by the
   * email it is aimed at as well.
   */
  signinAccount: { windowMs: 15 * 60_000, max: 20, what: 'sign-in attempts for this account' },
  signup: { windowMs: 60 * 60_000, max: 60, what: 'sign-ups' },
  /** Per learner: a submission every few seconds, sustained, is more than any person types. */
  submit: { windowMs: 60_000, max: 20, what: 'submissions' },
  /** Per client address: a scenario of one's own costs up to half a second of the server's CPU to record. */
  traceSource: { windowMs: 60_000, max: 30, what: 'scenarios of your own' },
} as const;

export type LimitedAction = keyof typeof RATE_LIMITS;

function clientAddress(request: Pick<Request, 'headers'>): string {
  // Behind a proxy the first X-Forwarded-For hop is the client; alone, all
  // requests share one key, which only makes the limit stricter.
  return request.headers.get('x-forwarded-for')?.split(',')[0]?.trim() || 'direct';
}

/** Whom a limit counts: the client's address, a signed-in user, or the account a sign-in names. */
export type LimitSubject = { readonly user: User } | { readonly email: string } | null;

/** A 429 response when `action` is over its limit for this subject (default: the address), else null. */
export async function rateLimited(
  db: Db,
  request: Pick<Request, 'headers'>,
  action: LimitedAction,
  subject: LimitSubject = null,
): Promise<Response | null> {
  const limit = RATE_LIMITS[action];
  const who =
    subject === null
      ? `ip:${clientAddress(request)}`
      : 'user' in subject
        ? `user:${subject.user.id}`
        : `email:${subject.email.trim().toLowerCase()}`;
  const key = `${action}:${who}`;
  const hit = await db.rateLimits.hit(key, { windowMs: limit.windowMs, max: limit.max });
  if (hit.kind === 'ok') return null;
  const seconds = Math.max(1, Math.ceil(hit.retryAfterMs / 1000));
  const minutes = limit.windowMs / 60_000;
  const response = errorResponse(
    429,
    `Too many ${limit.what}: at most ${limit.max} per ${minutes === 1 ? 'minute' : `${minutes} minutes`}. Try again in ${seconds} s.`,
    { retryAfterSeconds: seconds },
  );
  response.headers.set('retry-after', String(seconds));
  return response;
}
