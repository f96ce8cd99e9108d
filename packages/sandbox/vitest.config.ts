import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // A safety net against a hang only, never what decides a test: nothing
    // here depends on how fast the machine is (wall-clock behaviour is tested
    // with injected clocks and watchdog timers).
    testTimeout: 300_000,
  },
});
