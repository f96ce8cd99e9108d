#!/usr/bin/env node
// The kernel API's type declarations for the editor: the hook and kernel
// types learners import from '@faultline/vm-core' (its kernel/hooks.ts and
// what that imports), emitted by tsc and written to
// public/editor/kernel-api.json as { files: { monacoPath: text } }, so
// Monaco can load them next to itself. Only the types a hook sees go in:
// nothing of the simulator's code does, and none of the grader's.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative, sep } from 'node:path';

const here = dirname(new URL(import.meta.url).pathname);
const require = createRequire(import.meta.url);
// vm-core's public entry for the types a learner's hooks see.
const hooks = require.resolve('@faultline/vm-core/hooks');
const tsc = join(dirname(require.resolve('typescript/package.json')), 'bin', 'tsc');
const out = mkdtempSync(join(tmpdir(), 'faultline-kernel-types-'));
// vm-core's src/, which the entry (src/kernel/hooks.ts) lies two levels below.
const sourceRoot = dirname(dirname(hooks));
const entry = relative(sourceRoot, hooks).replace(/\.ts$/, '');
try {
  execFileSync(
    process.execPath,
    [
      tsc,
      hooks,
      '--ignoreConfig',
      '--declaration',
      '--emitDeclarationOnly',
      '--outDir',
      out,
      '--target',
      'es2022',
      '--module',
      'nodenext',
      '--moduleResolution',
      'nodenext',
      '--allowImportingTsExtensions',
      // Declarations keep the sources' layout under src/ (kernel/hooks.d.ts
      // beside hw/…): the hooks import from both.
      '--rootDir',
      sourceRoot,
      '--strict',
      '--skipLibCheck',
      '--types',
      'node',
    ],
    { stdio: 'inherit' },
  );
  const base = 'file:///node_modules/@faultline/vm-core';
  const files = {};
  const names = readdirSync(out, { recursive: true })
    .map(String)
    .filter((f) => f.endsWith('.d.ts'));
  for (const name of names) {
    // Monaco resolves './abi' to abi.d.ts; the '.ts' suffix of our sources would not.
    files[`${base}/${name.split(sep).join('/')}`] = readFileSync(join(out, name), 'utf8').replace(
      /(from '\.[^']*)\.ts'/g,
      "$1'",
    );
  }
  // What the sandbox gives every learner's module besides `kernel` (its console); no DOM, no Node.
  files['file:///sandbox-globals.d.ts'] = [
    'interface SandboxConsole { log(...values: unknown[]): void; info(...values: unknown[]): void; warn(...values: unknown[]): void; error(...values: unknown[]): void; debug(...values: unknown[]): void; }',
    'declare const console: SandboxConsole;',
  ].join('\n');
  files[`${base}/package.json`] = JSON.stringify({ name: '@faultline/vm-core', types: 'index.d.ts' });
  files[`${base}/index.d.ts`] = `export type * from './${entry.split(sep).join('/')}';`;
  // The editor is useless without them: fail the build rather than ship empty types.
  const hooksTypes = files[`${base}/${entry.split(sep).join('/')}.d.ts`] ?? '';
  const missing = ['FaultInfo', 'FaultOutcome', 'KernelApi', 'VmaInfo'].filter(
    (name) => !new RegExp(`\\b(interface|type) ${name}\\b`).test(hooksTypes),
  );
  if (missing.length > 0) {
    console.error(
      `kernel-types: ${entry}.d.ts declares none of ${missing.join(', ')} (${names.length} files emitted)`,
    );
    process.exit(1);
  }
  const target = join(here, '..', 'public', 'editor');
  mkdirSync(target, { recursive: true });
  writeFileSync(join(target, 'kernel-api.json'), JSON.stringify({ files }));
  console.log(`kernel-types: ${names.length} declaration files → public/editor/kernel-api.json`);
} finally {
  rmSync(out, { recursive: true, force: true });
}
