/**
 * Before any test: checks the web app is built, and — with
 * FAULTLINE_E2E_COPY_BUILD=1 — copies the build aside so that the servers
 * run from the copy.
 *
 * The copy is for a working tree where someone may rebuild apps/web while
 * the suite runs (`next build` empties .next/ first, and a running server
 * then fails to load its chunks). CI builds once before the tests, so by
 * default the servers run apps/web's own build, as `npm start` does.
 *
 * The copy (e2e-artifacts/web-build/) holds what the app's start script and
 * `next start` read — .next/ without its cache, public/, scripts/,
 * next.config.ts and package.json — and a link to apps/web's node_modules;
 * the servers run its scripts/start.mjs. The links in .next/node_modules (Next's
 * aliases of the native packages) are relative to apps/web, so they are
 * made absolute. A copy is kept only if BUILD_ID is the same before and
 * after it, so a build that starts meanwhile cannot leave half of itself.
 */
import {
  cpSync,
  existsSync,
  lstatSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
} from 'node:fs';
import { join, relative } from 'node:path';
import { ARTIFACTS, REPO } from './paths.ts';

const WEB = join(REPO, 'apps', 'web');
const COPY = join(ARTIFACTS, 'web-build');
/** How long to wait for a build someone else is running to finish. */
const BUILD_WAIT_MS = 5 * 60_000;

function buildId(): string | null {
  try {
    return readFileSync(join(WEB, '.next', 'BUILD_ID'), 'utf8');
  } catch {
    return null;
  }
}

/** Makes every link under `dir` (a copy of `original`) point where the original's link resolves. */
function absoluteLinks(dir: string, original: string): void {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (lstatSync(path).isSymbolicLink()) {
      const target = realpathSync(join(original, relative(dir, path)));
      rmSync(path);
      symlinkSync(target, path);
    } else if (lstatSync(path).isDirectory()) absoluteLinks(path, join(original, name));
  }
}

function copyBuild(): boolean {
  const before = buildId();
  if (before === null) return false;
  rmSync(COPY, { recursive: true, force: true });
  cpSync(join(WEB, '.next'), join(COPY, '.next'), {
    recursive: true,
    verbatimSymlinks: true,
    filter: (source) => source !== join(WEB, '.next', 'cache'),
  });
  cpSync(join(WEB, 'public'), join(COPY, 'public'), { recursive: true });
  cpSync(join(WEB, 'scripts'), join(COPY, 'scripts'), { recursive: true });
  for (const file of ['package.json', 'next.config.ts']) cpSync(join(WEB, file), join(COPY, file));
  symlinkSync(join(WEB, 'node_modules'), join(COPY, 'node_modules'));
  const links = join(COPY, '.next', 'node_modules');
  if (existsSync(links)) absoluteLinks(links, join(WEB, '.next', 'node_modules'));
  return buildId() === before && readFileSync(join(COPY, '.next', 'BUILD_ID'), 'utf8') === before;
}

/** Returns the teardown (removing the copy), which Playwright runs after the last worker is gone. */
export default async function globalSetup(): Promise<(() => void) | undefined> {
  if (process.env.FAULTLINE_E2E_COPY_BUILD !== '1') {
    if (buildId() === null)
      throw new Error(
        'apps/web is not built: run `npx pnpm build` in apps/web (turbo does it before test:e2e)',
      );
    return undefined;
  }
  const deadline = Date.now() + BUILD_WAIT_MS;
  while (!copyBuild()) {
    if (Date.now() > deadline)
      throw new Error(`apps/web has no finished build to copy (waited ${BUILD_WAIT_MS / 1000} s for one)`);
    // Someone is building: wait for their BUILD_ID.
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  process.env.FAULTLINE_E2E_WEB_DIR = COPY;
  return () => rmSync(COPY, { recursive: true, force: true });
}
