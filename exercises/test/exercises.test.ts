// The workspace's exercises as content: every folder is an exercise that
// loads under its own name (the format and its loader are tested in the
// grader, on an exercise of its own).
import { join } from 'node:path';
import { loadExercise } from '@faultline/grader/exercise';
import { describe, expect, test } from 'vitest';
import { EXERCISES_DIR, listExercises } from '../src/index.ts';

describe('the workspace exercises', () => {
  test('every listed exercise loads, under its folder name', async () => {
    const ids = await listExercises();
    expect(ids.length).toBeGreaterThan(0);
    for (const id of ids) {
      const ex = await loadExercise(join(EXERCISES_DIR, id));
      expect(ex.meta.id).toBe(id);
      expect(ex.tests.length).toBeGreaterThan(0);
    }
  });

  test('lists and loads page-fault-handler', async () => {
    expect(await listExercises()).toContain('page-fault-handler');
    const ex = await loadExercise(join(EXERCISES_DIR, 'page-fault-handler'));
    expect(ex.meta).toMatchObject({ id: 'page-fault-handler', points: 26, hooks: ['anonymousFault'] });
    expect(ex.maxScore).toBe(26);
    expect(ex.tests.filter((t) => t.visibility === 'visible')).toHaveLength(3);
    expect(ex.tests.filter((t) => t.visibility === 'hidden')).toHaveLength(10);
    expect(ex.mutants.length).toBeGreaterThanOrEqual(12);
    expect(ex.solution).toContain('export function anonymousFault');
    expect(ex.readme).toContain('anonymousFault(fault: FaultInfo, vma: VmaInfo)');
  });
});
