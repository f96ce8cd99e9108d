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
   * Failed sign-ins per account. The address is whatever X-Forwarded-For
   * claims (Next keeps a client's own), so guessing one account's password
   * is limited by the email it is aimed at as well; only failures count,
   * and a success starts the count again.
   */
  signinFailures: { windowMs: 15 * 60_000, max: 20, what: 'failed sign-ins for this account' },
  signup: { windowMs: 60 * 60_000, max: 60, what: 'sign-ups' },
  /** All sign-ups together: a made-up address per request still meets this. */
  signupEveryone: { windowMs: 60 * 60_000, max: 1_000, what: 'sign-ups on this server' },
  /** Per learner: a submission every few seconds, sustained, is more than any person types. */
  submit: { windowMs: 60_000, max: 20, what: 'submissions' },
  /** Per client address: a scenario of one's own costs up to half a second of the server's CPU to record. */
  traceSource: { windowMs: 60_000, max: 30, what: 'scenarios of your own' },
  traceSourceEveryone: { windowMs: 60_000, max: 240, what: 'scenarios of their own from everyone' },
  /** Per learner: guessing join codes. */
  join: { windowMs: 10 * 60_000, max: 30, what: 'tries at a join code' },
} as const;

export type LimitedAction = keyof typeof RATE_LIMITS;

function clientAddress(request: Pick<Request, 'headers'>): string {
  // Behind a proxy the first X-Forwarded-For hop is the client; alone, all
  // requests share one key, which only makes the limit stricter.
  return request.headers.get('x-forwarded-for')?.split(',')[0]?.trim() || 'direct';
}

/** Whom a limit counts: the client's address (null), a signed-in user, the account a sign-in names, or everyone. */
export type LimitSubject = { readonly user: User } | { readonly email: string } | 'everyone' | null;

/** A 429 response when `action` is over its limit for this subject (default: the address), else null. */
export async function rateLimited(
  db: Db,
  request: Pick<Request, 'headers'>,
  action: LimitedAction,
  subject: LimitSubject = null,
): Promise<Response | null> {
  const limit = RATE_LIMITS[action];
  const key = `${action}:${subjectKey(request, subject)}`;
  const hit = await db.rateLimits.hit(key, { windowMs: limit.windowMs, max: limit.max });
  return hit.kind === 'ok' ? null : refusal(action, hit.retryAfterMs);
}

/** The 429 for `action`: how many are allowed, and when to try again (also as Retry-After). */
function refusal(action: LimitedAction, retryAfterMs: number): Response {
  const limit = RATE_LIMITS[action];
  const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
  const minutes = limit.windowMs / 60_000;
  const response = errorResponse(
    429,
    `Too many ${limit.what}: at most ${limit.max} per ${minutes === 1 ? 'minute' : `${minutes} minutes`}. Try again in ${seconds} s.`,
    { retryAfterSeconds: seconds },
  );
  response.headers.set('retry-after', String(seconds));
  return response;
}

function subjectKey(request: Pick<Request, 'headers'>, subject: LimitSubject): string {
  if (subject === null) return `ip:${clientAddress(request)}`;
  if (subject === 'everyone') return 'everyone';
  if ('user' in subject) return `user:${subject.user.id}`;
  return `email:${subject.email.trim().toLowerCase()}`;
}

/** A failed sign-in is counted against the account it named (see `signinFailures`). */
export async function countFailedSignIn(db: Db, email: string): Promise<void> {
  const { windowMs, max } = RATE_LIMITS.signinFailures;
  await db.rateLimits.hit(`signinFailures:${subjectKey({ headers: new Headers() }, { email })}`, {
    windowMs,
    max,
  });
}

/** A successful sign-in starts the account's count of failures again. */
export async function forgetFailedSignIns(db: Db, email: string): Promise<void> {
  await db.rateLimits.reset(`signinFailures:${subjectKey({ headers: new Headers() }, { email })}`);
}

/** A 429 while the account has too many recent failed sign-ins (this attempt is not counted). */
export async function tooManyFailedSignIns(db: Db, email: string): Promise<Response | null> {
  const { max } = RATE_LIMITS.signinFailures;
  const peek = await db.rateLimits.peek(
    `signinFailures:${subjectKey({ headers: new Headers() }, { email })}`,
    {
      max,
    },
  );
  return peek.kind === 'ok' ? null : refusal('signinFailures', peek.retryAfterMs);
}
