/**
 * Removes the host from text a learner will see: absolute paths of the
 * grading machine and the stack frames of host code. What stays is the
 * learner's own code position (`learner.ts:12:5`), because that is the one
 * place in a trace a learner can act on.
 *
 * The one scrubber, with one policy, for everything that leaves the host:
 * the engine scrubs host errors before the guest sees them and the guest's
 * errors before the host reports them, the worker scrubs a failed job's
 * message, and the grader scrubs every string of a report
 * (`@faultline/grader`'s `buildReport`). It lives here, the lowest package
 * that needs it; the others import it (`@faultline/sandbox/scrub`).
 *
 * A path counts as the host's when it is a file:// URL, a Windows drive path,
 * a home-relative path (`~/…`), anything through `node_modules`, a Node
 * internal module (`node:internal/…`), or an absolute POSIX path that starts
 * at a host root (/work, /tmp, /home, …, plus `hostRoots`) or names a source
 * file (.ts, .js, .json, …). Other absolute paths survive on purpose: a course
 * about virtual memory talks about /dev/zero and /proc/self/maps.
 *
 * Pure and idempotent: scrubbing scrubbed text changes nothing.
 */

export type ScrubOptions = {
  /** File names whose positions the learner may see. Default: learner.ts, and learner.js (the name the sandbox evaluates under). */
  learnerFiles?: readonly string[];
  /** Extra absolute directories to treat as host paths, e.g. the repository root. */
  hostRoots?: readonly string[];
};

export const HOST_PATH = '<host path>';

const DEFAULT_LEARNER_FILES = ['learner.ts', 'learner.js'] as const;
const HOST_ROOTS = [
  '/work',
  '/tmp',
  '/home',
  '/root',
  '/Users',
  '/var',
  '/private',
  '/opt',
  '/usr/lib',
  '/usr/local',
  '/srv',
  '/mnt',
  '/app',
  '/snap',
  '/nix',
  '/builds',
  '/github',
  '/runner',
];
const SOURCE_EXTENSION = /\.(?:[cm]?[jt]sx?|json|node|wasm|map)$/;

const POSITION = String.raw`(?::\d+){0,2}`;
const PATH_CHARS = String.raw`[\w.@+~%-]`;
const FILE_URL = /\bfile:\/\/[^\s'"\x60()<>]+/g;
const WINDOWS_PATH = /\b[A-Za-z]:\\[^\s'"\x60()<>]*/g;
const NODE_INTERNAL = new RegExp(String.raw`\bnode:internal\/[\w/.-]*${POSITION}`, 'g');
const HOME_PATH = /(?<![\w/])~\/[^\s'"\x60()<>]*/g;
const NODE_MODULES = new RegExp(
  String.raw`(?<![\w.@+~%/-])(?:${PATH_CHARS}+\/)*node_modules\/[^\s'"\x60()<>]*`,
  'g',
);
// Each repetition ends in '/', which the class excludes, so matching stays linear.
const POSIX_PATH = new RegExp(
  String.raw`(?<![\w.@+~%/-])\/(?:${PATH_CHARS}+\/)*${PATH_CHARS}+(?<position>${POSITION})`,
  'g',
);
// V8 and QuickJS indent frames and end them with a position or a parenthesized location;
// requiring both keeps a learner's own 'at address 0x1000' lines.
const STACK_FRAME = /^\s+at\s.*(?:\)|:\d+)\s*$/;

/** Scrubs host paths and host stack frames from `text`; see the module comment. */
export function scrubHostText(text: string, options: ScrubOptions = {}): string {
  const { learnerFiles, hostRoots } = resolve(options);
  const lines = text.split('\n');
  const kept: string[] = [];
  for (const line of lines) {
    if (!STACK_FRAME.test(line)) {
      kept.push(scrubPaths(line, learnerFiles, hostRoots));
      continue;
    }
    const frame = learnerFrame(line, learnerFiles);
    if (frame !== undefined) kept.push(frame);
  }
  return kept.join('\n');
}

/** Scrubs host paths only, leaving stack frames in place (for single-line fields). */
export function scrubHostPaths(text: string, options: ScrubOptions = {}): string {
  const { learnerFiles, hostRoots } = resolve(options);
  return scrubPaths(text, learnerFiles, hostRoots);
}

function resolve(options: ScrubOptions): { learnerFiles: readonly string[]; hostRoots: readonly string[] } {
  return {
    learnerFiles: options.learnerFiles ?? DEFAULT_LEARNER_FILES,
    hostRoots: [...HOST_ROOTS, ...(options.hostRoots ?? []).map((root) => root.replace(/\/+$/, ''))],
  };
}

function scrubPaths(line: string, learnerFiles: readonly string[], hostRoots: readonly string[]): string {
  const toLearnerOrHost = (match: string) => learnerPosition(match, learnerFiles) ?? HOST_PATH;
  return line
    .replace(FILE_URL, toLearnerOrHost)
    .replace(WINDOWS_PATH, toLearnerOrHost)
    .replace(NODE_INTERNAL, HOST_PATH)
    .replace(HOME_PATH, toLearnerOrHost)
    .replace(NODE_MODULES, HOST_PATH)
    .replace(POSIX_PATH, (match: string, ...rest: unknown[]) => {
      const groups = rest.at(-1) as { position?: string };
      const path = match.slice(0, match.length - (groups.position ?? '').length);
      const learner = learnerPosition(match, learnerFiles);
      if (learner !== undefined) return learner;
      const isHost =
        hostRoots.some((root) => path === root || path.startsWith(`${root}/`)) ||
        path.includes('/node_modules/') ||
        SOURCE_EXTENSION.test(path);
      return isHost ? HOST_PATH : match;
    });
}

/**
 * `…/learner.ts:12:5` → `learner.ts:12:5` when the last path segment is a
 * learner file; undefined otherwise.
 */
function learnerPosition(pathWithPosition: string, learnerFiles: readonly string[]): string | undefined {
  const m = /[\\/]([^\\/]+?)((?::\d+){0,2})$/.exec(pathWithPosition);
  if (!m) return undefined;
  const [, name = '', position = ''] = m;
  return learnerFiles.includes(name) ? `${name}${position}` : undefined;
}

/**
 * A V8 or QuickJS frame (`    at fn (/abs/learner.ts:3:7)`, `    at /abs/learner.ts:3:7`,
 * `    at fn (learner.js:3)`) that points into learner code, reduced to the file
 * name and position; undefined for every other frame.
 */
function learnerFrame(line: string, learnerFiles: readonly string[]): string | undefined {
  const indent = /^\s*/.exec(line)?.[0] ?? '';
  const body = line.slice(indent.length + 'at '.length).trim();
  const withParens = /^(.*?) \((.*)\)$/.exec(body);
  const fn = withParens ? withParens[1] : undefined;
  const location = withParens ? (withParens[2] ?? '') : body;
  const m = /(?:^|[\\/])([^\\/\s]+?)(:\d+(?::\d+)?)$/.exec(location);
  if (!m) return undefined;
  const [, name = '', position = ''] = m;
  if (!learnerFiles.includes(name)) return undefined;
  // A learner frame may still name a host function (`Object.<anonymous>`); scrub it like any text.
  const where = `${name}${position}`;
  return fn === undefined
    ? `${indent}at ${where}`
    : `${indent}at ${scrubPaths(fn, [], HOST_ROOTS)} (${where})`;
}
