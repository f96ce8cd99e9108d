/// <reference path="./webassembly.d.ts" />
/**
 * The transpiler on esbuild-wasm, for a browser Web Worker: the same options
 * and error mapping as the server's native esbuild (`transpiler.ts`), the
 * same esbuild version, so the same learner file gives the same code and the
 * same compile errors on both sides.
 *
 * esbuild-wasm must be initialized once per thread before the first
 * transpile, with its `esbuild.wasm` as a URL the page serves or as a
 * compiled `WebAssembly.Module` (`initializeEsbuildWasm`). It runs in the
 * calling thread (`worker: false`): the caller is a Web Worker already, and
 * a nested worker would need a `blob:` URL.
 *
 * This imports esbuild-wasm's browser build explicitly (`esm/browser.js`,
 * not the package's Node entry, which spawns a child process), so Node runs
 * the very code a browser does. That build reads the global `self`, which a
 * browser worker has and Node does not: on Node, set
 * `globalThis.self = globalThis` before initializing (tests and benchmarks do).
 */
import * as esbuild from 'esbuild-wasm/esm/browser.js';
import { createTranspiler, type Transpile } from './transpiler.ts';

export {
  type CompileError,
  type Transpile,
  type TranspileOptions,
  type TranspileResult,
  utf16Column,
} from './transpiler.ts';

/** esbuild-wasm's version; the server's native esbuild must have the same. */
export const ESBUILD_WASM_VERSION: string = esbuild.version;

/** Where esbuild-wasm's `esbuild.wasm` comes from: a URL (fetched by esbuild) or a module compiled already. */
export type EsbuildWasmSource = { readonly wasmURL: string } | { readonly wasmModule: WebAssembly.Module };

let initialized: Promise<void> | null = null;

/**
 * Starts esbuild-wasm in this thread. Once per thread: a second call returns
 * the first's promise (whatever source it names); one that failed may be
 * tried again.
 */
export function initializeEsbuildWasm(source: EsbuildWasmSource): Promise<void> {
  if (initialized !== null) return initialized;
  const options =
    'wasmModule' in source
      ? {
          wasmModule: source.wasmModule as NonNullable<esbuild.InitializeOptions['wasmModule']>,
          worker: false,
        }
      : { wasmURL: source.wasmURL, worker: false };
  const started = esbuild.initialize(options);
  initialized = started;
  started.catch(() => {
    if (initialized === started) initialized = null;
  });
  return started;
}

/** `transpile` on esbuild-wasm; `initializeEsbuildWasm` must have been called in this thread. */
export const transpile: Transpile = createTranspiler(async (source, options) => {
  if (initialized === null)
    throw new Error('esbuild-wasm is not initialized in this thread: call initializeEsbuildWasm first');
  await initialized;
  return await esbuild.transform(source, options);
});
