import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // A safety net against a hang only, never what decides a test: grading
    // runs real sandboxes whose verdicts are counted in steps, and wall-clock
    // behaviour is tested with injected watchdog timers.
    testTimeout: 300_000,
  },
});
