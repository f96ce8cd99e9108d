/**
 * The one owner of how learner TypeScript becomes the sandbox's JavaScript:
 * esbuild's `transform` with these options, and its errors turned into the
 * learner's line and column.
 *
 * Two esbuilds call it and must agree byte for byte, so that Run (in the
 * browser) and Submit (on the server) grade the same code: the native one on
 * Node (`transpile.ts`) and esbuild-wasm in a browser Web Worker
 * (`transpile-wasm.ts`). They differ only in which `transform` they pass to
 * `createTranspiler`; this module imports neither, so a browser bundle
 * pulls in only the one it uses.
 *
 * The learner writes an ES module (`export function name(…)`). QuickJS could
 * evaluate ES modules, but then the exports are only reachable through its
 * module loader; CommonJS is simpler to drive: esbuild's `format: 'cjs'`
 * output assigns the exports to `module.exports`, and the engine evaluates it
 * inside `function (module, exports, require) { … }` (see `engine.ts`). An
 * `import` becomes a `require`, which the sandbox refuses with a clear error.
 */
import type { TransformOptions } from 'esbuild';

export interface CompileError {
  /** 1-based line in the learner's file. */
  line: number;
  /** 1-based column in the learner's file, in UTF-16 code units (what editors count). */
  column: number;
  message: string;
}

export type TranspileResult =
  | { kind: 'ok'; code: string }
  | { kind: 'compile-error'; errors: CompileError[] };

export interface TranspileOptions {
  /** Name shown in messages (default `solution.ts`). */
  filename?: string;
}

/** A learner's TypeScript → the sandbox's JavaScript, or the compile errors. */
export type Transpile = (source: string, options?: TranspileOptions) => Promise<TranspileResult>;

/** esbuild's `transform`, native or WebAssembly (their signatures are the same). */
export type EsbuildTransform = (source: string, options: TransformOptions) => Promise<{ code: string }>;

/** The options every transpile passes to esbuild: the same on the server and in the browser. */
export function transformOptions(options: TranspileOptions = {}): TransformOptions {
  return {
    loader: 'ts',
    format: 'cjs',
    // QuickJS implements ES2023; nothing needs lowering.
    target: 'es2022',
    sourcefile: options.filename ?? 'solution.ts',
    logLevel: 'silent',
  };
}

/** esbuild counts columns in UTF-8 bytes from 0; editors count UTF-16 code units from 1. */
export function utf16Column(lineText: string, byteColumn: number): number {
  const encoder = new TextEncoder();
  let bytes = 0;
  let units = 0;
  for (const char of lineText) {
    if (bytes >= byteColumn) break;
    bytes += encoder.encode(char).length;
    units += char.length;
  }
  return units + 1;
}

/** The transpiler that runs on `transform`: compile errors are results, anything else esbuild throws is thrown. */
export function createTranspiler(transform: EsbuildTransform): Transpile {
  return async (source, options = {}) => {
    try {
      const result = await transform(source, transformOptions(options));
      return { kind: 'ok', code: result.code };
    } catch (error) {
      const failure = error as {
        errors?: { text: string; location: { line: number; column: number; lineText: string } | null }[];
      };
      if (!Array.isArray(failure.errors)) throw error;
      return {
        kind: 'compile-error',
        errors: failure.errors.map((e) => ({
          line: e.location?.line ?? 1,
          column: e.location ? utf16Column(e.location.lineText, e.location.column) : 1,
          message: e.text,
        })),
      };
    }
  };
}
