// The grader's errors that cross copies of the grader (AssertionFailure,
// HarnessError, LearnerHookFailure) and vm-core's KernelError are recognised
// by registered brand. An exercise's tests import `@faultline/grader` at run
// time, and that copy need not be the runner's (a built bundle, a link to
// another checkout): a failed expectation must still be a failed test, not
// "the kernel stopped". The second copy here is each declaring module loaded
// under another URL: a module of its own, with classes of its own.
import { transpile } from '@faultline/sandbox';
import { KernelError } from '@faultline/vm-core';
import { describe, expect, test } from 'vitest';
import {
  AssertionFailure,
  type BridgedHookName,
  type GradableExercise,
  gradeSubmission,
  HarnessError,
  LearnerHookFailure,
  loadLearnerHooks,
  readExercise,
  type TestDefinition,
} from '../src/index.ts';
import { FIXTURE_DIR } from './fixture-exercise.ts';

const copyOf = async <T>(path: string): Promise<T> =>
  (await import(/* @vite-ignore */ new URL(`${path}?copy=second`, import.meta.url).href)) as T;
const harness2 = await copyOf<typeof import('../src/runner/harness.ts')>('../src/runner/harness.ts');
const bridge2 = await copyOf<typeof import('../src/kernel-bridge/index.ts')>('../src/kernel-bridge/index.ts');

const second = {
  AssertionFailure: harness2.AssertionFailure,
  HarnessError: harness2.HarnessError,
  LearnerHookFailure: bridge2.LearnerHookFailure,
};
const first = { AssertionFailure, HarnessError, LearnerHookFailure };
const make = {
  AssertionFailure: (c: typeof first) => new c.AssertionFailure('expected the zero page, got pfn 7'),
  HarnessError: (c: typeof first) => new c.HarnessError('mmap failed: ENOMEM'),
  LearnerHookFailure: (c: typeof first) =>
    new c.LearnerHookFailure('anonymousFault', { kind: 'invalid-result', message: 'returned 42' }),
};
const names = Object.keys(make) as (keyof typeof make)[];

describe('error classes across copies of the grader', () => {
  test('the copies are separate modules with separate classes', () => {
    for (const name of names) {
      expect(second[name]).not.toBe(first[name]);
      expect(Object.prototype.isPrototypeOf.call(first[name].prototype, make[name](second))).toBe(false);
    }
  });

  test.each(names)("one copy's %s is one to the other, both ways, and to no other class", (name) => {
    for (const [thrower, judge] of [
      [second, first],
      [first, second],
    ] as const) {
      const error = make[name](thrower);
      expect(error instanceof judge[name]).toBe(true);
      for (const other of names.filter((n) => n !== name)) expect(error instanceof judge[other]).toBe(false);
    }
  });

  test.each(names)('a subclass of the other copy’s %s is one too; its own test stays its own', (name) => {
    const Base = second[name] as new (...args: never[]) => Error;
    class Renamed extends Base {}
    const error = Object.assign(Object.create(Renamed.prototype) as Error, { message: 'm' });
    expect(error.constructor.name).toBe('Renamed');
    expect(error instanceof first[name]).toBe(true);
    expect(make[name](first) instanceof Renamed).toBe(false);
  });

  test.each(names)('an unbranded class named %s is not one', (name) => {
    const impostor = { [name]: class extends Error {} }[name]!;
    const error = new impostor('impostor');
    expect(error.constructor.name).toBe(name);
    expect(error instanceof first[name]).toBe(false);
  });
});

const files = await readExercise(FIXTURE_DIR);

describe('the runner, on tests that throw another copy’s errors', () => {
  const exerciseThrowing = (bodies: Record<string, () => never>): GradableExercise => ({
    id: 'brands',
    hooks: files.meta.hooks,
    limits: files.meta.limits,
    tests: Object.entries(bodies).map(
      ([name, body]): TestDefinition => ({ name, points: 1, visibility: 'visible', body }),
    ),
  });

  test('an AssertionFailure fails the test, a HarnessError errors it, a LearnerHookFailure names the hook', async () => {
    const report = await gradeSubmission({
      exercise: exerciseThrowing({
        assertion: () => {
          throw make.AssertionFailure(second);
        },
        harness: () => {
          throw make.HarnessError(second);
        },
        hook: () => {
          throw make.LearnerHookFailure(second);
        },
        wrapped: () => {
          throw new Error('the kernel gave up', { cause: make.LearnerHookFailure(second) });
        },
      }),
      learnerSource: files.solution,
      clock: () => 0,
    });
    expect(report.tests.map(({ name, status, message }) => ({ name, status, message }))).toEqual([
      { name: 'assertion', status: 'fail', message: 'expected the zero page, got pfn 7' },
      {
        name: 'harness',
        status: 'error',
        message: 'The test could not run (a problem in the test, not in your code): mmap failed: ENOMEM',
      },
      {
        name: 'hook',
        status: 'fail',
        message: 'Your anonymousFault returned the wrong kind of value: returned 42.',
      },
      {
        name: 'wrapped',
        status: 'fail',
        message: 'Your anonymousFault returned the wrong kind of value: returned 42.',
      },
    ]);
  });
});

describe('the kernel bridge, on kernel errors it did not make', () => {
  /** The learner's anonymousFault calls kernel.clearPage, catches what it throws and reports its message. */
  const CATCHES = `
    export function anonymousFault() {
      try { kernel.clearPage(1); return { kind: 'resolved', resolution: 'demand-zero' }; }
      catch (e) { return { kind: 'oops', report: String((e as Error).message) }; }
    }
    declare const kernel: any;`;

  /** The learner's hook, called by hand with a KernelApi whose clearPage throws `error`. */
  async function callWith(error: Error): Promise<unknown> {
    const compiled = await transpile(CATCHES);
    if (compiled.kind !== 'ok') throw new Error(JSON.stringify(compiled.errors));
    const hooks: BridgedHookName[] = ['anonymousFault'];
    const loaded = await loadLearnerHooks(compiled.code, hooks, { clock: () => 0 });
    try {
      if (loaded.kind !== 'ok') throw new Error(JSON.stringify(loaded.failure));
      const k = {
        clearPage: () => {
          throw error;
        },
      };
      const fault = { address: 0x1000, write: true, exec: false, user: true, mm: 1 };
      return (loaded.hooks.anonymousFault as (...args: unknown[]) => unknown)(k, fault, {});
    } finally {
      loaded.sandbox.dispose();
    }
  }

  test('a KernelError of a subclass (another name) is the learner’s to catch: the hook goes on', async () => {
    class PageBusy extends KernelError {}
    // The sandbox only sees a plain exception; the hook answers with its message.
    await expect(callWith(new PageBusy('page 1 is busy'))).resolves.toEqual({
      kind: 'oops',
      report: 'kernel.clearPage failed: page 1 is busy',
    });
  });

  test('a host error whose class is merely named KernelError is the host’s: the call rethrows it', async () => {
    const impostor = { KernelError: class extends Error {} }.KernelError;
    const bug = new impostor('undefined is not a function');
    await expect(callWith(bug)).rejects.toBe(bug);
  });
});
