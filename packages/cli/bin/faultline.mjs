#!/usr/bin/env node
// The `faultline` command. The code lives in dist/ (built by `pnpm build`,
// which the README's commands run for you).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = new URL('../dist/main.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  console.error('faultline: not built yet. Run `npm start` (or `pnpm --filter @faultline/cli build`) first.');
  process.exit(2);
}
// A reader that stops early (`faultline demo | head`) is not an error.
process.stdout.on('error', (error) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});
const { main } = await import(entry.href);
// Grading commands import TypeScript (exercise tests are .ts): tsx's loader,
// installed only when a command asks for it.
let tsLoader;
const loadTypeScript = async () => {
  tsLoader ??= import('tsx/esm/api').then(({ register }) => register());
  await tsLoader;
};
process.exitCode = await main(process.argv.slice(2), {
  out: process.stdout,
  err: process.stderr,
  loadTypeScript,
});
