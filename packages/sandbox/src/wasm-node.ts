/** Compiles the QuickJS WebAssembly module once per thread, on Node (reads the file beside the variant). */
import { readFile } from 'node:fs/promises';
import { quickjsWasmPath } from './wasm-files.ts';

export async function compileQuickJSModule(): Promise<WebAssembly.Module> {
  return WebAssembly.compile(await readFile(quickjsWasmPath()));
}
