import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // A safety net against a hang only, never what decides a test: booting
    // Linux under software emulation takes seconds idle and minutes loaded.
    // Longer than runOnLinux's own hang guard (15 minutes), so that its
    // message, with the console's tail, is what a hang reports.
    testTimeout: 1_200_000,
    hookTimeout: 1_200_000,
  },
});
