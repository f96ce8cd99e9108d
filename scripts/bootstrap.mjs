#!/usr/bin/env node
// The two commands a newcomer types on a fresh machine (`npm start`, `npm test`)
// land here. A fresh machine has only Node 20 and npm, so this script brings
// the pinned pnpm itself, installs every package, then runs the job.
//
//   node scripts/bootstrap.mjs start   set up, build, start the main job
//   node scripts/bootstrap.mjs test    set up, then run every check and test
//
// It installs pnpm into .tools/ (not globally) so it needs no root and never
// fights with another pnpm on the machine.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const pnpmVersion = pkg.packageManager.replace(/^pnpm@/, '');
const toolsDir = join(root, '.tools');
const pnpmBin = join(toolsDir, 'node_modules', '.bin', 'pnpm');

// Native builds (node-gyp) must use the machine's Node headers: downloading
// them fails on machines without general internet access.
// turbo looks for `pnpm` on the PATH, so the pinned one goes first.
// biome-ignore lint/suspicious/noUndeclaredEnvVars: read by npm/pnpm for installs, not by any turbo task
const nodedir = process.env.npm_config_nodedir ?? '/usr';
const env = {
  ...process.env,
  PATH: `${dirname(pnpmBin)}${delimiter}${process.env.PATH ?? ''}`,
  npm_config_nodedir: nodedir,
  TURBO_TELEMETRY_DISABLED: '1',
};

function run(cmd, args, opts = {}) {
  const shown = [cmd === pnpmBin ? 'pnpm' : cmd, ...args].join(' ');
  console.error(`\n> ${shown}`);
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env, ...opts });
  if (r.error) {
    console.error(`bootstrap: could not run ${shown}: ${r.error.message}`);
    process.exit(2);
  }
  if (r.status !== 0) {
    console.error(`bootstrap: \`${shown}\` failed with exit code ${r.status ?? r.signal}`);
    process.exit(r.status ?? 1);
  }
}

function installedPnpmVersion() {
  if (!existsSync(pnpmBin)) return null;
  const r = spawnSync(pnpmBin, ['--version'], { encoding: 'utf8', env });
  return r.status === 0 ? r.stdout.trim() : null;
}

function ensurePnpm() {
  if (installedPnpmVersion() === pnpmVersion) return;
  run('npm', [
    'install',
    '--prefix',
    toolsDir,
    '--no-save',
    '--no-package-lock',
    '--no-audit',
    '--no-fund',
    `pnpm@${pnpmVersion}`,
  ]);
}

function install() {
  ensurePnpm();
  const frozen = existsSync(join(root, 'pnpm-lock.yaml')) && process.env.CI ? ['--frozen-lockfile'] : [];
  run(pnpmBin, ['install', ...frozen]);
}

/**
 * Adds up the vitest JSON reports every package's `test` task writes and
 * prints one closing line, so a reader (or CI) sees the whole count at once.
 * No tests at all is a failure, never a pass.
 */
function summarizeTests() {
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  for (const group of ['packages', 'apps', 'exercises', 'e2e']) {
    const dir = join(root, group);
    if (!existsSync(dir)) continue;
    const folders =
      group === 'packages' || group === 'apps' ? readdirSync(dir).map((d) => join(dir, d)) : [dir];
    for (const folder of folders) {
      const file = join(folder, 'test-results.json');
      if (!existsSync(file)) continue;
      const report = JSON.parse(readFileSync(file, 'utf8'));
      passed += report.numPassedTests ?? 0;
      failed += report.numFailedTests ?? 0;
      skipped += (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
    }
  }
  console.log(`\nTests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
  if (passed === 0 || failed > 0) process.exit(1);
}

const job = process.argv[2];
switch (job) {
  case 'start':
    install();
    run(pnpmBin, ['turbo', 'run', 'build', '--filter=@faultline/cli...', '--output-logs=errors-only']);
    run(pnpmBin, ['exec', 'faultline', 'demo', ...process.argv.slice(3)]);
    break;
  case 'test':
    install();
    // Files outside any package (this script, root configs) are linted here.
    run(pnpmBin, ['exec', 'biome', 'check', 'scripts', 'package.json', 'turbo.json', 'biome.json']);
    run(pnpmBin, ['turbo', 'run', 'typecheck', 'lint', 'test', '--output-logs=new-only']);
    summarizeTests();
    break;
  default:
    console.error('usage: node scripts/bootstrap.mjs start|test');
    process.exit(2);
}
