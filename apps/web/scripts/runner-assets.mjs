#!/usr/bin/env node
// The browser runner's files — the grader's module Web Worker, QuickJS's
// .wasm and esbuild-wasm's .wasm, built by the grader beside each other —
// copied into public/runner/ so the app serves them from its own origin
// (Run fetches nothing from anywhere else).
import { cpSync, existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const here = dirname(new URL(import.meta.url).pathname);
const runner = createRequire(import.meta.url).resolve('@faultline/grader/browser-runner');
const from = dirname(runner);
const to = join(here, '..', 'public', 'runner');
for (const file of ['runner.js', 'quickjs.wasm', 'esbuild.wasm'])
  if (!existsSync(join(from, file))) {
    console.error(`runner-assets: ${join(from, file)} is missing: build the grader first (turbo does)`);
    process.exit(1);
  }
rmSync(to, { recursive: true, force: true });
mkdirSync(to, { recursive: true });
// The source map stays behind: it would show learners the grader's sources, which are no secret, but nobody needs them.
for (const file of readdirSync(from)) if (!file.endsWith('.map')) cpSync(join(from, file), join(to, file));
console.log(`runner-assets: ${readdirSync(to).join(', ')} → public/runner/`);
