/**
 * Playwright against the built web app, in Debian's Chromium (never a
 * downloaded browser: CI installs `chromium` from package.json's
 * `faultline.systemPackages`). Each test worker starts its own server
 * (support/fixtures.ts), so there is no `webServer` here.
 *
 * One worker: CI has two cores, busy, and the app grades on them too. The
 * timeouts only catch hangs — tests wait for readiness flags, elements and
 * responses, never for time to pass.
 */
import { defineConfig } from '@playwright/test';

process.env.PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD = '1';

export default defineConfig({
  testDir: './tests',
  globalSetup: './support/global-setup.ts',
  outputDir: './e2e-artifacts/test-results',
  fullyParallel: false,
  workers: 1,
  retries: 0,
  forbidOnly: true,
  timeout: 180_000,
  expect: { timeout: 60_000 },
  reporter: [['list'], ['json', { outputFile: 'e2e-results.json' }]],
  use: {
    browserName: 'chromium',
    viewport: { width: 1280, height: 800 },
    actionTimeout: 60_000,
    navigationTimeout: 90_000,
    screenshot: 'only-on-failure',
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    },
  },
});
