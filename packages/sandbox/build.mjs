// Builds the Node entry points (the pool and the worker it starts) into plain
// ES modules that Node 20 runs without a TypeScript loader. Dependencies stay
// external: quickjs-emscripten locates its .wasm file next to its own module.
import { build } from 'esbuild';

await build({
  entryPoints: { index: 'src/index.ts', worker: 'src/worker.ts' },
  outdir: 'dist',
  bundle: true,
  packages: 'external',
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: true,
  logLevel: 'warning',
});
