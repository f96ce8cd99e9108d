#!/usr/bin/env node
// Starts the built app: `next start` in this process's place, on PORT
// (default 3000), with Next's telemetry off. Next is started by its own
// entry file rather than through npx, which would leave a next-server
// child behind when stopped; SIGINT/SIGTERM are passed on.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const here = join(dirname(new URL(import.meta.url).pathname), '..');
if (!existsSync(join(here, '.next', 'BUILD_ID'))) {
  console.error(
    'faultline web: the app is not built yet; run `npm start` from the repository (or `pnpm build` here)',
  );
  process.exit(2);
}
const next = join(
  dirname(createRequire(import.meta.url).resolve('next/package.json')),
  'dist',
  'bin',
  'next',
);
const port = process.env.PORT ?? '3000';
const child = spawn(process.execPath, [next, 'start', '--port', port, ...process.argv.slice(2)], {
  cwd: here,
  stdio: 'inherit',
  env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1' },
});
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal === null ? 1 : 128)));
