import { describe, expect, it } from 'vitest';
import { DIALECTS, START, useTestDb } from '../test/databases.ts';
import { makeUser } from '../test/fixtures.ts';
import type { NewExerciseVersion } from './index.ts';

const version = (overrides: Partial<NewExerciseVersion> = {}): NewExerciseVersion => ({
  exerciseId: 'page-fault-handler',
  hash: 'sha256-aaa',
  meta: { id: 'page-fault-handler', title: 'The page fault handler', points: 30, hooks: ['handleFault'] },
  readme: '# Handle a page fault',
  starter: 'export function handleFault() {}',
  files: {
    'exercise.json': '{"id":"page-fault-handler"}',
    'README.md': '# Handle a page fault',
    'starter.ts': 'export function handleFault() {}',
    'solution.ts': 'export function handleFault() { /* the answer */ }',
    'tests/hidden.test.ts': 'test("hidden", …)',
    'mutants/forgets-dirty.ts': '…',
  },
  source: 'folder',
  ...overrides,
});

describe.each(DIALECTS)('exercises and drafts on %s', (dialect) => {
  const t = useTestDb(dialect);

  it('stores a version once per hash, with every file', async () => {
    const v = version();
    expect(await t.db.exercises.putVersion(v)).toEqual({ kind: 'ok', created: true });
    t.clock.advance(10);
    expect(await t.db.exercises.putVersion(v)).toEqual({ kind: 'ok', created: false });
    expect(await t.db.exercises.versionFiles('sha256-aaa')).toEqual(v.files);
    expect(await t.db.exercises.versionFiles('sha256-nope')).toBeNull();
    expect(await t.db.exercises.versionSummary('sha256-aaa')).toEqual({
      id: 'page-fault-handler',
      hash: 'sha256-aaa',
      meta: v.meta,
      readme: v.readme,
      starter: v.starter,
      source: 'folder',
      uploadedBy: null,
      createdAt: START,
    });
  });

  it('refuses a hash already stored for another exercise', async () => {
    await t.db.exercises.putVersion(version());
    expect(await t.db.exercises.putVersion(version({ exerciseId: 'cow' }))).toEqual({
      kind: 'err',
      reason: 'hash-belongs-to-another-exercise',
      exerciseId: 'page-fault-handler',
    });
  });

  it('lists current versions as learner-safe summaries, never their files', async () => {
    const author = await makeUser(t.db, 'author');
    await t.db.exercises.putVersion(version());
    await t.db.exercises.putVersion(version({ exerciseId: 'cow', hash: 'sha256-cow', meta: { id: 'cow' } }));
    expect(await t.db.exercises.listCurrent()).toEqual([]);
    expect(await t.db.exercises.setCurrent('page-fault-handler', 'sha256-aaa')).toEqual({ kind: 'ok' });
    expect(await t.db.exercises.setCurrent('cow', 'sha256-cow')).toEqual({ kind: 'ok' });
    const list = await t.db.exercises.listCurrent();
    expect(list.map((e) => e.id)).toEqual(['cow', 'page-fault-handler']);
    expect(Object.keys(list[1]!).sort()).toEqual(['hash', 'id', 'meta', 'readme', 'starter']);
    expect(JSON.stringify(list)).not.toContain('the answer');
    expect(JSON.stringify(list)).not.toContain('hidden');

    // A new upload becomes current; the old version stays for old submissions.
    t.clock.advance(1000);
    const v2 = version({ hash: 'sha256-bbb', readme: '# v2', source: 'upload', uploadedBy: author.id });
    await t.db.exercises.putVersion(v2);
    expect(await t.db.exercises.setCurrent('page-fault-handler', 'sha256-bbb')).toEqual({ kind: 'ok' });
    expect(await t.db.exercises.current('page-fault-handler')).toEqual({
      id: 'page-fault-handler',
      hash: 'sha256-bbb',
      meta: v2.meta,
      readme: '# v2',
      starter: v2.starter,
    });
    expect(
      (await t.db.exercises.versionsOf('page-fault-handler')).map((v) => [v.hash, v.source, v.uploadedBy]),
    ).toEqual([
      ['sha256-bbb', 'upload', author.id],
      ['sha256-aaa', 'folder', null],
    ]);
    expect(await t.db.exercises.current('nope')).toBeNull();
  });

  it('refuses to make current an unknown version or another exercise’s', async () => {
    await t.db.exercises.putVersion(version());
    expect(await t.db.exercises.setCurrent('page-fault-handler', 'sha256-nope')).toEqual({
      kind: 'err',
      reason: 'unknown-version',
    });
    expect(await t.db.exercises.setCurrent('cow', 'sha256-aaa')).toEqual({
      kind: 'err',
      reason: 'hash-belongs-to-another-exercise',
    });
  });

  it('stores a folder with many files', async () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 450; i++)
      files[`tests/t${String(i).padStart(3, '0')}.ts`] = `test ${i} ${'x'.repeat(i)}`;
    await t.db.exercises.putVersion(version({ files }));
    expect(await t.db.exercises.versionFiles('sha256-aaa')).toEqual(files);
  });

  it('refuses meta that is not a JSON object', async () => {
    await expect(
      t.db.exercises.putVersion(
        version({ meta: ['not', 'an', 'object'] as unknown as Record<string, unknown> }),
      ),
    ).rejects.toThrow(/meta must be a JSON object/);
  });

  it('saves and replaces a draft, stamped by the clock', async () => {
    const u = await makeUser(t.db);
    expect(await t.db.drafts.get(u.id, 'cow')).toBeNull();
    await t.db.drafts.save(u.id, 'cow', 'first');
    t.clock.advance(5000);
    expect(await t.db.drafts.save(u.id, 'cow', 'second')).toEqual({
      kind: 'ok',
      draft: { userId: u.id, exerciseId: 'cow', code: 'second', updatedAt: START + 5000 },
    });
    expect(await t.db.drafts.get(u.id, 'cow')).toEqual({
      userId: u.id,
      exerciseId: 'cow',
      code: 'second',
      updatedAt: START + 5000,
    });
    expect(await t.db.drafts.get(u.id, 'other')).toBeNull();
  });
});
