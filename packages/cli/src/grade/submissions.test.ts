import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { collectSubmissions, uniqueNames } from './submissions.ts';

const root = mkdtempSync(join(tmpdir(), 'faultline-subs-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function files(layout: Record<string, string>): string {
  const dir = mkdtempSync(join(root, 'class-'));
  for (const [path, text] of Object.entries(layout)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    if (!path.endsWith('/')) writeFileSync(join(dir, path), text);
    else mkdirSync(join(dir, path), { recursive: true });
  }
  return dir;
}

describe('collectSubmissions', () => {
  test('a folder: each .ts file, and each subfolder holding one, by name; every student listed', async () => {
    const dir = files({
      'zed.ts': '',
      'alice.ts': '',
      'types.d.ts': '',
      'notes.md': '',
      '.hidden.ts': '',
      'bob/answer.ts': '',
      'carol/solution.ts': '',
      'carol/helpers.ts': '',
      'dave/a.ts': '',
      'dave/b.ts': '',
      'erin/': '',
      'frank/readme.md': '',
      'gina/Solution.TS': '',
      'node_modules/x/index.ts': '',
    });
    const submissions = await collectSubmissions([dir]);
    expect(submissions.map((s) => [s.name, s.kind])).toEqual([
      ['alice', 'file'],
      ['bob', 'file'],
      ['carol', 'file'],
      ['dave', 'unusable'],
      ['erin', 'unusable'],
      ['frank', 'unusable'],
      ['gina', 'file'],
      ['zed', 'file'],
    ]);
    const [, bob, carol, dave, erin, frank] = submissions;
    expect(bob).toMatchObject({ file: join(dir, 'bob', 'answer.ts') });
    expect(carol).toMatchObject({ file: join(dir, 'carol', 'solution.ts') });
    expect(dave).toMatchObject({ reason: expect.stringContaining('2 .ts files (a.ts, b.ts)') });
    expect(erin).toMatchObject({ reason: expect.stringContaining('nothing was handed in') });
    expect(frank).toMatchObject({ reason: 'the folder holds no .ts file (it holds readme.md)' });
  });

  test('symlinks are followed; a dangling one is listed as unreadable; --out is left out', async () => {
    const dir = files({ 'alice/solution.ts': '', 'real/bob.ts': '', 'out/alice.json': '' });
    const cls = join(dir, 'class');
    mkdirSync(cls);
    symlinkSync(join(dir, 'alice'), join(cls, 'alice'));
    symlinkSync(join(dir, 'real', 'bob.ts'), join(cls, 'bob.ts'));
    symlinkSync(join(dir, 'nowhere.ts'), join(cls, 'carol.ts'));
    symlinkSync(join(dir, 'out'), join(cls, 'out'));
    const submissions = await collectSubmissions([cls], { skip: [join(cls, 'out')] });
    expect(submissions.map((s) => [s.name, s.kind])).toEqual([
      ['alice', 'file'],
      ['bob', 'file'],
      ['carol', 'unusable'],
    ]);
    expect(submissions[2]).toMatchObject({ reason: 'cannot be read (ENOENT)' });
  });

  test('files are named for themselves, told apart by their folders when they end alike; one file named twice is one', async () => {
    const dir = files({ 'alice/solution.ts': '', 'bob/solution.ts': '', 'x.ts': '' });
    const submissions = await collectSubmissions([
      join(dir, 'alice', 'solution.ts'),
      join(dir, 'bob', 'solution.ts'),
      join(dir, 'x.ts'),
      join(dir, 'alice', '..', 'alice', 'solution.ts'),
    ]);
    expect(submissions.map((s) => s.name)).toEqual(['alice/solution', 'bob/solution', 'x']);
  });

  test('a path that does not exist is a submission (its report will say it cannot be read)', async () => {
    expect(await collectSubmissions(['/nonexistent/x.ts'])).toEqual([
      { kind: 'file', name: 'x', file: '/nonexistent/x.ts' },
    ]);
  });

  test('a folder without submissions is one that cannot be graded, named for the folder', async () => {
    const dir = files({ 'notes.md': '' });
    const [only, ...rest] = await collectSubmissions([dir]);
    expect(rest).toEqual([]);
    expect(only).toMatchObject({
      kind: 'unusable',
      reason: 'the folder holds no submissions (no .ts file, and no folder holding one)',
    });
  });
});

describe('uniqueNames', () => {
  test('adds folders only where names collide, counts exact duplicates', () => {
    expect(uniqueNames(['a/s.ts', 'b/s.ts', 'c/t.ts', 'c/t.ts', 'x/a/s.ts'])).toEqual([
      'a/s',
      'b/s',
      't',
      't (2)',
      'x/a/s',
    ]);
  });
});
