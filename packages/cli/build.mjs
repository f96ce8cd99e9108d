// Bundles the CLI and the workspace packages it uses (which export TypeScript
// source) into one ES module that plain Node 20 runs, with no TypeScript
// loader: the grader's host side, the exercises, scenario and vm-core go in.
// What stays an import:
// - the sandbox, as its own build (`@faultline/sandbox/built`, dist/index.js):
//   its engine finds QuickJS's .wasm relative to its own module, and its pool
//   starts dist/worker.js beside it;
// - the grading worker's driver, the grader's own build
//   (`@faultline/grader/driver`, resolved at run time in commands/grade.ts),
//   which compiles exercise tests itself;
// - esbuild (a native binary) and Node's built-ins.
// Then a child `node` imports the bundle, so an import the sandbox's build
// does not provide fails the build rather than a command.
import { execFileSync } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { build } from 'esbuild';

/** `@faultline/sandbox` and `@faultline/sandbox/scrub` (a part of it) → its build; other subpaths are not in it. */
const builtSandbox = {
  name: 'built-sandbox',
  setup(b) {
    b.onResolve({ filter: /^@faultline\/sandbox(\/.*)?$/ }, (args) => {
      if (args.path === '@faultline/sandbox' || args.path === '@faultline/sandbox/scrub')
        return { path: '@faultline/sandbox/built', external: true };
      return {
        errors: [
          {
            text: `${args.path} is not part of the sandbox's build (dist/index.js): import it from @faultline/sandbox, exported from the sandbox's src/index.ts`,
          },
        ],
      };
    });
  },
};

/**
 * `@faultline/exercises` finds the exercises from where its module is
 * (`import.meta.dirname`), which a bundle would make dist/. In the bundle its
 * entry asks where the package's entry resolves from here instead, which is
 * where the file is.
 */
const exercisesWhereTheyAre = {
  name: 'exercises-where-they-are',
  setup(b) {
    const entry = createRequire(import.meta.url).resolve('@faultline/exercises');
    b.onLoad({ filter: /\.ts$/ }, async (args) => {
      if (args.path !== entry) return undefined;
      const source = await readFile(args.path, 'utf8');
      const other = source.match(/\bimport\.meta\.(?!dirname\b|url\b|filename\b)\w+/);
      if (other !== null)
        return { errors: [{ text: `${other[0]} in @faultline/exercises cannot be located in the bundle` }] };
      const here = "import.meta.resolve('@faultline/exercises')";
      const contents = [
        "import { dirname as __exercisesDirname } from 'node:path';",
        "import { fileURLToPath as __exercisesFileURLToPath } from 'node:url';",
        source.replace(/\bimport\.meta\.(dirname|url|filename)\b/g, (_, key) =>
          key === 'url'
            ? here
            : key === 'filename'
              ? `__exercisesFileURLToPath(${here})`
              : `__exercisesDirname(__exercisesFileURLToPath(${here}))`,
        ),
      ].join('\n');
      return { contents, loader: 'ts' };
    });
  },
};

const outdir = 'dist';
await rm(outdir, { recursive: true, force: true });
await build({
  entryPoints: { main: 'src/main.ts', worker: 'src/worker/index.ts' },
  outdir,
  // What only some commands need (grading, hook files) is imported
  // dynamically: as chunks of its own, with the sandbox and esbuild, it loads
  // only when one of those commands runs.
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: true,
  // This is the grader's host side, not its driver build (see the grader's
  // src/runner/driver-bundle.ts), and the built CLI (commands/grade.ts).
  define: { __FAULTLINE_GRADER_DRIVER_BUNDLE__: 'false', __FAULTLINE_CLI_BUNDLE__: 'true' },
  // Native modules (the database drivers, argon2) load from node_modules.
  external: ['esbuild', 'better-sqlite3', 'pg', '@node-rs/argon2'],
  plugins: [builtSandbox, exercisesWhereTheyAre],
  logLevel: 'warning',
  // CommonJS dependencies (yaml) call require() for Node built-ins; give the
  // ES module bundle a real one.
  banner: {
    js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
  },
});

for (const entry of ['main', 'worker']) {
  const url = new URL(`./${outdir}/${entry}.js`, import.meta.url);
  execFileSync(
    process.execPath,
    ['--input-type=module', '-e', `await import(${JSON.stringify(url.href)});`],
    {
      stdio: 'inherit',
    },
  );
}
