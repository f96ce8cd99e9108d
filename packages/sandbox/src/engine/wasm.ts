/**
 * The part of the WebAssembly JS API the engine uses beyond what
 * `webassembly.d.ts` declares (the base lib has none): instantiating a
 * compiled module with the imports emscripten hands over.
 */
export interface WasmInstance {
  readonly exports: Record<string, unknown>;
}

interface InstantiateApi {
  instantiate(module: WebAssembly.Module, imports: unknown): Promise<WasmInstance>;
}

export function instantiate(module: WebAssembly.Module, imports: unknown): Promise<WasmInstance> {
  return (WebAssembly as unknown as InstantiateApi).instantiate(module, imports);
}
