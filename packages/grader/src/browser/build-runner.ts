/**
 * Builds the browser runner (Node, at build time): `worker.ts` and all it
 * imports — the grader's runner, vm-core, scenario, zod, the sandbox's
 * engine, QuickJS's JS glue, esbuild-wasm's browser API — into one ES
 * module with no imports, for a module Web Worker. build.mjs writes it to
 * `dist/browser/runner.js`; tests build it to a folder of their own.
 *
 * `@faultline/sandbox` is `sandbox.ts` here (the engine, the scrubber and
 * the transpiler on esbuild-wasm); its Node-only subpaths and native esbuild
 * fail the build. So does anything that reaches a Node built-in, or an
 * exercise file: the build checks its metafile and throws.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { build, type Metafile, type Plugin } from 'esbuild';

const SANDBOX_STAND_IN = fileURLToPath(new URL('./sandbox.ts', import.meta.url));
const ENTRY = fileURLToPath(new URL('./worker.ts', import.meta.url));
const PACKAGE_DIR = fileURLToPath(new URL('../..', import.meta.url));

/** Node's built-in modules, as an import names them. */
const NODE_BUILTIN =
  /^(node:|(fs|path|os|url|module|crypto|child_process|worker_threads|util|stream|events|buffer)(\/|$))/;

const browserSandbox: Plugin = {
  name: 'browser-sandbox',
  setup(b) {
    b.onResolve({ filter: /^@faultline\/sandbox$/ }, () => ({ path: SANDBOX_STAND_IN }));
    b.onResolve({ filter: /^@faultline\/sandbox\/(transpile|built|testing|wasm-files)$/ }, (args) => ({
      errors: [{ text: `${args.path} is Node's: the browser runner uses the engine and transpile-wasm` }],
    }));
    b.onResolve({ filter: /^esbuild$/ }, () => ({
      errors: [{ text: 'native esbuild cannot run in a browser: the runner transpiles with esbuild-wasm' }],
    }));
  },
};

export interface BuiltRunner {
  /** The bundle's text. */
  readonly code: string;
  readonly metafile: Metafile;
}

/** Builds the runner to `outfile` (with a linked source map beside it) and checks it. */
export async function buildBrowserRunner(outfile: string): Promise<BuiltRunner> {
  const result = await build({
    entryPoints: [ENTRY],
    outfile,
    absWorkingDir: PACKAGE_DIR,
    bundle: true,
    platform: 'browser',
    format: 'esm',
    // Browsers of 2022 on; QuickJS and esbuild-wasm need WebAssembly anyway.
    target: 'es2022',
    sourcemap: 'linked',
    metafile: true,
    // Not minified: a report's messages must come out as the server's do,
    // and names minification renames could show in them.
    define: { __FAULTLINE_GRADER_DRIVER_BUNDLE__: 'false' },
    plugins: [browserSandbox],
    logLevel: 'warning',
  });
  const problems = runnerBundleProblems(result.metafile);
  if (problems.length > 0)
    throw new Error(`the browser runner's bundle is not fit for a browser:\n${problems.join('\n')}`);
  return { code: await readFile(outfile, 'utf8'), metafile: result.metafile };
}

/**
 * What must not be in the runner: a Node built-in (an input or an import
 * left in the output), an import of anything at all (the worker loads one
 * file), or a file of an exercise (hidden tests and solutions are the
 * server's; the runner has none of any exercise's files).
 */
export function runnerBundleProblems(metafile: Metafile): string[] {
  const problems: string[] = [];
  for (const [path, input] of Object.entries(metafile.inputs)) {
    if (NODE_BUILTIN.test(path)) problems.push(`a Node built-in is bundled: ${path}`);
    if (/(^|\/)exercises\//.test(path)) problems.push(`an exercise's file is bundled: ${path}`);
    for (const i of input.imports)
      if (NODE_BUILTIN.test(i.path)) problems.push(`${path} imports the Node built-in ${i.path}`);
  }
  for (const [path, output] of Object.entries(metafile.outputs)) {
    for (const i of output.imports) problems.push(`${path} imports ${i.path} (the runner must be one file)`);
  }
  return problems;
}
