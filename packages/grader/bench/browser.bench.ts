// What Run costs next to Submit: the browser runner (dist/browser/runner.js
// as the build builds it, in a worker thread that looks like a Web Worker to
// it, with the real clock) against the server's path (gradeSubmission on
// the visible tests, in-process), on page-fault-handler's reference
// solution; and transpiling alone, esbuild-wasm against native esbuild.
// Node's V8 stands in for a browser's: Chrome's should be close, other
// engines may not be. Plain timed loops; the last line printed is one JSON object.
// Run: pnpm --filter @faultline/grader bench:browser
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { compileQuickJSModule, transpile } from '@faultline/sandbox';
import { esbuildWasmPath, quickjsWasmPath } from '@faultline/sandbox/wasm-files';
import { buildBrowserRunner } from '../src/browser/build-runner.ts';
import { bundleVisibleTests } from '../src/browser/bundle-tests.ts';
import { RunnerWorker } from '../src/browser/test-support/runner-worker.ts';
import { gradeSubmission, loadExercise } from '../src/index.ts';
import { FIXTURE_DIR } from '../test/fixture-exercise.ts';

const WARMUP = 5;
const RUNS = 40;
const TRANSPILES = 100;

const log = (line: string) => console.log(line);
const round = (n: number, digits = 1) => Number(n.toFixed(digits));
function percentile(sorted: readonly number[], p: number): number {
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}
async function timed(runs: number, body: () => Promise<unknown>): Promise<{ p50: number; p95: number }> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await body();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return { p50: percentile(times, 50), p95: percentile(times, 95) };
}

const exercise = await loadExercise(FIXTURE_DIR);
const visibleTests = exercise.tests.filter((t) => t.visibility === 'visible').length;
const bundle = await bundleVisibleTests(FIXTURE_DIR);
if (bundle.kind !== 'ok') throw new Error(JSON.stringify(bundle.errors));
const outDir = mkdtempSync(join(tmpdir(), 'faultline-browser-bench-'));
const runnerUrl = pathToFileURL(join(outDir, 'runner.js')).href;
const runnerBytes = (await buildBrowserRunner(join(outDir, 'runner.js'))).code.length;

// 1. The server's path: gradeSubmission on the visible tests, warm.
const serverGrade = async () => {
  const report = await gradeSubmission({ exercise, learnerSource: exercise.solution, visibleOnly: true });
  if (report.status !== 'pass') throw new Error(`the solution did not pass: ${report.message}`);
};
await timed(WARMUP, serverGrade);
const server = await timed(RUNS, serverGrade);
log(
  `server, visible tests (${visibleTests}), warm: p50 ${server.p50.toFixed(1)} ms, p95 ${server.p95.toFixed(1)} ms`,
);

// 2. The browser runner: a cold start from URLs a local server serves (fetch
// and compile both .wasm files, start esbuild-wasm), its first run, warm runs.
const files: Record<string, { path: string; type: string }> = {
  '/quickjs.wasm': { path: quickjsWasmPath(), type: 'application/wasm' },
  '/esbuild.wasm': { path: esbuildWasmPath(), type: 'application/wasm' },
};
const http = createServer((request, response) => {
  const file = files[request.url ?? ''];
  if (file === undefined) response.writeHead(404).end();
  else response.writeHead(200, { 'content-type': file.type }).end(readFileSync(file.path));
});
await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
const base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;

const run = {
  learnerSource: exercise.solution,
  exercise: bundle.exercise,
  tests: { code: bundle.code, sha256: bundle.sha256 },
};
const t0 = performance.now();
const worker = new RunnerWorker(runnerUrl);
await worker.init({ quickjsWasm: `${base}/quickjs.wasm`, esbuildWasm: `${base}/esbuild.wasm` });
const coldInitMs = performance.now() - t0;
const browserGrade = async () => {
  const outcome = await worker.run(run);
  if (outcome.kind !== 'report' || outcome.report.status !== 'pass')
    throw new Error(`the browser runner did not pass the solution: ${JSON.stringify(outcome)}`);
};
const t1 = performance.now();
await browserGrade();
const firstRunMs = performance.now() - t1;
log(
  `browser, cold: worker ready from URLs in ${coldInitMs.toFixed(0)} ms, first run ${firstRunMs.toFixed(0)} ms`,
);
await timed(WARMUP, browserGrade);
const browser = await timed(RUNS, browserGrade);
log(`browser, visible tests, warm: p50 ${browser.p50.toFixed(1)} ms, p95 ${browser.p95.toFixed(1)} ms`);
await worker.terminate();
http.close();

// 2b. A worker given modules the page compiled already (a second worker, a restart after the watchdog).
const [quickjsModule, esbuildModule] = await Promise.all([
  compileQuickJSModule(),
  readFile(esbuildWasmPath()).then((bytes) => WebAssembly.compile(bytes)),
]);
const t2 = performance.now();
const again = new RunnerWorker(runnerUrl);
await again.init({ quickjsWasm: quickjsModule, esbuildWasm: esbuildModule });
const precompiledInitMs = performance.now() - t2;
await again.terminate();
log(`browser, a worker given compiled modules: ready in ${precompiledInitMs.toFixed(0)} ms`);

// 3. Transpiling the solution alone: esbuild-wasm (in this thread) against native esbuild.
(globalThis as { self?: unknown }).self ??= globalThis;
const wasm = await import('@faultline/sandbox/transpile-wasm');
await wasm.initializeEsbuildWasm({ wasmModule: esbuildModule });
await timed(WARMUP, () => wasm.transpile(exercise.solution));
const wasmTranspile = await timed(TRANSPILES, () => wasm.transpile(exercise.solution));
await timed(WARMUP, () => transpile(exercise.solution));
const nativeTranspile = await timed(TRANSPILES, () => transpile(exercise.solution));
log(
  `transpile the solution: esbuild-wasm p50 ${wasmTranspile.p50.toFixed(2)} ms, native p50 ${nativeTranspile.p50.toFixed(2)} ms`,
);
rmSync(outDir, { recursive: true, force: true });

console.log(
  JSON.stringify({
    exercise: exercise.id,
    visibleTests,
    serverWarmP50Ms: round(server.p50),
    serverWarmP95Ms: round(server.p95),
    browserWarmP50Ms: round(browser.p50),
    browserWarmP95Ms: round(browser.p95),
    browserOverServerP50: round(browser.p50 / server.p50, 2),
    browserColdInitFromUrlsMs: round(coldInitMs, 0),
    browserFirstRunMs: round(firstRunMs, 0),
    browserInitPrecompiledMs: round(precompiledInitMs, 0),
    transpileWasmP50Ms: round(wasmTranspile.p50, 2),
    transpileNativeP50Ms: round(nativeTranspile.p50, 2),
    runnerBytes,
  }),
);
process.exit(0);
