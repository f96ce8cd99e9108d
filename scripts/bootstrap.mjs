#!/usr/bin/env node
// The two commands a newcomer types on a fresh machine (`npm start`, `npm test`)
// land here. A fresh machine has only Node 20 and npm, so this script brings
// the pinned pnpm itself, installs every package, then runs the job.
//
//   node scripts/bootstrap.mjs start   set up, build the web app, start it on :3000
//   node scripts/bootstrap.mjs test    set up, build, then run every check and test
//   node scripts/bootstrap.mjs test --force   the same, ignoring turbo's cache
//                                             (npm run test:loaded uses it)
//
// It installs pnpm into .tools/ (not globally) so it needs no root and never
// fights with another pnpm on the machine. The same pnpm is a root
// devDependency too, so once installed `npx pnpm …` works from any shell.
//
// The test job runs in phases, times each and ends with a table of them:
//   system packages  the Debian packages in package.json's
//                    `faultline.systemPackages`, installed with apt-get in the
//                    background while pnpm installs and awaited before the
//                    tests; skipped, saying what to install by hand, when not
//                    root or without apt-get
//                    — and the packages of other architectures in
//                    `faultline.unpackedPackages` ({ arch: { metapackage:
//                    folder to keep } }), downloaded and that folder unpacked
//                    into .tools/<arch>/ rather than installed (Debian's arm64
//                    kernel, booted under QEMU: installing it would replace
//                    the host's own)
//   fetch pnpm       the pinned pnpm into .tools/
//   pnpm install     every package, from the lockfile
//   build            every package's `build` (the README's commands need the CLI)
//   typecheck, lint, unit tests (`test`), browser tests (`test:e2e`, in the
//   workspaces that have that script)
// From build on, each phase runs every package (turbo --continue) and the job
// goes on after a failure, then fails at the end, naming what failed. A failed
// install stops the job at once.
//
// Test counts come from the report each test script writes in its package
// folder: test-results.json (vitest's JSON reporter) for `test`,
// e2e-results.json (Playwright's or vitest's JSON reporter) for `test:e2e`.
// Old reports are deleted first. A package whose report is missing, says it
// failed, or counts no tests fails the job; so does a run with no tests at all.
// The last line adds them up: `Tests: N passed, M failed, K skipped`.
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { constants } from 'node:os';
import { delimiter, dirname, join, relative } from 'node:path';
import { performance } from 'node:perf_hooks';
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

// Children share our terminal; on Ctrl-C or a SIGTERM, pass the signal on and
// leave once they are gone, rather than starting the next phase.
const running = new Set();
let stopSignal = null;
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    stopSignal ??= signal;
    for (const child of running) child.kill(signal);
    leaveIfStopped();
  });
}
function leaveIfStopped() {
  if (stopSignal && running.size === 0) process.exit(128 + constants.signals[stopSignal]);
}

/** Runs a command on our terminal and resolves to its exit status; never rejects. */
function run(cmd, args, opts = {}) {
  const shown = [cmd === pnpmBin ? 'pnpm' : cmd, ...args].join(' ');
  console.error(`\n> ${shown}`);
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: root, stdio: 'inherit', env, ...opts });
    running.add(child);
    child.on('error', (error) => {
      console.error(`bootstrap: could not run ${shown}: ${error.message}`);
      running.delete(child);
      resolve(127);
      leaveIfStopped();
    });
    child.on('close', (code, signal) => {
      running.delete(child);
      if (code !== 0) console.error(`bootstrap: \`${shown}\` failed with ${code ?? signal}`);
      resolve(code ?? 128 + (constants.signals[signal] ?? 0));
      leaveIfStopped();
    });
  });
}

async function mustRun(cmd, args) {
  const status = await run(cmd, args);
  if (status !== 0) process.exit(status);
}

function installedPnpmVersion() {
  if (!existsSync(pnpmBin)) return null;
  const r = spawnSync(pnpmBin, ['--version'], { encoding: 'utf8', env });
  return r.status === 0 ? r.stdout.trim() : null;
}

