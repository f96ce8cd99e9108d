// What the browser's visible tests get for `@faultline/grader` is the
// grader's public API itself, name by name (the same values, not copies),
// minus what a browser cannot run.
import { expect, test } from 'vitest';
import * as grader from '../index.ts';
import * as testsApi from './tests-api.ts';

test('every name of the browser tests’ API is the grader’s own export', () => {
  const names = Object.keys(testsApi);
  expect(names).toEqual(
    expect.arrayContaining(['defineTests', 'TestContext', 'AssertionFailure', 'HarnessError', 'UACCESS_IP']),
  );
  for (const name of names)
    expect((grader as Record<string, unknown>)[name], name).toBe((testsApi as Record<string, unknown>)[name]);
});

test('what it leaves out is the Node side: the exercise loader, the pool, the renderings', () => {
  const left = Object.keys(grader).filter((n) => !(n in testsApi));
  expect(left).toEqual(
    expect.arrayContaining(['loadExercise', 'readExercise', 'gradeInPool', 'gradeSubmission', 'renderJUnit']),
  );
});
