/**
 * Error classes recognised by a registered brand instead of by identity.
 *
 * One process can hold several copies of the grader: the runner of a built
 * bundle beside an exercise's tests that import `@faultline/grader` at run
 * time, a link to another checkout, the same file loaded under two URLs. A
 * test's `AssertionFailure` must still be an assertion failure to whichever
 * runner catches it, so `instanceof` cannot compare classes (one per copy)
 * and must not compare names (a bundler renames classes; a subclass has a
 * name of its own). A registered symbol (`Symbol.for`) is the same in every
 * copy: the class puts it on its prototype, and `instanceof` asks for it.
 */

type ErrorClass = abstract new (...args: never[]) => Error;

/**
 * Brands `cls` with `Symbol.for(key)`: after this, `value instanceof cls`
 * holds for an instance of this class or of the same class in any other copy
 * of its module (or of a subclass of either). A subclass of `cls` inherits
 * the check but keeps the ordinary prototype-chain test for itself.
 *
 * Call it once, from the class's static block.
 */
export function brandErrorClass(cls: ErrorClass, key: string): void {
  const brand = Symbol.for(key);
  Object.defineProperty(cls.prototype, brand, { value: true });
  Object.defineProperty(cls, Symbol.hasInstance, {
    value(this: unknown, value: unknown): boolean {
      return this === cls ? hasBrand(value, brand) : Function.prototype[Symbol.hasInstance].call(this, value);
    },
  });
}

function hasBrand(value: unknown, brand: symbol): boolean {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[brand] === true;
}
