/** Text as one word of a POSIX shell command line: as it is when it is plain, single-quoted otherwise. */
export function shellQuote(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replaceAll("'", "'\\''")}'`;
}
