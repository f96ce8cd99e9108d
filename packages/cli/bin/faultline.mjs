#!/usr/bin/env node
// The `faultline` command. The code lives in dist/ (built by `pnpm build`,
// which the README's commands run for you): plain JavaScript, with the
// workspace packages it uses bundled in, so no TypeScript loader is needed,
// not even for exercise tests (the grading worker compiles those itself; see
// build.mjs).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = new URL('../dist/main.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  console.error('faultline: not built yet. Run `npm start` (or `pnpm --filter @faultline/cli build`) first.');
  process.exit(2);
}
// A reader that stops early (`faultline demo | head`) is not an error, and
// must not cut the command short: `grade … --out DIR | head` still writes
// every report to DIR and still exits with the verdict. What is written to
// stdout after the reader left is dropped.
let stdoutOpen = true;
process.stdout.on('error', (error) => {
  if (error.code !== 'EPIPE') throw error;
  stdoutOpen = false;
});
const out = { write: (text) => (stdoutOpen ? process.stdout.write(text) : false) };
const { main } = await import(entry.href);
process.exitCode = await main(process.argv.slice(2), { out, err: process.stderr });