async function ensurePnpm() {
  const pinned = pkg.devDependencies?.pnpm;
  if (pinned !== pnpmVersion) {
    console.error(
      `bootstrap: package.json pins pnpm@${pnpmVersion} in packageManager but ${pinned} in devDependencies; make them equal.`,
    );
    process.exit(2);
  }
  if (installedPnpmVersion() === pnpmVersion) return;
  await mustRun('npm', [
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

async function pnpmInstall() {
  const frozen = existsSync(join(root, 'pnpm-lock.yaml')) && process.env.CI ? ['--frozen-lockfile'] : [];
  await mustRun(pnpmBin, ['install', ...frozen]);
}

const seconds = (since) => (performance.now() - since) / 1000;

/**
 * Starts installing the declared Debian packages that are missing, in the
 * background (output to .tools/system-packages.log, so it does not tangle
 * with pnpm's), and returns a promise of the phase's result.
 */
function startSystemPackages() {
  const started = performance.now();
  const result = (status, note) => ({ name: 'system packages', status, note, seconds: seconds(started) });
  const wanted = pkg.faultline?.systemPackages ?? [];
  const unpacked = unpackedPackagesMissing();
  if (wanted.length === 0 && unpacked.length === 0)
    return Promise.resolve(result('skipped', 'none declared'));
  const missing = wanted.filter((name) => {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query's own format syntax
    const r = spawnSync('dpkg-query', ['-W', '-f=${db:Status-Abbrev}', name], { encoding: 'utf8' });
    return !(r.status === 0 && r.stdout.startsWith('ii'));
  });
  if (missing.length === 0 && unpacked.length === 0)
    return Promise.resolve(result('ok', `already installed: ${wanted.join(' ')}`));
  const list = [
    ...missing,
    ...unpacked.map((u) => `${u.name}:${u.arch} (unpacked into .tools/${u.arch})`),
  ].join(' ');
  const steps = [];
  for (const arch of new Set(unpacked.map((u) => u.arch))) steps.push(`dpkg --add-architecture ${arch}`);
  steps.push('apt-get update');
  if (missing.length > 0) steps.push(`apt-get install -y --no-install-recommends ${missing.join(' ')}`);
  for (const u of unpacked) steps.push(unpackScript(u));
  const install = steps.slice(1).join(' && ');
  const hasAptGet = spawnSync('sh', ['-c', 'command -v apt-get'], { stdio: 'ignore' }).status === 0;
  if (!hasAptGet) {
    console.error(
      `\nbootstrap: no apt-get here: install ${list} by hand (Debian names), or expect the tests that need them to fail`,
    );
    return Promise.resolve(result('skipped', `no apt-get; install by hand: ${list}`));
  }
  if (process.getuid?.() !== 0) {
    console.error(
      `\nbootstrap: not root, so not installing system packages. By hand: sudo apt-get update && sudo ${install}`,
    );
    return Promise.resolve(result('skipped', `not root; install by hand: ${list}`));
  }
  mkdirSync(toolsDir, { recursive: true });
  const logFile = join(toolsDir, 'system-packages.log');
  const script = steps.join(' && ');
  console.error(`\n> ${script}   (in the background; output in ${relative(root, logFile)})`);
  const log = openSync(logFile, 'w');
  return new Promise((resolve) => {
    const child = spawn('sh', ['-c', script], {
      cwd: root,
      stdio: ['ignore', log, log],
      env: { ...env, DEBIAN_FRONTEND: 'noninteractive' },
    });
    running.add(child);
    child.on('close', (code, signal) => {
      running.delete(child);
      closeSync(log);
      if (code === 0) resolve(result('ok', `installed ${list}`));
      else {
        const tail = readFileSync(logFile, 'utf8').trimEnd().split('\n').slice(-30).join('\n');
        console.error(`\nbootstrap: \`${script}\` failed with ${code ?? signal}; its last lines:\n${tail}`);
        resolve(result('failed', `apt-get failed (${relative(root, logFile)})`));
      }
      leaveIfStopped();
    });
  });
}

/**
 * The packages of `faultline.unpackedPackages` not yet unpacked: a
 * metapackage per architecture, found unpacked when .tools/<arch>/ holds a
 * marker naming it.
 */
function unpackedPackagesMissing() {
  const declared = pkg.faultline?.unpackedPackages ?? {};
  const missing = [];
  for (const [arch, packages] of Object.entries(declared))
    for (const [name, keep] of Object.entries(packages))
      if (!existsSync(join(toolsDir, arch, `.unpacked-${name}`))) missing.push({ arch, name, keep });
  return missing;
}

/**
 * Shell commands that download what metapackage `name` of `arch` depends on
 * (e.g. linux-image-arm64 → linux-image-6.1.0-NN-arm64) and unpack its
 * folder `keep` (the kernel's ./boot, not its modules) into .tools/<arch>/,
 * then leave the marker.
 */
function unpackScript({ arch, name, keep }) {
  const dir = join(toolsDir, arch);
  const debs = join(dir, '.download');
  const dep = `$(apt-cache depends ${name}:${arch} | awk '/Depends: /{print $2; exit}')`;
  return (
    `rm -rf ${debs} && mkdir -p ${debs} && (cd ${debs} && apt-get download "${dep}") && ` +
    `for deb in ${debs}/*.deb; do dpkg-deb --fsys-tarfile "$deb" | tar -x -C ${dir} ${keep}; done && ` +
    `rm -rf ${debs} && touch ${dir}/.unpacked-${name}`
  );
}

/** Waits for the background system packages, stopping the job if they failed. */
async function awaitSystemPackages(pending, phases, jobStarted) {
  const waitStarted = performance.now();
  const phase = await pending;
  const waited = seconds(waitStarted);
  if (waited >= 0.1) phase.note += ` (waited ${waited.toFixed(1)} s for it)`;
  if (phases) phases.unshift(phase);
  if (phase.status === 'failed') {
    if (phases) printPhases(phases, jobStarted);
    process.exit(1);
  }
}

/** Every workspace package but the root: its name, folder and scripts. */
function workspaces() {
  const r = spawnSync(pnpmBin, ['ls', '-r', '--depth', '-1', '--json'], { cwd: root, encoding: 'utf8', env });
  if (r.status !== 0) {
    console.error(`bootstrap: pnpm ls failed:\n${r.stderr}`);
    process.exit(1);
  }
  return JSON.parse(r.stdout)
    .filter((w) => w.path !== root)
    .map((w) => {
      const manifest = JSON.parse(readFileSync(join(w.path, 'package.json'), 'utf8'));
      return { name: w.name, dir: w.path, scripts: manifest.scripts ?? {} };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * `turbo run TASK` over every package, going on after failures. Returns the
 * exit status and turbo's own record of each task it ran (from --summarize,
 * whose file is read and then removed), or null if turbo wrote none.
 */
async function turbo(task) {
  const runsDir = join(root, '.turbo', 'runs');
  const listRuns = () => (existsSync(runsDir) ? readdirSync(runsDir).filter((f) => f.endsWith('.json')) : []);
  const before = new Set(listRuns());
  const args = ['turbo', 'run', task, '--continue', '--summarize', '--output-logs=new-only'];
  const status = await run(pnpmBin, force ? [...args, '--force'] : args);
  const fresh = listRuns().filter((f) => !before.has(f));
  let tasks = null;
  if (fresh.length === 1) {
    try {
      tasks = JSON.parse(readFileSync(join(runsDir, fresh[0]), 'utf8')).tasks;
    } catch {
      tasks = null;
    }
  }
  for (const f of fresh) rmSync(join(runsDir, f), { force: true });
  const failed = (tasks ?? [])
    .filter((t) => t.command !== '<NONEXISTENT>' && t.execution?.exitCode !== 0)
    .map((t) => t.taskId);
  return { status, tasks, failed };
}

/** A phase that is one turbo task over every package. */
async function turboPhase(name, task) {
  const started = performance.now();
  const r = await turbo(task);
  const ok = r.status === 0 && r.failed.length === 0;
  return { name, status: ok ? 'ok' : 'failed', note: failedNote(r), seconds: seconds(started) };
}

function failedNote(r) {
  if (r.failed.length > 0) return r.failed.join(', ');
  return r.status === 0 ? '' : `turbo exited with ${r.status}`;
}

/** Passed, failed and skipped from a vitest (or jest) or a Playwright JSON report. */
function countTests(report) {
  if (typeof report?.numTotalTests === 'number') {
    return {
      passed: report.numPassedTests ?? 0,
      failed: report.numFailedTests ?? 0,
      skipped: (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0),
      brokenFiles: report.numFailedTestSuites ?? 0,
      success: report.success !== false,
    };
  }
  if (typeof report?.stats?.expected === 'number') {
    const { expected, unexpected = 0, flaky = 0, skipped = 0 } = report.stats;
    const errors = report.errors?.length ?? 0;
    return {
      passed: expected + flaky,
      failed: unexpected,
      skipped,
      brokenFiles: errors,
      success: unexpected === 0,
    };
  }
  return null;
}

/** Why a package's report (and its task's exit code) fails the job, or null. */
function problemIn(counts, exitCode, task) {
  if (counts.failed > 0) return `${counts.failed} failed`;
  if (counts.brokenFiles > 0) return `${counts.brokenFiles} test file(s) or setup step(s) broke`;
  if (!counts.success) return 'its report says the run failed';
  if (typeof exitCode === 'number' && exitCode !== 0) return `its ${task} task exited with ${exitCode}`;
  if (counts.passed === 0) return 'ran no tests';
  return null;
}

/**
 * Runs one test task over every package and reads each package's report.
 * Returns the phase and one result per package that has the script.
 */
async function testPhase(name, task, reportName, packages) {
  const started = performance.now();
  const withScript = packages.filter((w) => w.scripts[task]);
  if (withScript.length === 0) {
    return {
      phase: { name, status: 'none', note: `none yet (no workspace has a ${task} script)`, seconds: 0 },
      results: [],
    };
  }
  for (const w of packages) rmSync(join(w.dir, reportName), { force: true });
  const r = await turbo(task);
  const results = withScript.map((w) => {
    const exitCode = r.tasks?.find((t) => t.package === w.name && t.task === task)?.execution?.exitCode;
    const exited = typeof exitCode === 'number' ? ` (its ${task} task exited with ${exitCode})` : '';
    const result = { name: w.name, task, passed: 0, failed: 0, skipped: 0, problem: null };
    const file = join(w.dir, reportName);
    if (!existsSync(file)) {
      result.problem = `wrote no ${reportName}${exited || ` (its ${task} task did not run)`}`;
      return result;
    }
    let counts = null;
    try {
      counts = countTests(JSON.parse(readFileSync(file, 'utf8')));
    } catch {
      counts = null;
    }
    if (!counts) {
      result.problem = `${reportName} is not a vitest or Playwright JSON report`;
      return result;
    }
    Object.assign(result, { passed: counts.passed, failed: counts.failed, skipped: counts.skipped });
    result.problem = problemIn(counts, exitCode, task);
    return result;
  });
  const broken = results.filter((x) => x.problem).map((x) => x.name);
  const ok = r.status === 0 && broken.length === 0 && r.failed.length === 0;
  const note = broken.length > 0 ? broken.join(', ') : failedNote(r);
  return { phase: { name, status: ok ? 'ok' : 'failed', note, seconds: seconds(started) }, results };
}

function printResults(results) {
  if (results.length === 0) return;
  const width = Math.max(...results.map((x) => `${x.name} ${x.task}`.length), 'package'.length);
  console.log(`\n${'package'.padEnd(width)}  passed  failed  skipped`);
  for (const x of results) {
    const counts = `${String(x.passed).padStart(6)}  ${String(x.failed).padStart(6)}  ${String(x.skipped).padStart(7)}`;
    console.log(
      `${`${x.name} ${x.task}`.padEnd(width)}  ${counts}${x.problem ? `  FAILED: ${x.problem}` : ''}`,
    );
  }
}

function printPhases(phases, jobStarted) {
  const width = Math.max(...phases.map((p) => p.name.length), 'phase'.length);
  console.log(`\n${'phase'.padEnd(width)}  seconds  result`);
  for (const p of phases) {
    const label = { ok: 'ok', failed: 'FAILED', skipped: 'skipped', none: '' }[p.status];
    const result = [label, p.note].filter(Boolean).join(': ');
    console.log(`${p.name.padEnd(width)}  ${p.seconds.toFixed(1).padStart(7)}  ${result}`);
  }
  console.log(`${'total'.padEnd(width)}  ${seconds(jobStarted).toFixed(1).padStart(7)}  (wall time)`);
}

async function timed(name, fn) {
  const started = performance.now();
  await fn();
  return { name, status: 'ok', note: '', seconds: seconds(started) };
}

async function testJob() {
  const jobStarted = performance.now();
  const systemPackages = startSystemPackages();
  const phases = [];
  phases.push(await timed('fetch pnpm', ensurePnpm));
  phases.push(await timed('pnpm install', pnpmInstall));
  const packages = workspaces();

  phases.push(await turboPhase('build', 'build'));
  phases.push(await turboPhase('typecheck', 'typecheck'));

  const lintStarted = performance.now();
  // Files outside any package (these scripts, root configs) are linted here.
  const rootFiles = ['scripts', 'package.json', 'turbo.json', 'biome.json'];
  const rootLint = await run(pnpmBin, ['exec', 'biome', 'check', ...rootFiles]);
  const lint = await turboPhase('lint', 'lint');
  if (rootLint !== 0) {
    lint.status = 'failed';
    lint.note = ['root files', lint.note].filter(Boolean).join(', ');
  }
  lint.seconds = seconds(lintStarted);
  phases.push(lint);

  await awaitSystemPackages(systemPackages, phases, jobStarted);
  const unit = await testPhase('unit tests', 'test', 'test-results.json', packages);
  phases.push(unit.phase);
  const browser = await testPhase('browser tests', 'test:e2e', 'e2e-results.json', packages);
  phases.push(browser.phase);

  const results = [...unit.results, ...browser.results];
  printResults(results);
  printPhases(phases, jobStarted);
  const total = { passed: 0, failed: 0, skipped: 0 };
  for (const x of results) {
    total.passed += x.passed;
    total.failed += x.failed;
    total.skipped += x.skipped;
  }
  const failedPhases = phases.filter((p) => p.status === 'failed');
  if (failedPhases.length > 0) {
    console.log(`\nFailed: ${failedPhases.map((p) => `${p.name} (${p.note})`).join('; ')}`);
  }
  if (total.passed === 0) console.log('\nNo tests passed at all: that is a failure, never a pass.');
  console.log(`\nTests: ${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped`);
  if (failedPhases.length > 0 || total.passed === 0 || total.failed > 0) process.exit(1);
}

/**
 * Builds the web app (and what it uses, the CLI's grading worker among them)
 * and starts it: http://localhost:3000 (PORT to change), on a SQLite file in
 * apps/web/.data/, seeded with the exercises, grading in its own process.
 * The Debian packages are the tests' (Chromium, PostgreSQL): not needed here.
 */
async function startJob() {
  await ensurePnpm();
  await pnpmInstall();
  const web = '--filter=@faultline/web...';
  await mustRun(pnpmBin, ['turbo', 'run', 'build', web, '--output-logs=errors-only']);
  await mustRun(pnpmBin, ['--filter', '@faultline/web', 'start', ...process.argv.slice(3)]);
}

const job = process.argv[2];
// Turbo replays a task whose inputs have not changed from its cache; --force
// runs everything again (a loaded run must really run the tests).
const force = job === 'test' && process.argv[3] === '--force';
if (job === 'test' && process.argv.length > (force ? 4 : 3)) {
  console.error('usage: node scripts/bootstrap.mjs test [--force]');
  process.exit(2);
}
switch (job) {
  case 'start':
    await startJob();
    break;
  case 'test':
    await testJob();
    break;
  default:
    console.error('usage: node scripts/bootstrap.mjs start|test');
    process.exit(2);
}
