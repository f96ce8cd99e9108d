/**
 * The part of the WebAssembly JS API the engine uses beyond what
 * `webassembly.d.ts` declares (the base lib has none): instantiating a
 * compiled module with the imports emscripten hands over.
 */
import type { newVariant } from 'quickjs-emscripten';

export interface WasmInstance {
  readonly exports: Record<string, unknown>;
}

interface InstantiateApi {
  instantiate(module: WebAssembly.Module, imports: unknown): Promise<WasmInstance>;
}

export function instantiate(module: WebAssembly.Module, imports: unknown): Promise<WasmInstance> {
  return (WebAssembly as unknown as InstantiateApi).instantiate(module, imports);
}

/**
 * quickjs-emscripten's `emscriptenModule` option. Its types follow whichever
 * WebAssembly typings the program has — ours (webassembly.d.ts) here, the
 * DOM's where the web app type-checks this code — so the engine's
 * `instantiateWasm`, written against ours, is handed over as this.
 */
export type EmscriptenModuleOption = NonNullable<
  NonNullable<Parameters<typeof newVariant>[1]>['emscriptenModule']
>;

export function asEmscriptenModule(option: {
  instantiateWasm: (
    imports: unknown,
    onSuccess: (instance: WasmInstance) => void,
  ) => Promise<Record<string, unknown>>;
}): EmscriptenModuleOption {
  return option as unknown as EmscriptenModuleOption;
}
