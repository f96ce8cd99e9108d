/**
 * The web app's speed, as a learner feels it, on the built app (the same
 * server `npm start` runs, its own SQLite file):
 *
 * - submitToReportMs: 20 simulated learners, each submitting (the reference
 *   solution or the starter, alternately), waiting for the report the way
 *   the page does (the held GET), then thinking 5 s; p50/p95 over every
 *   submission. Issue 10's targets: p50 ≤ 400 ms, p95 ≤ 1 s.
 * - preMonacoJsKbGzip: the JavaScript the exercise page sends before the
 *   editor arrives (its <script> chunks, gzip). Target ≤ 250 kB.
 * - runWarmMs: Run in Chromium, from the click to the results shown, the
 *   second Run (warm). Target ≤ 300 ms. Submit's browser latency (click to
 *   the report visible) is measured the same way.
 *
 * Figures are printed, never asserted. The last line is one JSON object.
 *
 *   npx pnpm --filter @faultline/e2e bench   (after the app is built)
 */
import { gzipSync } from 'node:zlib';
import { chromium, type Page } from '@playwright/test';
import { exerciseFile } from '../support/paths.ts';
import { AppServer } from '../support/server.ts';

const LEARNERS = Number(process.env.BENCH_LEARNERS ?? 20);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 4);
const THINK_MS = 5_000;
const EXERCISE = 'page-fault-handler';

const percentile = (sorted: readonly number[], p: number) =>
  sorted.length === 0
    ? null
    : (sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? null);
const round = (n: number | null) => (n === null ? null : Math.round(n * 10) / 10);

async function signUp(base: string, i: number): Promise<string> {
  const response = await fetch(`${base}/api/auth/signup`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-faultline-request': '1' },
    body: JSON.stringify({
      email: `bench${i}-${Date.now()}@example.org`,
      password: 'correct horse battery',
      displayName: `Bench ${i}`,
    }),
  });
  if (!response.ok) throw new Error(`sign-up failed: ${response.status} ${await response.text()}`);
  const cookie = response.headers.get('set-cookie') ?? '';
  return cookie.split(';')[0] ?? '';
}

async function submitAndWait(base: string, cookie: string, code: string): Promise<number> {
  const started = performance.now();
  const created = await fetch(`${base}/api/submissions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-faultline-request': '1', cookie },
    body: JSON.stringify({ exerciseId: EXERCISE, code }),
  });
  if (created.status !== 201) throw new Error(`submit failed: ${created.status} ${await created.text()}`);
  const { id } = (await created.json()) as { id: string };
  for (;;) {
    const r = await fetch(`${base}/api/submissions/${id}?wait=1`, { headers: { cookie } });
    const body = (await r.json()) as { status: string };
    if (body.status !== 'pending') return performance.now() - started;
  }
}

async function learner(base: string, i: number, samples: number[]): Promise<void> {
  const cookie = await signUp(base, i);
  const codes = [exerciseFile(EXERCISE, 'solution.ts'), exerciseFile(EXERCISE, 'starter.ts')];
  // Spread the learners' first submissions over one think time, as a class would.
  await new Promise((resolve) => setTimeout(resolve, (THINK_MS * i) / LEARNERS));
  for (let round = 0; round < ROUNDS; round++) {
    samples.push(await submitAndWait(base, cookie, codes[(i + round) % 2] ?? ''));
    await new Promise((resolve) => setTimeout(resolve, THINK_MS));
  }
}

async function preMonacoJs(page: Page, base: string): Promise<number> {
  const html = await (await page.request.get(`${base}/exercises/${EXERCISE}`)).text();
  const sources = [...html.matchAll(/<script[^>]+src="([^"]+\.js)"/g)].map((m) => m[1] ?? '');
  let bytes = 0;
  for (const src of new Set(sources))
    bytes += gzipSync(await (await page.request.get(new URL(src, base).href)).body()).length;
  return bytes / 1000;
}

async function clickToResults(page: Page, button: string, done: string): Promise<number> {
  await page
    .locator(done)
    .waitFor({ state: 'detached' })
    .catch(() => undefined);
  const started = performance.now();
  await page.getByRole('button', { name: button }).click();
  await page.locator(done).first().waitFor();
  return performance.now() - started;
}

const server = await AppServer.start();
try {
  const base = server.url;
  const samples: number[] = [];
  await Promise.all(Array.from({ length: LEARNERS }, (_, i) => learner(base, i, samples)));
  samples.sort((a, b) => a - b);

  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu'],
  });
  const page = await browser.newPage();
  const cookie = await signUp(base, 999);
  const [name, value] = cookie.split('=');
  await page.context().addCookies([{ name: name ?? '', value: value ?? '', url: base }]);
  const js = await preMonacoJs(page, base);
  await page.goto(`${base}/exercises/${EXERCISE}`);
  await page.locator('[data-testid=editor][data-editor=monaco]').waitFor();
  let runCold: number | null = null;
  let runWarm: number | null = null;
  try {
    // The first Run starts the browser's sandbox (QuickJS, esbuild-wasm); the second is warm.
    runCold = await clickToResults(page, 'Run visible tests', '[data-testid=run-result][data-runs="1"]');
    runWarm = await clickToResults(page, 'Run visible tests', '[data-testid=run-result][data-runs="2"]');
  } catch (error) {
    console.error(`Run could not be measured: ${(error as Error).message}`);
  }
  const submitInBrowser = await clickToResults(page, 'Submit', '[data-testid=report][aria-label=Submission]');
  await browser.close();

  console.log(
    JSON.stringify({
      learners: LEARNERS,
      submissions: samples.length,
      submitToReportMs: {
        p50: round(percentile(samples, 50)),
        p95: round(percentile(samples, 95)),
        max: round(samples.at(-1) ?? null),
      },
      preMonacoJsKbGzip: round(js),
      runColdMs: round(runCold),
      runWarmMs: round(runWarm),
      submitInBrowserMs: round(submitInBrowser),
      targets: { submitP50: 400, submitP95: 1000, preMonacoJsKbGzip: 250, runWarmMs: 300 },
    }),
  );
} finally {
  await server.dispose();
}
