// The grader's build: dist/driver.js (`@faultline/grader/driver`), one ES
// module that plain Node 20 runs in a grading worker — the pool driver (its
// default export), the exercise loader, and the grader's whole public API,
// which exercise tests import as `@faultline/grader` (see
// src/runner/driver-entry.ts). vm-core, scenario, zod and yaml are bundled in;
// Node's built-ins and esbuild (which compiles exercise tests there) stay
// imports, and so does the sandbox, as its own build (dist/index.js, export
// `./built`): its engine finds QuickJS's .wasm relative to its own module.
//
// Then a child `node` imports the bundle, so an import the sandbox's build
// does not provide fails the build rather than the first grading job.
//
// Second, the browser runner (src/browser/build-runner.ts, so tests build the
// same bundle): dist/browser/runner.js, one ES module for a module Web
// Worker, with QuickJS's and esbuild-wasm's .wasm files copied beside it, so
// a web app serves one folder (`browserAssets()` from @faultline/grader/browser).
// This script runs under tsx (package.json's build), which lets it import
// that TypeScript.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { esbuildWasmPath, quickjsWasmPath } from '@faultline/sandbox/wasm-files';
import { build } from 'esbuild';
import { BROWSER_ASSET_FILES, BROWSER_ASSETS_DIR } from './src/browser/assets.ts';
import { buildBrowserRunner } from './src/browser/build-runner.ts';

/** `@faultline/sandbox` and `@faultline/sandbox/scrub` (a part of it) → its build; other subpaths are not in it. */
const builtSandbox = {
  name: 'built-sandbox',
  setup(b) {
    b.onResolve({ filter: /^@faultline\/sandbox(\/.*)?$/ }, (args) => {
      if (args.path === '@faultline/sandbox' || args.path === '@faultline/sandbox/scrub')
        return { path: '@faultline/sandbox/built', external: true };
      return {
        errors: [
          {
            text: `${args.path} is not part of the sandbox's build (dist/index.js): import it from @faultline/sandbox, exported from the sandbox's src/index.ts`,
          },
        ],
      };
    });
  },
};

const outfile = 'dist/driver.js';
await build({
  entryPoints: ['src/runner/driver-entry.ts'],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: true,
  define: { __FAULTLINE_GRADER_DRIVER_BUNDLE__: 'true' },
  external: ['esbuild'],
  plugins: [builtSandbox],
  logLevel: 'warning',
  // CommonJS dependencies (yaml) call require() for Node built-ins; give the
  // ES module bundle a real one.
  banner: {
    js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
  },
});

const url = new URL(`./${outfile}`, import.meta.url);
execFileSync(process.execPath, ['--input-type=module', '-e', `await import(${JSON.stringify(url.href)});`], {
  stdio: 'inherit',
});
console.log(`built ${fileURLToPath(url)}`);

const browserDir = fileURLToPath(new URL(`./${BROWSER_ASSETS_DIR}/`, import.meta.url));
mkdirSync(browserDir, { recursive: true });
await buildBrowserRunner(`${browserDir}${BROWSER_ASSET_FILES.runner}`);
copyFileSync(quickjsWasmPath(), `${browserDir}${BROWSER_ASSET_FILES.quickjsWasm}`);
copyFileSync(esbuildWasmPath(), `${browserDir}${BROWSER_ASSET_FILES.esbuildWasm}`);
console.log(`built ${browserDir} (${Object.values(BROWSER_ASSET_FILES).join(', ')})`);
