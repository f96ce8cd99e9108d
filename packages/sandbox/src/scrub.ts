/**
 * Removes host file paths from text a learner will see: messages of errors
 * thrown by host API functions, and anything else that might quote the host's
 * file system. Relative fragments such as `a/b` are kept.
 */
const FILE_URL = /\bfile:\/\/[^\s'"`)]+/g;
const POSIX_PATH = /(?<![\w.\-/])\/(?:[\w.@+~-]+\/)+[\w.@+~-]*/g;
const WINDOWS_PATH = /\b[A-Za-z]:\\(?:[^\\\s'"`)]+\\)*[^\\\s'"`)]*/g;

export function scrubHostPaths(text: string): string {
  return text
    .replace(FILE_URL, '<host path>')
    .replace(WINDOWS_PATH, '<host path>')
    .replace(POSIX_PATH, '<host path>');
}
