// The hidden test runs in the grading worker (trusted Node code). With
// FAULTLINE_E2E_BLOCKING_DIR set, it records that a grade has started and
// holds it until the end-to-end test creates `release` (see README.md).
import { appendFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { defineTests } from '@faultline/grader';

const PAGE = 4096;

/** Blocks this thread (synchronously, as a hung grade would) until `release` exists in `dir`. */
function holdUntilReleased(dir: string): void {
  appendFileSync(join(dir, 'started'), `${process.pid}\n`);
  const cell = new Int32Array(new SharedArrayBuffer(4));
  while (!existsSync(join(dir, 'release'))) Atomics.wait(cell, 0, 0, 20);
}

export default defineTests((test) => {
  test('a write gets a fresh page, a read the zero page', {
    points: 1,
    visibility: 'hidden',
    hint: 'A read of untouched private memory maps the zero page; a write needs a frame of its own.',
  }, (t) => {
    const dir = process.env.FAULTLINE_E2E_BLOCKING_DIR;
    if (dir !== undefined && dir !== '') holdUntilReleased(dir);
    const pid = t.spawn();
    const addr = t.mmap(pid, 4 * PAGE);
    t.expectResolutions(t.write(pid, addr, 7), ['demand-zero'], 'the first write to an untouched page');
    t.expectValue(t.read(pid, addr), 7, 'reading back the byte just written');
    t.expectResolutions(t.read(pid, addr + PAGE), ['zero-page'], 'the first read of another untouched page');
  });
});
