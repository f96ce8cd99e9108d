import { describe, expect, test } from 'vitest';
import { Kernel } from './kernel.ts';
import { Scheduler, seededRandom } from './scheduler.ts';

describe('Scheduler', () => {
  test('the same seed gives the same interleaving; another seed a different one', () => {
    const history = (seed: number) => {
      const kernel = new Kernel({ frames: 128, cpus: 2 });
      kernel.spawn('a');
      kernel.spawn('b');
      kernel.kthread('k');
      return new Scheduler(kernel, seed).run(20);
    };
    expect(history(7)).toEqual(history(7));
    expect(history(7)).not.toEqual(history(8));
  });

  test('a task never runs on two CPUs at once', () => {
    const kernel = new Kernel({ frames: 128, cpus: 3 });
    for (const n of ['a', 'b', 'c', 'd']) kernel.spawn(n);
    const s = new Scheduler(kernel, 1);
    for (let i = 0; i < 200; i++) {
      s.tick();
      const running = kernel.cpus.map((c) => c.current.pid).filter((p) => p !== 0);
      expect(new Set(running).size).toBe(running.length);
    }
  });

  test('seededRandom is deterministic and in [0, 1)', () => {
    const a = seededRandom(42);
    const b = seededRandom(42);
    for (let i = 0; i < 100; i++) {
      const x = a();
      expect(x).toBe(b());
      expect(x >= 0 && x < 1).toBe(true);
    }
  });
});
