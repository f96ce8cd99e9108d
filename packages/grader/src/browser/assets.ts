/**
 * The files a web app serves for the browser runner (Node): the build
 * (`pnpm --filter @faultline/grader build`) puts them in one folder,
 * `dist/browser/`, for the app to copy or serve as they are, from its own
 * origin (the runner fetches nothing from anywhere else):
 *
 * - `runner.js` (+ `runner.js.map`): the module Web Worker;
 * - `quickjs.wasm`: the engine's QuickJS build (the binary the server runs);
 * - `esbuild.wasm`: esbuild-wasm, the version of the server's esbuild.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface BrowserAssets {
  /** The folder holding all three (absolute). */
  readonly dir: string;
  /** The worker script: `new Worker(its URL, { type: 'module' })`. */
  readonly runner: string;
  /** The init message's `quickjsWasm`, once served. */
  readonly quickjsWasm: string;
  /** The init message's `esbuildWasm`, once served. */
  readonly esbuildWasm: string;
}

/** Where the build leaves the files, relative to the grader's package folder. */
export const BROWSER_ASSETS_DIR = 'dist/browser';
export const BROWSER_ASSET_FILES = {
  runner: 'runner.js',
  quickjsWasm: 'quickjs.wasm',
  esbuildWasm: 'esbuild.wasm',
} as const;

/** The browser runner's files (absolute paths); throws, naming the build, if it has not run. */
export function browserAssets(): BrowserAssets {
  const dir = fileURLToPath(new URL(`../../${BROWSER_ASSETS_DIR}/`, import.meta.url));
  const at = (file: string) => `${dir}${file}`;
  const assets: BrowserAssets = {
    dir: dir.replace(/\/$/, ''),
    runner: at(BROWSER_ASSET_FILES.runner),
    quickjsWasm: at(BROWSER_ASSET_FILES.quickjsWasm),
    esbuildWasm: at(BROWSER_ASSET_FILES.esbuildWasm),
  };
  const missing = [assets.runner, assets.quickjsWasm, assets.esbuildWasm].filter((f) => !existsSync(f));
  if (missing.length > 0)
    throw new Error(
      `the browser runner is not built (missing ${missing.join(', ')}): run \`npx pnpm --filter @faultline/grader build\``,
    );
  return assets;
}
