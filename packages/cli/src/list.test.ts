// `faultline list` as an instructor runs it: the workspace's exercises, a
// course's own folder in learning order, and what it refuses.
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EXERCISES_DIR } from '@faultline/exercises';
import { describe, expect, test } from 'vitest';
import { runCli, scratchFolders } from './test-support.ts';

const scratch = scratchFolders('list');

/** A copy of page-fault-handler under `root` as `id`, with exercise.json fields changed. */
function exercise(root: string, id: string, fields: Record<string, unknown>): void {
  cpSync(join(EXERCISES_DIR, 'page-fault-handler'), join(root, id), { recursive: true });
  const meta = JSON.parse(readFileSync(join(root, id, 'exercise.json'), 'utf8'));
  writeFileSync(join(root, id, 'exercise.json'), JSON.stringify({ ...meta, id, ...fields }));
}

describe('faultline list', () => {
  test('lists the workspace exercises with id, kind, difficulty, points and title; --json gives the same as one array', async () => {
    const text = await runCli(['list']);
    expect(text.code).toBe(0);
    expect(text.out).toMatch(/^page-fault-handler {2}code {2}easy {2}\d+ points {2}Demand paging/m);
    const json = await runCli(['list', '--json']);
    const rows = JSON.parse(json.out) as Record<string, unknown>[];
    expect(rows.find((r) => r.id === 'page-fault-handler')).toMatchObject({
      title: expect.any(String),
      kind: 'code',
      difficulty: 'easy',
      points: expect.any(Number),
      prerequisites: [],
    });
  });

  test('orders a course by difficulty, each exercise after its prerequisites, then by id', async () => {
    const root = scratch();
    exercise(root, 'zeta-intro', { difficulty: 'intro' });
    exercise(root, 'beta-hard', { difficulty: 'hard' });
    exercise(root, 'alpha-second', { difficulty: 'medium', prerequisites: ['omega-first'] });
    exercise(root, 'omega-first', { difficulty: 'medium' });
    const ran = await runCli(['list', '--json', '--exercises', root]);
    expect(ran.code).toBe(0);
    expect((JSON.parse(ran.out) as { id: string }[]).map((r) => r.id)).toEqual([
      'zeta-intro',
      'omega-first',
      'alpha-second',
      'beta-hard',
    ]);
    const text = await runCli(['list', '--exercises', root]);
    expect(text.out).toContain('(after omega-first)');
  });

  test('a folder whose exercise.json is broken is named, and the rest still listed (exit 1)', async () => {
    const root = scratch();
    exercise(root, 'good-one', {});
    mkdirSync(join(root, 'bad-one'));
    writeFileSync(join(root, 'bad-one', 'exercise.json'), '{ not json');
    const ran = await runCli(['list', '--exercises', root]);
    expect(ran.code).toBe(1);
    expect(ran.out).toContain('good-one');
    expect(ran.err).toMatch(/faultline list: bad-one: .*exercise\.json/);
  });

  test('refuses an unknown option, an argument, and a folder that is not there (exit 2, with the usage)', async () => {
    for (const args of [
      ['list', '--bogus'],
      ['list', 'page-fault-handler'],
    ]) {
      const ran = await runCli(args);
      expect(ran.code).toBe(2);
      expect(ran.err).toContain('usage: faultline list [--json] [--exercises DIR]');
    }
    const missing = await runCli(['list', '--exercises', join(scratch(), 'nowhere')]);
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/cannot read the exercises folder .*nowhere \(ENOENT\)/);
  });
});
