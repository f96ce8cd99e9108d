import { existsSync, mkdirSync, readFileSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EXERCISES_DIR, listExercises } from '@faultline/exercises';
import { readExercise } from '@faultline/grader';
import { describe, expect, test } from 'vitest';
import { runCli, scratchFolders } from './test-support.ts';

const run = runCli;

// Scratch exercise folders live outside the repository, as an instructor's own would.
const tempDir = scratchFolders('exercises');

/**
 * What `pnpm install` makes of the `link:` dependency `faultline new` writes into
 * a folder of one's own: node_modules/@faultline/grader, a link to the workspace
 * package. Made by hand, because pnpm would also write its cache and state
 * outside the temporary folder.
 */
const grader = join(dirname(fileURLToPath(import.meta.url)), '..', 'node_modules', '@faultline', 'grader');
function linkGrader(root: string): void {
  mkdirSync(join(root, 'node_modules', '@faultline'), { recursive: true });
  symlinkSync(grader, join(root, 'node_modules', '@faultline', 'grader'), 'dir');
}

describe('faultline validate', () => {
  // CI proves every exercise sound through this test.
  test('every shipped exercise is sound', async () => {
    const ids = await listExercises();
    expect(ids.length).toBeGreaterThan(0);
    const r = await run(['validate']);
    expect(r.err).toBe('');
    for (const id of ids) {
      const { meta, mutants } = await readExercise(join(EXERCISES_DIR, id));
      const points = `${meta.points}`.replace('.', '\\.');
      expect(r.out).toMatch(
        new RegExp(
          `^✓ ${id}: reference ${points}/${points}, starter [\\d.]+/${points}, ${mutants.length} mutants caught`,
          'm',
        ),
      );
    }
    expect(r.out.split('\n').filter((line) => line.startsWith('✓'))).toHaveLength(ids.length);
    expect(r.code).toBe(0);
  });

  test('an unknown exercise or option cannot be validated (exit 2)', async () => {
    const unknown = await run(['validate', 'nope']);
    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain(`unknown exercise "nope"; known: ${(await listExercises()).join(', ')}\n`);
    expect(await run(['validate', '--all'])).toMatchObject({ code: 2 });
  });

  test('--exercises: a folder that cannot be read, or holds no exercise, cannot be validated (exit 2)', async () => {
    const missing = join(tempDir(), 'missing');
    const unreadable = await run(['validate', '--exercises', missing]);
    expect(unreadable.code).toBe(2);
    expect(unreadable.err).toContain(`cannot read the exercises folder ${missing} (ENOENT)`);
    const empty = await run(['validate', '--exercises', tempDir()]);
    expect(empty.code).toBe(2);
    expect(empty.err).toContain('no exercises in');
    expect(await run(['validate', '--exercises'])).toMatchObject({ code: 2 });
  });
});

describe('faultline new', () => {
  test('--exercises naming a file is a usage error that says so', async () => {
    const file = join(tempDir(), 'not-a-folder');
    writeFileSync(file, '');
    const r = await run(['new', 'cow-break', '--exercises', file]);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`faultline new: ${file} is a file, not a folder of exercises`);
  });

  test('scaffolds into --exercises DIR a folder that loads, and that validate reports as unfinished', async () => {
    const root = tempDir();
    const dir = join(root, 'zz-scaffold-test');
    const created = await run(['new', 'zz-scaffold-test', '--exercises', root]);
    expect(created.code).toBe(0);
    expect(created.out).toContain(`created ${dir}\n`);
    expect(created.out).toContain(`faultline validate zz-scaffold-test --exercises ${root}`);
    // A fresh folder outside the workspace: new makes it an ES module scope that
    // depends on the grader, and says how to install that link.
    const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
    expect(manifest).toMatchObject({
      type: 'module',
      devDependencies: { '@faultline/grader': expect.stringMatching(/^link:/) },
    });
    expect(
      realpathSync(resolve(root, manifest.devDependencies['@faultline/grader'].slice('link:'.length))),
    ).toBe(realpathSync(grader));
    expect(created.out).toContain(`created ${join(root, 'package.json')}: `);
    expect(created.out).toContain(
      `note: faultline validate needs nothing more; for your editor's types and for vitest, install that link: cd ${root} && pnpm install\n`,
    );
    for (const f of [
      'exercise.json',
      'README.md',
      'starter.ts',
      'solution.ts',
      'tests/visible.ts',
      'tests/hidden.ts',
    ]) {
      expect(existsSync(join(dir, f))).toBe(true);
    }
    expect(existsSync(join(EXERCISES_DIR, 'zz-scaffold-test'))).toBe(false);

    const again = await run(['new', 'zz-scaffold-test', '--exercises', root]);
    expect(again.code).toBe(2);
    expect(again.err).toContain('already exists');

    linkGrader(root);
    const second = await run(['new', 'zz-second', '--exercises', root]);
    expect(second.out).not.toContain('note:');
    expect(second.out).not.toContain('package.json');
    const v = await run(['validate', 'zz-scaffold-test', '--exercises', root]);
    expect(v.err).toBe('');
    expect(v.out).toContain('the reference solution scores 0/2');
    expect(v.code).toBe(1);
    // The shipped exercises are not in that folder.
    const unknown = await run(['validate', (await listExercises())[0]!, '--exercises', root]);
    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain('known: zz-scaffold-test, zz-second\n');
  });

  test('in a folder whose package.json is not an ES module package, new says what to add', async () => {
    const root = tempDir();
    writeFileSync(join(root, 'package.json'), '{ "private": true }\n');
    const created = await run(['new', 'cow-break', '--exercises', root]);
    expect(created.code).toBe(0);
    expect(created.out).toContain(`note: ${join(root, 'package.json')} does not say "type": "module"`);
    expect(created.out).toContain(`pnpm add -D link:${realpathSync(grader)}\n`);
    expect(readFileSync(join(root, 'package.json'), 'utf8')).toBe('{ "private": true }\n');
  });

  test('a bad slug is refused', async () => {
    const r = await run(['new', 'Not A Slug']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('lowercase words joined by hyphens');
    expect(await run(['new', 'ok-slug', '--dir', tempDir()])).toMatchObject({ code: 2 });
  });
});
