/**
 * Helpers for testing code that runs on a pool: a watchdog timer the test
 * fires itself. With it a test says *when* a job's wall-clock limit passes
 * (after a given progress event, say) instead of waiting for real time, so
 * what it checks does not depend on how fast or busy the machine is.
 */
import type { WatchdogTimer } from './pool.ts';

export interface ManualWatchdog {
  /** Give this to `createPool({ watchdog })`. */
  readonly timer: WatchdogTimer;
  /** The wall-clock limits (ms) of the jobs whose watchdog is armed now. */
  armed(): number[];
  /** Every armed watchdog fires now, as if its job's limit had passed. */
  fire(): void;
  /** Resolves once a watchdog is armed (at once if one is). */
  whenArmed(): Promise<void>;
}

export function manualWatchdog(): ManualWatchdog {
  const timers = new Set<{ ms: number; fire: () => void }>();
  const waiting: (() => void)[] = [];
  return {
    timer: (ms, fire) => {
      const entry = { ms, fire };
      timers.add(entry);
      for (const wake of waiting.splice(0)) wake();
      return () => {
        timers.delete(entry);
      };
    },
    armed: () => [...timers].map((t) => t.ms),
    fire: () => {
      const due = [...timers];
      timers.clear();
      for (const t of due) t.fire();
    },
    whenArmed: () =>
      timers.size > 0
        ? Promise.resolve()
        : new Promise<void>((resolve) => {
            waiting.push(resolve);
          }),
  };
}
