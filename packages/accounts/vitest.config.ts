import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // A safety net against a hang only, never what decides a test: every test
    // runs a fixed, small scenario on a fresh kernel.
    testTimeout: 300_000,
  },
});
