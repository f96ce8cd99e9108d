/**
 * An exercise's visible tests, bundled for the browser runner (Node, on the
 * server): `tests/visible.ts` and what it imports, compiled by esbuild into
 * one ES module the runner imports in the learner's browser.
 *
 * The module is public — anyone can read what a page sends — so the bundle
 * is refused if anything server-only went into it: the reference solution
 * (`solution.ts`), the hidden tests (`tests/hidden.ts`) or a mutant
 * (`mutants/…`), of this exercise or of any other exercise folder it
 * reaches. Node's built-ins fail to resolve (a browser has none), and so
 * does `import.meta` (it would name the server's paths).
 *
 * `@faultline/grader` is not bundled in: the tests must share the runner's
 * grader (one `TestContext`, one `AssertionFailure`), as the grader's Node
 * build has its tests import the bundle itself (`compile-tests.ts`). Here
 * the runner hands its grader over when it loads the tests: the module's
 * default export is a function of it,
 *
 * ```js
 * export default function visibleTests(__faultlineGrader) { …; return tests; }
 * ```
 *
 * and every name a test imports from `@faultline/grader` is read from that
 * argument (`tests-api.ts` lists what there is; importing another name fails
 * the bundle). Nothing is looked up by URL or through a global, so the
 * module works from a `data:` or `blob:` URL, or served from anywhere.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { access, realpath } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { utf16Column } from '@faultline/sandbox';
import { build, type Message, type Metafile, type Plugin } from 'esbuild';
import type { TestCompileError } from '../exercise/compile-tests.ts';
import { ExerciseLoadError, readExercise } from '../exercise/load.ts';
import { type GradingLimits, resolveLimits } from '../limits.ts';
import type { BrowserExercise } from './protocol.ts';
import * as testsApi from './tests-api.ts';

export type { TestCompileError as BundleError } from '../exercise/compile-tests.ts';

export type VisibleTestsBundle =
  | {
      readonly kind: 'ok';
      /** The ES module (JavaScript) the runner imports: `{ type: 'run', tests: { code, sha256 } }`. */
      readonly code: string;
      /** sha256 of `code` (hex): a cache key, an ETag. */
      readonly sha256: string;
      /** What the runner needs of exercise.json: `{ type: 'run', exercise }`. */
      readonly exercise: BrowserExercise;
      /** The limits the tests run under, defaults filled in; the page's watchdog is `wallMsTotal`. */
      readonly limits: GradingLimits;
    }
  | {
      readonly kind: 'err';
      /** Compile errors, refused inputs, an unreadable folder: file relative to the exercise folder, line and column from 1 (0 when none). */
      readonly errors: readonly TestCompileError[];
    };

/** The argument the bundle's default export receives (see above). */
const GRADER_PARAMETER = '__faultlineGrader';
/** The IIFE's global inside the wrapper function (a local of it, not a global). */
const BUNDLE_VARIABLE = '__faultlineVisibleTests';
const GRADER_NAMESPACE = 'faultline-grader';

/** The server-only files of an exercise folder, relative to it. */
function serverOnly(relativePath: string): boolean {
  const p = relativePath.split(sep).join('/');
  return p === 'solution.ts' || p === 'tests/hidden.ts' || p.startsWith('mutants/');
}

/** The exercise folder (holding exercise.json) that `file` is in, if any, outside node_modules. */
function exerciseFolderOf(file: string): string | null {
  for (let dir = dirname(file); ; dir = dirname(dir)) {
    if (dir.split(sep).includes('node_modules')) return null;
    if (existsSync(join(dir, 'exercise.json'))) return dir;
    if (dirname(dir) === dir) return null;
  }
}

