/**
 * A deterministic scheduler for the simulated SMP machine: each tick picks a
 * CPU and a runnable task with a seeded PRNG and context-switches it there.
 * The same seed always gives the same interleaving, so a race or a missing
 * TLB shootdown reproduces exactly, every run.
 */
import type { Kernel } from './kernel.ts';

/** mulberry32: a small, fast, seedable PRNG (no Math.random anywhere in the simulator). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface Placement {
  readonly cpu: number;
  readonly pid: number;
}

export class Scheduler {
  private readonly random: () => number;

  constructor(
    private readonly kernel: Kernel,
    seed: number,
  ) {
    if (!Number.isInteger(seed)) throw new RangeError(`seed ${seed} must be an integer`);
    this.random = seededRandom(seed);
  }

  /** Picks an integer in [0, n). */
  pick(n: number): number {
    return Math.floor(this.random() * n);
  }

  /** One scheduling decision: a CPU gets a task that is not running elsewhere (or its idle task). */
  tick(): Placement {
    const k = this.kernel;
    const cpu = this.pick(k.cpus.length);
    const elsewhere = new Set(k.cpus.filter((c) => c.id !== cpu).map((c) => c.current.pid));
    const runnable = [...k.tasks.values()].filter(
      (t) => t.alive && t.kind !== 'idle' && !elsewhere.has(t.pid),
    );
    const next = runnable.length === 0 ? 0 : runnable[this.pick(runnable.length)]!.pid;
    k.switchTo(cpu, next);
    return { cpu, pid: next };
  }

  run(ticks: number): Placement[] {
    const placements: Placement[] = [];
    for (let i = 0; i < ticks; i++) placements.push(this.tick());
    return placements;
  }
}
