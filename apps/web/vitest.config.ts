import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    // A safety net against a hang only, never what decides a test.
    testTimeout: 300_000,
  },
});
