import { describe, expect, test } from 'vitest';
import { main } from './main.ts';

async function run(...argv: string[]) {
  let out = '';
  let err = '';
  const io = { out: { write: (t: string) => (out += t) }, err: { write: (t: string) => (err += t) } };
  const code = await main(argv, io);
  return { code, out, err };
}

const BELADY = '1,2,3,4,1,2,5,1,2,3,4,5';

describe('faultline sim policy: text', () => {
  test('FIFO on the Belady string with 3 frames prints the hand-worked table and the totals', async () => {
    const { code, out, err } = await run(
      'sim',
      'policy',
      '--policy',
      'fifo',
      '--frames',
      '3',
      '--trace',
      BELADY,
    );
    expect(code).toBe(0);
    expect(err).toBe('');
    expect(out).toBe(
      [
        'FIFO (first in, first out), 3 frames, 12 references',
        'step  page  result  victim  frames',
        '   0     1  miss            [1 - -]',
        '   1     2  miss            [1 2 -]',
        '   2     3  miss            [1 2 3]',
        '   3     4  miss         1  [4 2 3]',
        '   4     1  miss         2  [4 1 3]',
        '   5     2  miss         3  [4 1 2]',
        '   6     5  miss         4  [5 1 2]',
        '   7     1  HIT             [5 1 2]',
        '   8     2  HIT             [5 1 2]',
        '   9     3  miss         1  [5 3 2]',
        '  10     4  miss         2  [5 3 4]',
        '  11     5  HIT             [5 3 4]',
        'totals: 3 hits, 9 misses, hit ratio 3/12 = 25.0%',
        '',
      ].join('\n'),
    );
  });

  test("Belady's anomaly through the CLI: 4 frames miss 10 times", async () => {
    const { code, out } = await run('sim', 'policy', '--policy', 'fifo', '--frames', '4', '--trace', BELADY);
    expect(code).toBe(0);
    expect(out.trimEnd().split('\n').at(-1)).toBe('totals: 2 hits, 10 misses, hit ratio 2/12 = 16.7%');
  });

  test('columns widen for large page numbers, and spaces around entries are allowed', async () => {
    const { code, out } = await run(
      'sim',
      'policy',
      '--policy',
      'lru',
      '--frames',
      '2',
      '--trace',
      '4096, 7 ,4096',
    );
    expect(code).toBe(0);
    expect(out).toBe(
      [
        'LRU (least recently used), 2 frames, 3 references',
        'step  page  result  victim  frames',
        '   0  4096  miss            [4096    -]',
        '   1     7  miss            [4096    7]',
        '   2  4096  HIT             [4096    7]',
        'totals: 1 hits, 2 misses, hit ratio 1/3 = 33.3%',
        '',
      ].join('\n'),
    );
  });

  test.each([
    ['lru', '10 misses'],
    ['opt', '7 misses'],
    ['clock', '9 misses'],
  ])('%s on the Belady string with 3 frames: %s', async (policy, misses) => {
    const { code, out } = await run('sim', 'policy', '--policy', policy, '--frames', '3', '--trace', BELADY);
    expect(code).toBe(0);
    expect(out).toContain(`, ${misses},`);
  });
});

describe('faultline sim policy --json', () => {
  test('prints exactly one JSON object: policy, frames, hits, misses and the steps', async () => {
    const { code, out, err } = await run(
      'sim',
      'policy',
      '--policy',
      'fifo',
      '--frames',
      '3',
      '--trace',
      BELADY,
      '--json',
    );
    expect(code).toBe(0);
    expect(err).toBe('');
    expect(out.endsWith('}\n')).toBe(true);
    expect(out.trimEnd().split('\n')).toHaveLength(1);
    const result = JSON.parse(out);
    expect(Object.keys(result)).toEqual(['policy', 'frames', 'hits', 'misses', 'steps']);
    expect(result).toMatchObject({ policy: 'fifo', frames: 3, hits: 3, misses: 9 });
    expect(result.steps).toHaveLength(12);
    expect(result.steps[0]).toEqual({ index: 0, page: 1, hit: false, victim: null, frames: [1, null, null] });
    expect(result.steps[3]).toEqual({ index: 3, page: 4, hit: false, victim: 1, frames: [4, 2, 3] });
    expect(result.steps[7]).toEqual({ index: 7, page: 1, hit: true, victim: null, frames: [5, 1, 2] });
  });

  test("Belady's anomaly as data: 9 misses with 3 frames, 10 with 4", async () => {
    const misses = async (frames: string) =>
      JSON.parse(
        (await run('sim', 'policy', '--policy', 'fifo', '--frames', frames, '--trace', BELADY, '--json')).out,
      ).misses;
    expect(await misses('3')).toBe(9);
    expect(await misses('4')).toBe(10);
  });
});

