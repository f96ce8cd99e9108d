import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // A safety net against a hang only, never what decides a test: booting
    // Linux under software emulation takes seconds idle and minutes loaded.
    testTimeout: 900_000,
    hookTimeout: 900_000,
  },
});
