/**
 * Session tokens: 32 random bytes for the cookie; the database keeps only
 * their SHA-256, so a leaked table cannot be replayed as sessions.
 */
import { createHash, randomBytes } from 'node:crypto';

export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

export function tokenHash(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
