import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // One throwaway PostgreSQL cluster for the whole run; each test file
    // makes its own database in it (test/databases.ts).
    globalSetup: ['test/global-setup.ts'],
    // A safety net against a hang only, never what decides a test: times
    // come from an injected clock and nothing waits on the wall clock.
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
