import { defineTests } from '@faultline/grader';

const PAGE = 4096;

export default defineTests((test) => {
  test('the first read of untouched memory maps the shared zero page', {
    points: 1,
    visibility: 'visible',
  }, (t) => {
    const pid = t.spawn();
    const addr = t.mmap(pid, 4 * PAGE);
    const r = t.read(pid, addr + 100);
    t.expectResolutions(r, ['zero-page'], 'the first read of an untouched anonymous page');
    t.expectValue(r, 0, 'the first read of an untouched anonymous page');
  });
});
