/** Compiles the QuickJS WebAssembly module once per thread, on Node (reads the file beside the variant). */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

export async function compileQuickJSModule(): Promise<WebAssembly.Module> {
  const wasmPath = require.resolve('@jitl/quickjs-wasmfile-release-sync/wasm', {
    paths: [require.resolve('quickjs-emscripten')],
  });
  return WebAssembly.compile(await readFile(wasmPath));
}
