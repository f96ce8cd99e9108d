/**
 * The session cookie: HTTP-only (no script reads it), SameSite=Lax, Secure
 * behind HTTPS; it holds a random token whose hash the database keeps
 * (@faultline/accounts). Pages read it through next/headers, API routes
 * from the request.
 */
import { sessionUser } from '@faultline/accounts';
import type { Db, User } from '@faultline/db';
import { cookies } from 'next/headers';
import { redirect } from 'next/navigation';
import { readConfig } from './config.ts';
import { getDb } from './db.ts';

export const SESSION_COOKIE = 'faultline_session';

function tokenFromCookieHeader(header: string | null): string | undefined {
  if (header === null) return undefined;
  for (const part of header.split(';')) {
    const [name, ...value] = part.trim().split('=');
    if (name === SESSION_COOKIE) return value.join('=');
  }
  return undefined;
}

export function userFromRequest(db: Db, request: Request): Promise<User | null> {
  return sessionUser(db, tokenFromCookieHeader(request.headers.get('cookie')));
}

/** The signed-in user of the page being rendered, or null. */
export async function currentUser(): Promise<User | null> {
  const token = (await cookies()).get(SESSION_COOKIE)?.value;
  return sessionUser(await getDb(), token);
}

/** The signed-in user, or a redirect to sign in and come back to `path`. */
export async function requireUser(path: string): Promise<User> {
  const user = await currentUser();
  if (user === null) redirect(`/signin?next=${encodeURIComponent(path)}`);
  return user;
}

export async function setSessionCookie(token: string, expiresAt: number): Promise<void> {
  (await cookies()).set(SESSION_COOKIE, token, {
    httpOnly: true,
    sameSite: 'lax',
    secure: readConfig().secureCookies,
    path: '/',
    expires: new Date(expiresAt),
  });
}

export async function clearSessionCookie(): Promise<void> {
  (await cookies()).delete(SESSION_COOKIE);
}

export async function sessionToken(): Promise<string | undefined> {
  return (await cookies()).get(SESSION_COOKIE)?.value;
}
