// The README's script for a format of one's own, run as written: its
// `// →` comments are what it must print, so the README cannot drift from
// what the library does.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, expect, test, vi } from 'vitest';

const here = fileURLToPath(new URL('.', import.meta.url));
const readme = readFileSync(join(here, '../README.md'), 'utf8');
const dir = mkdtempSync(join(tmpdir(), 'vm-core-readme-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The fenced block after `<!-- readme-example: name -->`. */
function example(name: string): string {
  const marker = `<!-- readme-example: ${name} -->`;
  const start = readme.indexOf(marker);
  if (start < 0) throw new Error(`README.md has no ${marker}`);
  const block = /```ts\n([\s\S]*?)```/.exec(readme.slice(start));
  if (block === null) throw new Error(`no ts block after ${marker}`);
  return block[1]!;
}

/** What the `// →` comments say the script prints, one per line printed. */
function expectedOutput(code: string): string[] {
  return [...code.matchAll(/\/\/ → (.*)$/gm)].map((m) => m[1]!);
}

test('the custom-format example prints what its comments say', async () => {
  const code = example('custom-format');
  // The package's own name does not resolve from inside the package: point
  // the import at the same module the export map names.
  const hw = pathToFileURL(join(here, '../src/hw/index.ts')).href;
  expect(code).toContain("from '@faultline/vm-core/hw'");
  const file = join(dir, 'custom-format.ts');
  writeFileSync(file, code.replaceAll("'@faultline/vm-core/hw'", `'${hw}'`));

  const printed: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => {
    printed.push(args.map(String).join(' '));
  });
  try {
    await import(pathToFileURL(file).href);
  } finally {
    log.mockRestore();
  }
  const expected = expectedOutput(code);
  expect(expected.length).toBeGreaterThan(5);
  expect(printed).toEqual(expected);
});