describe('faultline sim policy: bad input is a one-line usage error (exit 2)', () => {
  const good = { policy: ['--policy', 'lru'], frames: ['--frames', '3'], trace: ['--trace', '1,2,3'] };

  test.each([
    ['no --policy', [...good.frames, ...good.trace], '--policy is required: one of fifo, lru, opt, clock'],
    [
      'an unknown policy',
      ['--policy', 'lfu', ...good.frames, ...good.trace],
      '--policy must be one of fifo, lru, opt, clock, got "lfu"',
    ],
    [
      'a policy in capitals',
      ['--policy', 'FIFO', ...good.frames, ...good.trace],
      '--policy must be one of fifo, lru, opt, clock, got "FIFO"',
    ],
    ['no --frames', [...good.policy, ...good.trace], '--frames is required: the number of page frames'],
    [
      'zero frames',
      [...good.policy, '--frames', '0', ...good.trace],
      '--frames must be an integer from 1 to 4096, got "0"',
    ],
    [
      'negative frames',
      [...good.policy, '--frames=-2', ...good.trace],
      '--frames must be an integer from 1 to 4096, got "-2"',
    ],
    [
      'fractional frames',
      [...good.policy, '--frames', '2.5', ...good.trace],
      '--frames must be an integer from 1 to 4096, got "2.5"',
    ],
    [
      'non-numeric frames',
      [...good.policy, '--frames', 'three', ...good.trace],
      '--frames must be an integer from 1 to 4096, got "three"',
    ],
    [
      'too many frames',
      [...good.policy, '--frames', '4097', ...good.trace],
      '--frames must be an integer from 1 to 4096, got "4097"',
    ],
    ['no --trace', [...good.policy, ...good.frames], '--trace is required: page numbers separated by commas'],
    [
      'an empty trace',
      [...good.policy, ...good.frames, '--trace', ''],
      '--trace is empty: give page numbers separated by commas, like --trace 1,2,3',
    ],
    [
      'a non-numeric entry',
      [...good.policy, ...good.frames, '--trace', '1,x,3'],
      '--trace entry 2 must be a page number (a non-negative integer), got "x"',
    ],
    [
      'a negative entry',
      [...good.policy, ...good.frames, '--trace=1,-4'],
      '--trace entry 2 must be a page number (a non-negative integer), got "-4"',
    ],
    [
      'a fractional entry',
      [...good.policy, ...good.frames, '--trace', '1.5'],
      '--trace entry 1 must be a page number (a non-negative integer), got "1.5"',
    ],
    [
      'an entry beyond the safe integers',
      [...good.policy, ...good.frames, '--trace', '9007199254740993'],
      '--trace entry 1 must be a page number (a non-negative integer), got "9007199254740993"',
    ],
    [
      'an empty entry',
      [...good.policy, ...good.frames, '--trace', '1,,3'],
      '--trace entry 2 is empty in "1,,3"',
    ],
    [
      'a trailing comma',
      [...good.policy, ...good.frames, '--trace', '1,2,'],
      '--trace entry 3 is empty in "1,2,"',
    ],
  ])('%s', async (_, args, message) => {
    const { code, out, err } = await run('sim', 'policy', ...args);
    expect(code).toBe(2);
    expect(out).toBe('');
    expect(err).toBe(`faultline sim policy: ${message}\n`);
  });

  test.each([
    ['an unknown option', ['--nope'], /Unknown option '--nope'/],
    ['a positional argument', ['extra'], /Unexpected argument 'extra'/],
    ['an option without its value', ['--frames'], /Option '--frames <value>' argument missing/],
    ['a value that looks like an option', ['--frames', '-1'], /'--frames' argument is ambiguous/],
  ])('%s', async (_, extra, pattern) => {
    const { code, out, err } = await run('sim', 'policy', ...good.policy, ...good.trace, ...extra);
    expect(code).toBe(2);
    expect(out).toBe('');
    expect(err).toMatch(pattern);
    expect(err).toContain('usage: faultline sim policy --policy fifo|lru|opt|clock');
    expect(err.split('\n')).toEqual([expect.any(String), '']);
  });
});

describe('faultline sim', () => {
  test('a missing subcommand is a usage error (exit 2)', async () => {
    const { code, out, err } = await run('sim');
    expect(code).toBe(2);
    expect(out).toBe('');
    expect(err).toMatch(/^faultline sim: missing subcommand\n\nusage: faultline/);
  });

  test('an unknown subcommand is a usage error (exit 2)', async () => {
    const { code, err } = await run('sim', 'tlb');
    expect(code).toBe(2);
    expect(err).toMatch(/^faultline sim: unknown subcommand "tlb"\n\nusage: faultline/);
  });

  test('the usage lists sim policy', async () => {
    const { out } = await run('help');
    expect(out).toContain('sim policy --policy fifo|lru|opt|clock --frames N --trace 1,2,3,... [--json]');
  });
});
