// KernelError is recognised by its registered brand, so two copies of vm-core
// in one process (a bundle beside an exercise's tests that import vm-core at
// run time) agree on what a kernel error is. The second copy here is the
// module that declares KernelError (and Kernel) loaded under another URL: a
// module of its own, with classes of its own, as a bundled copy would be.
import { describe, expect, test } from 'vitest';
import * as first from '../src/index.ts';

type Copy = Pick<typeof first, 'Kernel' | 'KernelError' | 'isKernelError'>;
const second = (await import(
  /* @vite-ignore */ new URL('../src/kernel/kernel.ts?copy=second', import.meta.url).href
)) as Copy;

/** A KernelError thrown by a kernel of `copy`, for a misuse the kernel catches itself. */
function kernelErrorOf(copy: Copy): unknown {
  const kernel = new copy.Kernel({ frames: 256 });
  try {
    kernel.task(4242);
  } catch (error) {
    return error;
  }
  throw new Error('task(4242) did not throw');
}

describe('KernelError across copies of vm-core', () => {
  test('the two copies are separate modules with separate classes', () => {
    expect(second.KernelError).not.toBe(first.KernelError);
    expect(second.Kernel).not.toBe(first.Kernel);
    // The ordinary prototype chain alone would not connect them.
    const error = kernelErrorOf(second);
    expect(Object.prototype.isPrototypeOf.call(first.KernelError.prototype, error as object)).toBe(false);
  });

  test("one copy's KernelError is a KernelError to the other, by isKernelError and by instanceof", () => {
    for (const [thrower, judge] of [
      [second, first],
      [first, second],
    ] as const) {
      const error = kernelErrorOf(thrower);
      expect(judge.isKernelError(error)).toBe(true);
      expect(error instanceof judge.KernelError).toBe(true);
    }
  });

  test("a subclass of another copy's KernelError is one too (its name is not KernelError)", () => {
    class NoSuchTask extends second.KernelError {}
    const error = new NoSuchTask('no task 4242');
    expect(error.constructor.name).toBe('NoSuchTask');
    expect(first.isKernelError(error)).toBe(true);
    expect(error instanceof first.KernelError).toBe(true);
    // A subclass still tests by its own prototype chain.
    expect(new first.KernelError('x') instanceof NoSuchTask).toBe(false);
    expect(error instanceof NoSuchTask).toBe(true);
  });

  test('other errors are not kernel errors, whatever their class is called', () => {
    class KernelError extends Error {}
    for (const error of [
      new KernelError('impostor'),
      new Error('plain'),
      new TypeError('x'),
      null,
      'KernelError',
      {},
    ]) {
      expect(first.isKernelError(error)).toBe(false);
      expect(error instanceof first.KernelError).toBe(false);
    }
  });
});