export async function bundleVisibleTests(exerciseDir: string): Promise<VisibleTestsBundle> {
  const failed = (message: string, file = ''): VisibleTestsBundle => ({
    kind: 'err',
    errors: [{ file, line: 0, column: 0, message }],
  });
  let meta: Awaited<ReturnType<typeof readExercise>>['meta'];
  try {
    meta = (await readExercise(exerciseDir)).meta;
  } catch (error) {
    if (error instanceof ExerciseLoadError) return failed(error.message, 'exercise.json');
    throw error;
  }
  const root = await realpath(exerciseDir);
  const entry = join(root, 'tests', 'visible.ts');
  try {
    await access(entry);
  } catch {
    return failed('tests/visible.ts is missing or unreadable', 'tests/visible.ts');
  }

  const names = Object.keys(testsApi).sort();
  const grader: Plugin = {
    name: 'faultline-browser-tests',
    setup(b) {
      b.onResolve({ filter: /^@faultline\/grader$/ }, () => ({
        path: 'grader',
        namespace: GRADER_NAMESPACE,
      }));
      b.onResolve({ filter: /^@faultline\/grader\// }, (args) => ({
        errors: [
          {
            text: `${args.path}: tests that run in the browser can import only @faultline/grader itself`,
          },
        ],
      }));
      b.onLoad({ filter: /.*/, namespace: GRADER_NAMESPACE }, () => ({
        // Pure reads, so the names a test does not import drop out of the bundle.
        contents: [
          `function grader(name) { return ${GRADER_PARAMETER}[name]; }`,
          ...names.map((n) => `export const ${n} = /* @__PURE__ */ grader(${JSON.stringify(n)});`),
        ].join('\n'),
        loader: 'js',
      }));
    },
  };

  let code: string;
  let metafile: Metafile;
  try {
    const result = await build({
      entryPoints: [entry],
      absWorkingDir: root,
      bundle: true,
      write: false,
      metafile: true,
      format: 'iife',
      globalName: BUNDLE_VARIABLE,
      platform: 'browser',
      target: 'es2022',
      logLevel: 'silent',
      plugins: [grader],
    });
    const importMeta = result.warnings.filter((w) => w.id === 'empty-import-meta');
    if (importMeta.length > 0)
      return {
        kind: 'err',
        errors: importMeta.map((w) =>
          compileError({ ...w, text: 'import.meta is not available to tests that run in the browser' }, root),
        ),
      };
    code = result.outputFiles[0]?.text ?? '';
    metafile = result.metafile;
  } catch (error) {
    const errors = (error as { errors?: Message[] }).errors;
    if (!Array.isArray(errors)) throw error;
    return { kind: 'err', errors: errors.map((e) => compileError(e, root)) };
  }

  const refused = refusedInputs(metafile, root);
  if (refused.length > 0) return { kind: 'err', errors: refused };

  const module = `export default function visibleTests(${GRADER_PARAMETER}) {\n${code}return ${BUNDLE_VARIABLE}.default;\n}\n`;
  const exercise: BrowserExercise = {
    id: meta.id,
    hooks: meta.hooks,
    limits: meta.limits,
    ...(meta.frames === undefined ? {} : { frames: meta.frames }),
  };
  return {
    kind: 'ok',
    code: module,
    sha256: createHash('sha256').update(module).digest('hex'),
    exercise,
    limits: resolveLimits(meta.limits),
  };
}

/** Every server-only file among the bundle's inputs, with the file that imports it. */
function refusedInputs(metafile: Metafile, root: string): TestCompileError[] {
  const absolute = (p: string) => (isAbsolute(p) ? p : resolve(root, p));
  const shown = (p: string) => {
    const rel = relative(root, p);
    return rel.split(sep).join('/');
  };
  const errors: TestCompileError[] = [];
  for (const path of Object.keys(metafile.inputs)) {
    if (path.startsWith(`${GRADER_NAMESPACE}:`)) continue;
    const file = absolute(path);
    const folder = exerciseFolderOf(file);
    if (folder === null || !serverOnly(relative(folder, file))) continue;
    const importers = Object.entries(metafile.inputs)
      .filter(([, input]) => input.imports.some((i) => i.path === path))
      .map(([importer]) => shown(absolute(importer)));
    const by = importers.length === 0 ? '' : ` (imported by ${importers.join(', ')})`;
    errors.push({
      file: importers[0] ?? shown(file),
      line: 0,
      column: 0,
      message: `${shown(file)} is server-only and must never reach a browser, but the visible tests bundle it${by}: the reference solution, the hidden tests and the mutants stay on the server`,
    });
  }
  return errors;
}

function compileError(message: Message, root: string): TestCompileError {
  const at = message.location;
  if (at === null) return { file: '', line: 0, column: 0, message: message.text };
  // esbuild names files relative to absWorkingDir (the exercise folder).
  const file = isAbsolute(at.file) ? relative(root, at.file) : at.file;
  return { file, line: at.line, column: utf16Column(at.lineText, at.column), message: message.text };
}
