// Visible tests: the learner sees their messages, output and traces.
import { defineTests } from '@faultline/grader';

const PAGE = 4096;

export default defineTests((test) => {
  test('the first read of untouched memory maps the shared zero page', {
    points: 2,
    visibility: 'visible',
  }, (t) => {
    const pid = t.spawn();
    const addr = t.mmap(pid, 4 * PAGE);
    const r = t.read(pid, addr + 100);
    t.expectResolutions(r, ['zero-page'], 'the first read of an untouched anonymous page');
    t.expectValue(r, 0, 'the first read of an untouched anonymous page');
    t.expectPte(pid, addr, { zero: true, writable: false }, 'the page to map the zero page read-only');
  });

  test('the first write allocates a fresh zeroed page', { points: 2, visibility: 'visible' }, (t) => {
    const pid = t.spawn();
    const addr = t.mmap(pid, 4 * PAGE);
    t.expectResolutions(
      t.write(pid, addr + 8, 0x2a),
      ['demand-zero'],
      'the first write to an untouched page',
    );
    t.expectValue(t.read(pid, addr + 8), 0x2a, 'reading back the byte just written');
    t.expectValue(t.read(pid, addr + 9), 0, 'a byte of a fresh page that nobody wrote');
    t.expectPte(
      pid,
      addr,
      { zero: false, writable: true },
      'the written page to be a writable page of its own',
    );
  });

  test('a write after a read copies the zero page', { points: 2, visibility: 'visible' }, (t) => {
    const pid = t.spawn();
    const addr = t.mmap(pid, 4 * PAGE);
    t.expectResolutions(t.read(pid, addr), ['zero-page'], 'the first read of an untouched anonymous page');
    t.expectResolutions(
      t.write(pid, addr, 7),
      ['cow-copy'],
      'a write to a page that so far was only read (it maps the read-only zero page)',
    );
    t.expectValue(t.read(pid, addr), 7, 'reading back the byte just written');
    t.expectPte(
      pid,
      addr,
      { zero: false, writable: true },
      'the written page to be a writable page of its own',
    );
    t.expectValue(t.read(pid, addr + PAGE), 0, 'another untouched page, read after the write');
  });
});
