// Bundles the CLI and the workspace packages it uses (which export TypeScript
// source) into one ES module that plain Node 20 runs.
import { build } from 'esbuild';

await build({
  entryPoints: ['src/main.ts'],
  outfile: 'dist/main.js',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: true,
  // Imported at run time as TypeScript, through the tsx loader bin/faultline.mjs
  // installs (exercise tests are .ts files instructors write; the sandbox pool
  // starts its workers from its own source files): not bundled.
  external: ['@faultline/grader', '@faultline/exercises', '@faultline/sandbox'],
  logLevel: 'warning',
  // CommonJS dependencies (yaml) call require() for Node built-ins; give the
  // ES module bundle a real one.
  banner: {
    js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
  },
});
