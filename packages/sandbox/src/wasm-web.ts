/// <reference path="./webassembly.d.ts" />
/**
 * WebAssembly from where a browser gets it: a URL the page serves (no CDN:
 * the app serves the files itself, see `wasm-files.ts` for where they are on
 * disk), the response of a fetch, the bytes, or a module compiled already
 * (which a page can post to many workers, so each compiles nothing).
 * Web-standard APIs only; Node 20 runs it too (its fetch takes http URLs,
 * not file: ones).
 */

/** What `compileWasm` accepts. */
export type WasmSource = WebAssembly.Module | string | URL | Response | ArrayBuffer | ArrayBufferView;

interface StreamingApi {
  compileStreaming?: (source: Response | Promise<Response>) => Promise<WebAssembly.Module>;
}

/**
 * Compiles `source` (a module is returned as it is). From a response served
 * as `application/wasm` it compiles while the bytes arrive; other responses
 * are read whole first (a server that does not know the type still works).
 */
export async function compileWasm(source: WasmSource): Promise<WebAssembly.Module> {
  if (source instanceof ArrayBuffer || ArrayBuffer.isView(source)) return WebAssembly.compile(source);
  if (!(typeof source === 'string' || source instanceof URL || source instanceof Response)) return source;
  const response = source instanceof Response ? source : await fetch(source);
  if (!response.ok) throw new Error(`cannot load WebAssembly from ${response.url}: HTTP ${response.status}`);
  const streaming = (WebAssembly as unknown as StreamingApi).compileStreaming;
  const type = response.headers.get('content-type') ?? '';
  if (typeof streaming === 'function' && /^application\/wasm(;|$)/i.test(type))
    return streaming.call(WebAssembly, response);
  return WebAssembly.compile(await response.arrayBuffer());
}
