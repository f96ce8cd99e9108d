/**
 * TypeScript → JavaScript for the sandbox, on the host, with native esbuild
 * (Node). The options and the error mapping are `transpiler.ts`'s, shared
 * with the browser's esbuild-wasm (`transpile-wasm.ts`), so both give the
 * same code and the same errors.
 */
import { transform } from 'esbuild';
import { createTranspiler, type Transpile } from './transpiler.ts';

export {
  type CompileError,
  type EsbuildTransform,
  type Transpile,
  type TranspileOptions,
  type TranspileResult,
  transformOptions,
  utf16Column,
} from './transpiler.ts';

export const transpile: Transpile = createTranspiler(transform);
