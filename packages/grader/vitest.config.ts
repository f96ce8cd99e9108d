import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // Grading runs real sandboxes; on a loaded 2-core CI machine, with every
    // package's tests running at once, a test can take seconds.
    testTimeout: 60_000,
  },
});
