import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // A safety net against a hung test, not a budget: every test does a fixed
    // amount of work (property tests have fixed run counts; the large inputs
    // are in bench/) and takes well under a second on an idle machine, so the
    // limit is minutes and a loaded machine never reaches it.
    testTimeout: 300_000,
  },
});
