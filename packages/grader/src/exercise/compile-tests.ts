/**
 * An exercise's test file compiled into one ES module that plain Node can
 * import: how the grader's build (`dist/driver.js`) loads tests, which are
 * TypeScript an instructor wrote, without a TypeScript loader in the worker.
 *
 * esbuild bundles the file with what it imports: relative modules and
 * packages go in, Node's built-ins stay imports, and `@faultline/grader` stays
 * an import of `grader` (an absolute file: URL, the bundle itself), so the
 * tests use the very grader that runs them. The result is imported from a
 * `data:` URL (such a module may import absolute URLs and built-ins), with its
 * source map inline.
 *
 * `import.meta.url`, `.dirname` and `.filename` in the exercise's own files
 * (not in packages) are replaced by that file's own, so a test that reads a
 * file beside it works as it does from source.
 */
import { readFile } from 'node:fs/promises';
import { dirname, extname, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { utf16Column } from '@faultline/sandbox';
import { build, type Loader, type Message, type Plugin } from 'esbuild';

/** Where a compile error is: the file (relative to the exercise folder when inside it), 1-based line and column. */
export interface TestCompileError {
  readonly file: string;
  readonly line: number;
  /** In UTF-16 code units from 1, as editors count. */
  readonly column: number;
  readonly message: string;
}

export type CompiledTests =
  | { readonly kind: 'ok'; readonly url: string }
  | { readonly kind: 'compile-error'; readonly errors: readonly TestCompileError[] };

export interface CompileTestsOptions {
  /** The exercise folder: positions are given relative to it. */
  readonly root: string;
  /** The module tests get for `@faultline/grader` (an absolute URL). */
  readonly grader: string;
}

const LOADERS: Record<string, Loader> = {
  '.ts': 'ts',
  '.mts': 'ts',
  '.cts': 'ts',
  '.tsx': 'tsx',
  '.js': 'js',
  '.mjs': 'js',
  '.cjs': 'js',
  '.jsx': 'jsx',
};
const IMPORT_META = /\bimport\.meta\.(url|dirname|filename)\b/g;

export async function compileTests(file: string, options: CompileTestsOptions): Promise<CompiledTests> {
  const plugin: Plugin = {
    name: 'faultline-tests',
    setup(b) {
      b.onResolve({ filter: /^@faultline\/grader$/ }, () => ({ path: options.grader, external: true }));
      // The exercise's own files get their own import.meta; packages keep theirs.
      b.onLoad({ filter: /\.[cm]?[jt]sx?$/ }, async (args) => {
        if (args.path.split(/[\\/]/).includes('node_modules')) return undefined;
        const loader = LOADERS[extname(args.path)];
        if (loader === undefined) return undefined;
        const source = await readFile(args.path, 'utf8');
        if (!source.includes('import.meta')) return { contents: source, loader };
        const meta = {
          url: pathToFileURL(args.path).href,
          dirname: dirname(args.path),
          filename: args.path,
        } as const;
        const contents = source.replace(IMPORT_META, (_, key: keyof typeof meta) =>
          JSON.stringify(meta[key]),
        );
        return { contents, loader };
      });
    },
  };
  let code: string;
  try {
    const result = await build({
      entryPoints: [file],
      absWorkingDir: options.root,
      bundle: true,
      write: false,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      sourcemap: 'inline',
      logLevel: 'silent',
      plugins: [plugin],
      // CommonJS packages a test imports call require() for Node's built-ins:
      // give the module a real one, rooted where the test file is.
      banner: {
        js: `import { createRequire as __faultlineCreateRequire } from 'node:module'; const require = __faultlineCreateRequire(${JSON.stringify(file)});`,
      },
    });
    code = result.outputFiles[0]?.text ?? '';
  } catch (error) {
    const errors = (error as { errors?: Message[] }).errors;
    if (!Array.isArray(errors)) throw error;
    return { kind: 'compile-error', errors: errors.map((e) => compileError(e, options.root)) };
  }
  return { kind: 'ok', url: `data:text/javascript;base64,${Buffer.from(code).toString('base64')}` };
}

function compileError(message: Message, root: string): TestCompileError {
  const at = message.location;
  if (at === null) return { file: '', line: 0, column: 0, message: message.text };
  // esbuild names files relative to absWorkingDir (the exercise folder).
  const file = at.file.startsWith('/') ? relative(root, at.file) : at.file;
  return { file, line: at.line, column: utf16Column(at.lineText, at.column), message: message.text };
}
