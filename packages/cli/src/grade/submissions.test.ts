import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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
  test('a folder: each .ts file, and each subfolder holding one, by name', async () => {
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
      'docs/readme.md': '',
    });
    const collected = await collectSubmissions([dir]);
    expect(collected.kind).toBe('ok');
    if (collected.kind !== 'ok') return;
    expect(collected.submissions.map((s) => [s.name, s.kind])).toEqual([
      ['alice', 'file'],
      ['bob', 'file'],
      ['carol', 'file'],
      ['dave', 'unusable'],
      ['erin', 'unusable'],
      ['zed', 'file'],
    ]);
    const [, bob, carol, dave, erin] = collected.submissions;
    expect(bob).toMatchObject({ file: join(dir, 'bob', 'answer.ts') });
    expect(carol).toMatchObject({ file: join(dir, 'carol', 'solution.ts') });
    expect(dave).toMatchObject({ reason: expect.stringContaining('2 .ts files (a.ts, b.ts)') });
    expect(erin).toMatchObject({ reason: expect.stringContaining('nothing was handed in') });
  });

  test('files are named for themselves, told apart by their folders when they end alike', async () => {
    const dir = files({ 'alice/solution.ts': '', 'bob/solution.ts': '', 'x.ts': '' });
    const collected = await collectSubmissions([
      join(dir, 'alice', 'solution.ts'),
      join(dir, 'bob', 'solution.ts'),
      join(dir, 'x.ts'),
    ]);
    expect(collected.kind === 'ok' && collected.submissions.map((s) => s.name)).toEqual([
      'alice/solution',
      'bob/solution',
      'x',
    ]);
  });

  test('a path that does not exist is a submission (its report will say it cannot be read)', async () => {
    const collected = await collectSubmissions(['/nonexistent/x.ts']);
    expect(collected).toEqual({
      kind: 'ok',
      submissions: [{ kind: 'file', name: 'x', file: '/nonexistent/x.ts' }],
    });
  });

  test('a folder without submissions is an error that names it', async () => {
    const dir = files({ 'notes.md': '' });
    expect(await collectSubmissions([dir])).toEqual({
      kind: 'err',
      message: `${dir} holds no submissions (no .ts file, and no folder holding one)`,
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
