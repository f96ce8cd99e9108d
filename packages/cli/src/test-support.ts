/**
 * What the CLI's tests share: running `main` in this process with its output
 * captured, running the built CLI in a process of its own, and scratch
 * folders removed once a test file is done.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll } from 'vitest';
import { main } from './main.ts';

export interface Ran {
  code: number | null;
  out: string;
  err: string;
}

/** `faultline ARGS…` from source, in this process. */
export async function runCli(args: readonly string[]): Promise<Ran> {
  let out = '';
  let err = '';
  const code = await main(args, {
    out: { write: (t: string) => (out += t) },
    err: { write: (t: string) => (err += t) },
  });
  return { code, out, err };
}

/** `node bin/faultline.mjs ARGS…`: the built CLI (dist/, which turbo builds first) in a child process. */
export function runBuiltCli(args: readonly string[]): Promise<Ran> {
  const bin = fileURLToPath(new URL('../bin/faultline.mjs', import.meta.url));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (t: string) => (out += t));
    child.stderr.setEncoding('utf8').on('data', (t: string) => (err += t));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out, err }));
  });
}

/** A maker of scratch folders under the system's temp dir (named `faultline-<prefix>-…`), all removed after the file's tests. */
export function scratchFolders(prefix: string): () => string {
  const made: string[] = [];
  afterAll(() => {
    for (const dir of made) rmSync(dir, { recursive: true, force: true });
  });
  return () => {
    const dir = mkdtempSync(join(tmpdir(), `faultline-${prefix}-`));
    made.push(dir);
    return dir;
  };
}
