/**
 * Where the WebAssembly files the engine and the browser's transpiler run on
 * are on disk (Node only): a web app copies them to URLs it serves itself,
 * and the browser compiles them from there (`wasm-web.ts`).
 *
 * - QuickJS: the RELEASE_SYNC variant's `emscripten-module.wasm`, the one
 *   binary the engine runs on Node and in the browser (only the JS glue
 *   around it differs);
 * - esbuild-wasm's `esbuild.wasm`, the same version as the native esbuild
 *   the server transpiles with (`transpile-wasm.ts`).
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** QuickJS's `.wasm` (quickjs-emscripten's RELEASE_SYNC variant), an absolute path. */
export function quickjsWasmPath(): string {
  return require.resolve('@jitl/quickjs-wasmfile-release-sync/wasm', {
    paths: [require.resolve('quickjs-emscripten')],
  });
}

/** esbuild-wasm's `esbuild.wasm`, an absolute path. */
export function esbuildWasmPath(): string {
  return require.resolve('esbuild-wasm/esbuild.wasm');
}
