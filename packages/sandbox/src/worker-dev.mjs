// Entry point of a sandbox worker when the package runs from source (tests,
// development): teach this thread TypeScript, then load worker.ts. The built
// package starts dist/worker.js directly.
import { register } from 'tsx/esm/api';

register();
await import('./worker.ts');
