// The base tsconfig's `lib` (ES2023) has no WebAssembly and @types/node 20
// declares none; these are the few web-standard members the engine uses.
declare namespace WebAssembly {
  interface MemoryDescriptor {
    initial: number;
    maximum?: number;
  }
  interface Memory {
    readonly buffer: ArrayBuffer;
  }
  // biome-ignore lint/complexity/noBannedTypes: opaque handle
  type Module = {};
  var Memory: { new (descriptor: MemoryDescriptor): Memory };
  var Module: { new (bytes: BufferSource): Module };
  function compile(bytes: BufferSource): Promise<Module>;
}
