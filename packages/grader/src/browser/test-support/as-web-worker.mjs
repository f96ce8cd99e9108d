// Runs a module Web Worker's script in a Node worker thread, for tests and
// benchmarks of the browser runner: the script finds what a Web Worker's
// global scope gives it — `self`, `addEventListener('message', …)`,
// `postMessage` — and nothing is added beyond that. (Node's own globals stay;
// the runner's bundle is checked separately to import none of Node's modules.)
//
// With `workerData.slowClock`, `performance.now` runs a thousand times slower
// than real time: the sandboxes' per-call wall-clock cap (wallMsPerCall, read
// from performance.now, a safety net that never decides a verdict on a
// merely slow machine) then cannot fire in a test however loaded the machine
// is, as the server-side tests freeze it with `clock: () => 0`. Time still
// moves, for esbuild-wasm's Go runtime, whose clock is performance.now too.
import { parentPort, workerData } from 'node:worker_threads';

if (workerData.slowClock) {
  const real = performance.now.bind(performance);
  const origin = real();
  performance.now = () => origin + (real() - origin) / 1000;
}

const scope = new EventTarget();
globalThis.self = globalThis;
globalThis.addEventListener = scope.addEventListener.bind(scope);
globalThis.removeEventListener = scope.removeEventListener.bind(scope);
globalThis.postMessage = (message) => parentPort.postMessage(message);
// As in a browser, messages posted before the script has run wait for it
// (a worker's port message queue is enabled once its script has run).
let early = [];
const deliver = (data) => scope.dispatchEvent(new MessageEvent('message', { data }));
parentPort.on('message', (data) => (early === null ? deliver(data) : early.push(data)));

await import(workerData.script);
const waiting = early;
early = null;
for (const data of waiting) deliver(data);
