import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    // A safety net against a hang only: every test scans a few small files.
    testTimeout: 300_000,
  },
});
