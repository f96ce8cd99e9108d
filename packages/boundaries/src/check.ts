/**
 * The boundary rule: a relative path in an import (or any other form that
 * names a file, see specifiers.ts) must not leave the workspace area of the
 * file that writes it. Packages meet only through their public `exports`.
 *
 * The areas are the workspaces pnpm-workspace.yaml declares (each folder a
 * `dir/*` entry matches, and each literal entry: packages/*, apps/*,
 * exercises, e2e), the repository's own scripts/ and, for anything else,
 * the root. An area nested in another is its own.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { findSpecifiers, type Specifier } from './specifiers.ts';

/** Folders of the repository root that are areas of their own besides the workspaces. */
const ROOT_AREAS = ['scripts'];
const CODE_FILE = /\.(?:[cm]?[jt]sx?)$/;
/** Folders never scanned: dependencies, build output, caches, and hidden folders (.git, .turbo, .tools, …). */
const SKIPPED_FOLDERS = new Set(['node_modules', 'dist', 'build', 'coverage', 'out']);

export interface Violation {
  /** The file, relative to the workspace root (`/`-separated). */
  readonly file: string;
  readonly line: number;
  readonly form: Specifier['form'];
  readonly specifier: string;
  /** The area the file belongs to, and the one the path leads into (relative to the root; `.` for the root, `(outside)` beyond it). */
  readonly from: string;
  readonly to: string;
}

/** The folders pnpm-workspace.yaml's `packages:` entries name, relative to `root`. */
export function workspaceEntries(yaml: string): string[] {
  const entries: string[] = [];
  let inPackages = false;
  for (const raw of yaml.split('\n')) {
    const line = raw.replace(/\s+#.*$/, '');
    if (/^\S/.test(line)) inPackages = /^packages\s*:\s*$/.test(line);
    else if (inPackages) {
      const m = /^\s+-\s+(["']?)(.+?)\1\s*$/.exec(line);
      if (m) entries.push(m[2]!);
    }
  }
  return entries;
}

/** Every area of the workspace at `root`, as absolute folders. */
export function workspaceAreas(root: string): string[] {
  const yamlFile = join(root, 'pnpm-workspace.yaml');
  const entries = workspaceEntries(readFileSync(yamlFile, 'utf8'));
  const areas = new Set<string>();
  for (const entry of entries) {
    if (entry.startsWith('!'))
      throw new Error(`${yamlFile}: "${entry}": exclusions are not understood by the boundary check`);
    const star = entry.endsWith('/*');
    const base = star ? entry.slice(0, -2) : entry;
    if (/[*?{[]/.test(base))
      throw new Error(`${yamlFile}: "${entry}": only "dir" and "dir/*" are understood by the boundary check`);
    const dir = resolve(root, base);
    if (!existsSync(dir)) continue;
    if (!star) areas.add(dir);
    else
      for (const e of readdirSync(dir, { withFileTypes: true }))
        if (e.isDirectory() && !e.name.startsWith('.')) areas.add(join(dir, e.name));
  }
  for (const name of ROOT_AREAS) areas.add(resolve(root, name));
  // Deepest first, so a nested area wins.
  return [...areas].sort((a, b) => b.length - a.length);
}

/** The area `path` lies in: the deepest area folder holding it, the root, or null beyond the root. */
export function areaOf(path: string, areas: readonly string[], root: string): string | null {
  for (const area of areas) if (path === area || path.startsWith(area + sep)) return area;
  return path === root || path.startsWith(root + sep) ? root : null;
}

/** The code files under `dir`, skipping dependencies, build output and hidden folders. */
export function codeFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory())
      return entry.name.startsWith('.') || SKIPPED_FOLDERS.has(entry.name) ? [] : codeFiles(path);
    return entry.isFile() && CODE_FILE.test(entry.name) ? [path] : [];
  });
}

/** Where a specifier written in `file` leads, if it names a path (not a package or a URL of another scheme). */
export function targetOf(file: string, { form, specifier }: Specifier): string | null {
  if (form === 'url') {
    // As `new URL` resolves it: anything without a scheme is relative to the file.
    const url = new URL(specifier, pathToFileURL(file));
    return url.protocol === 'file:' ? fileURLToPath(url) : null;
  }
  if (form === 'reference') return resolve(dirname(file), specifier);
  if (specifier.startsWith('file:')) return fileURLToPath(specifier);
  if (specifier === '.' || specifier === '..' || /^\.{1,2}\//.test(specifier) || specifier.startsWith('/'))
    return resolve(dirname(file), specifier.replace(/[?#].*$/, ''));
  return null;
}

/** Every boundary violation in the workspace at `root`. */
export function checkWorkspace(root: string): Violation[] {
  const absoluteRoot = resolve(root);
  const areas = workspaceAreas(absoluteRoot);
  const name = (area: string | null) => (area === null ? '(outside)' : relative(absoluteRoot, area) || '.');
  const violations: Violation[] = [];
  for (const file of codeFiles(absoluteRoot)) {
    const from = areaOf(file, areas, absoluteRoot);
    for (const spec of findSpecifiers(readFileSync(file, 'utf8'))) {
      const target = targetOf(file, spec);
      if (target === null) continue;
      const to = areaOf(target, areas, absoluteRoot);
      if (to === from) continue;
      violations.push({
        file: relative(absoluteRoot, file).split(sep).join('/'),
        line: spec.line,
        form: spec.form,
        specifier: spec.specifier,
        from: name(from),
        to: name(to),
      });
    }
  }
  return violations;
}

const WRITTEN: Record<Specifier['form'], (s: string) => string> = {
  from: (s) => `from '${s}'`,
  import: (s) => `import '${s}'`,
  'dynamic-import': (s) => `import('${s}')`,
  require: (s) => `require('${s}')`,
  resolve: (s) => `resolve('${s}')`,
  mock: (s) => `vi.mock('${s}') (or another vi call that takes a module)`,
  url: (s) => `new URL('${s}', import.meta.url)`,
  reference: (s) => `/// <reference path="${s}" />`,
};

/** One violation as a line a developer can act on. */
export function describeViolation(v: Violation): string {
  const area = (a: string) => (a === '.' ? 'the repository root' : a);
  const into = v.to === '(outside)' ? 'for outside the repository' : `for ${area(v.to)}`;
  return `${v.file}:${v.line}: ${WRITTEN[v.form](v.specifier)} leaves ${area(v.from)} ${into}: packages meet only through their public exports (import the package by its name, or a subpath its package.json "exports" lists), never by a relative path into another package`;
}

/** The workspace root at or above `from` (the folder holding pnpm-workspace.yaml). */
export function findWorkspaceRoot(from: string): string | null {
  for (let dir = resolve(from); ; dir = dirname(dir)) {
    const yaml = join(dir, 'pnpm-workspace.yaml');
    if (existsSync(yaml) && statSync(yaml).isFile()) return dir;
    if (dirname(dir) === dir) return null;
  }
}
