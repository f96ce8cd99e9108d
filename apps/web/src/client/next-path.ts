/**
 * Where to go after signing in: only a place on this site. The path is
 * resolved as the browser would resolve it (which drops tabs and line
 * breaks, and reads `/\` as `//`), and kept only if it stays on this origin
 * — `//evil.example`, `/\t/evil.example` and `https://…` would otherwise
 * turn the sign-in page into an open redirect.
 */
export function safeNextPath(
  next: string | null,
  fallback = '/exercises',
  origin = 'http://faultline.invalid',
): string {
  if (next === null || !next.startsWith('/')) return fallback;
  let url: URL;
  try {
    url = new URL(next, origin);
  } catch {
    return fallback;
  }
  if (url.origin !== new URL(origin).origin) return fallback;
  return `${url.pathname}${url.search}${url.hash}`;
}
