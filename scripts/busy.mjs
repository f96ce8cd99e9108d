#!/usr/bin/env node
// Keeps cores busy for a bounded time, so the tests can be seen on a loaded
// machine (CI's two cores are shared, and a suite that passes idle can time
// out at a load average of 20).
//
//   node scripts/busy.mjs --procs N --seconds S        spin for S seconds, then exit 0
//   node scripts/busy.mjs [--procs N] [--seconds S] -- CMD [ARG…]
//                                                      run CMD under load; the load
//                                                      stops when CMD ends
//
// Contract:
// - N child processes (plain `node`) each spin one core. N defaults to
//   $BUSY_PROCS, else 8.
// - Every child has its own deadline (now + S seconds; S defaults to 900, or
//   3600 in the wrapper form, where it is only a bound) and exits at it on
//   its own. Every child also exits within about 0.1 s of this process's
//   death, even by `kill -9`, so an interrupted run never leaves spinners.
// - SIGTERM, SIGINT or SIGHUP here kills every child at once (SIGKILL); this
//   process exits after they are gone, so when it has exited the load has
//   stopped. In the wrapper form CMD runs in a process group of its own, with
//   stdin from /dev/null, and the signal goes to that whole group: `npm test`
//   passes a SIGTERM to the shell it starts, and the shell not to its child,
//   so signalling CMD alone would leave the run going.
// - Exit status: 0 when a plain run ends (128 + signal number when stopped by
//   a signal); in the wrapper form CMD's status (128 + signal number if CMD
//   was killed by a signal, 127 if it could not be started); 2 for a usage
//   error. One line on stderr when the load starts and one when it stops.
import { spawn } from 'node:child_process';
import { constants, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';

const self = fileURLToPath(import.meta.url);

// A child: `busy.mjs --spin DEADLINE_MS PARENT_PID`. It spins in slices of
// ~50 ms and, between slices, lets the event loop run and checks its deadline
// and whether its parent is still the one that started it (after the parent
// dies the child is re-parented, so process.ppid changes).
if (process.argv[2] === '--spin') {
  const deadline = Number(process.argv[3]);
  const parent = Number(process.argv[4]);
  let sink = 0;
  const slice = () => {
    const end = Math.min(Date.now() + 50, deadline);
    while (Date.now() < end) {
      for (let i = 0; i < 10_000; i++) sink += Math.sqrt(i + sink);
    }
    if (Date.now() >= deadline || process.ppid !== parent) process.exit(0);
    setImmediate(slice);
  };
  slice();
} else {
  main(process.argv.slice(2));
}

function usage(message) {
  if (message) console.error(`busy: ${message}`);
  console.error('usage: node scripts/busy.mjs [--procs N] [--seconds S] [-- CMD [ARG…]]');
  process.exit(2);
}

function parseArgs(argv) {
  const split = argv.indexOf('--');
  const own = split === -1 ? argv : argv.slice(0, split);
  const command = split === -1 ? [] : argv.slice(split + 1);
  if (split !== -1 && command.length === 0) usage('nothing to run after --');
  // biome-ignore lint/suspicious/noUndeclaredEnvVars: a knob for whoever runs the load, read by no turbo task
  let procs = process.env.BUSY_PROCS ?? '8';
  let seconds = command.length > 0 ? '3600' : '900';
  for (let i = 0; i < own.length; i++) {
    const [flag, inline] = own[i].split('=', 2);
    const value = inline ?? own[++i];
    if (flag === '--procs') procs = value;
    else if (flag === '--seconds') seconds = value;
    else if (flag === '--help' || flag === '-h') usage();
    else usage(`unknown argument ${own[i]}`);
  }
  const n = Number(procs);
  const s = Number(seconds);
  if (!Number.isInteger(n) || n < 1 || n > 1024)
    usage(`--procs wants a whole number from 1 to 1024, not ${procs}`);
  if (!(s > 0)) usage(`--seconds wants a positive number, not ${seconds}`);
  return { procs: n, seconds: s, command };
}

function main(argv) {
  const { procs, seconds, command } = parseArgs(argv);
  const started = Date.now();
  const deadline = started + seconds * 1000;
  const children = new Set();
  for (let i = 0; i < procs; i++) {
    const child = spawn(process.execPath, [self, '--spin', String(deadline), String(process.pid)], {
      stdio: 'ignore',
    });
    children.add(child);
    child.on('exit', () => {
      children.delete(child);
      if (children.size === 0) loadEnded();
    });
  }
  const what =
    command.length > 0 ? `while \`${command.join(' ')}\` runs (at most ${seconds} s)` : `for ${seconds} s`;
  console.error(`busy: ${procs} processes spinning ${what}`);

  let cmd = null;
  let cmdStatus = null;
  let stopSignal = null;
  let loadDone = false;

  function stopLoad() {
    for (const child of children) child.kill('SIGKILL');
  }

  function loadEnded() {
    loadDone = true;
    const elapsed = ((Date.now() - started) / 1000).toFixed(1);
    const load = loadavg()
      .map((x) => x.toFixed(2))
      .join(' ');
    const why = stopSignal
      ? `on ${stopSignal}`
      : cmdStatus !== null
        ? `as \`${command[0]}\` ended`
        : cmd
          ? 'at its --seconds bound'
          : 'at its deadline';
    console.error(`busy: load stopped ${why} after ${elapsed} s (load average ${load})`);
    if (cmd && cmdStatus === null && !stopSignal) {
      console.error(`busy: \`${command[0]}\` goes on without load`);
    }
    finish();
  }

  function finish() {
    if (!loadDone) return;
    if (cmd && cmdStatus === null) return;
    if (cmdStatus !== null) process.exit(cmdStatus);
    process.exit(stopSignal ? 128 + constants.signals[stopSignal] : 0);
  }

  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP']) {
    process.on(signal, () => {
      stopSignal ??= signal;
      stopLoad();
      if (cmd && cmdStatus === null) signalGroup(cmd.pid, signal);
    });
  }

  if (command.length > 0) {
    cmd = spawn(command[0], command.slice(1), { stdio: ['ignore', 'inherit', 'inherit'], detached: true });
    cmd.on('error', (error) => {
      console.error(`busy: could not run ${command[0]}: ${error.message}`);
      cmdStatus = 127;
      stopLoad();
      finish();
    });
    cmd.on('exit', (code, signal) => {
      cmdStatus = code ?? 128 + (constants.signals[signal] ?? 0);
      stopLoad();
      finish();
    });
  }
}

function signalGroup(pid, signal) {
  try {
    process.kill(-pid, signal);
  } catch {
    // The group is gone already.
  }
}
