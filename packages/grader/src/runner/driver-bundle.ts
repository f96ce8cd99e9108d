/**
 * Whether this copy of the grader is its own build, `dist/driver.js`
 * (`@faultline/grader/driver`, built by build.mjs from driver-entry.ts).
 *
 * Fixed when the code is built, not sniffed at run time: build.mjs `define`s
 * `__FAULTLINE_GRADER_DRIVER_BUNDLE__` as `true`. Everywhere else the name is
 * undeclared or `false` — the grader's TypeScript run by vitest, tsx or the
 * web app's dev server, and a program that bundles the grader's host side
 * (the CLI's dist/main.js defines it `false`).
 *
 * What differs in the bundle: an exercise's test files are compiled with
 * esbuild, and import this very bundle for `@faultline/grader`
 * (`exercise/compile-tests.ts`), instead of being imported as TypeScript; and
 * the bundle is its own default driver and exercise loader (`pooled.ts`).
 */
declare const __FAULTLINE_GRADER_DRIVER_BUNDLE__: boolean | undefined;

export const IN_DRIVER_BUNDLE: boolean =
  typeof __FAULTLINE_GRADER_DRIVER_BUNDLE__ === 'boolean' && __FAULTLINE_GRADER_DRIVER_BUNDLE__;
