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
 * Packages that find their own files from where their module is
 * (`import.meta.url`): `@faultline/exercises` (the exercises) and
 * `@faultline/conformance/paths` (the cases, the probe, Linux's results). A
 * bundle would make that dist/; in it, each such module asks where its
 * specifier resolves from here instead, which is where the files are.
 */
function whereTheyAre(specifiers) {
  return {
    name: 'where-they-are',
    setup(b) {
      const require = createRequire(import.meta.url);
      const entries = new Map(specifiers.map((s) => [require.resolve(s), s]));
      b.onLoad({ filter: /\.ts$/ }, async (args) => {
        const specifier = entries.get(args.path);
        if (specifier === undefined) return undefined;
        const source = await readFile(args.path, 'utf8');
        const other = source.match(/\bimport\.meta\.(?!dirname\b|url\b|filename\b)\w+/);
        if (other !== null)
          return { errors: [{ text: `${other[0]} in ${specifier} cannot be located in the bundle` }] };
        const here = `import.meta.resolve(${JSON.stringify(specifier)})`;
        const contents = [
          "import { dirname as __hereDirname } from 'node:path';",
          "import { fileURLToPath as __hereFileURLToPath } from 'node:url';",
          source.replace(/\bimport\.meta\.(dirname|url|filename)\b/g, (_, key) =>
            key === 'url'
              ? here
              : key === 'filename'
                ? `__hereFileURLToPath(${here})`
                : `__hereDirname(__hereFileURLToPath(${here}))`,
          ),
        ].join('\n');
        return { contents, loader: 'ts' };
      });
    },
  };
}

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
  plugins: [builtSandbox, whereTheyAre(['@faultline/exercises', '@faultline/conformance/paths'])],
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
