/**
 * Where to go after signing in: only a path on this site. `//evil.example`
 * and `https://…` would turn the sign-in page into an open redirect.
 */
export function safeNextPath(next: string | null, fallback = '/exercises'): string {
  if (next === null || !next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\'))
    return fallback;
  return next;
}
