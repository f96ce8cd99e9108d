import { describe, expect, test } from 'vitest';
import { brokenPreconditions } from './preconditions.ts';

describe('the Linux the cases assume', () => {
  const boot = {
    kernel: '6.1.0-57-amd64',
    machine: 'x86_64',
    page_size: 4096,
    thp: 'always madvise [never]',
    mmap_min_addr: 65536,
    randomize_va_space: 0,
    files_fs: 'tmpfs',
  };

  test('a boot like the recorded one breaks nothing', () => {
    expect(brokenPreconditions(boot, 'x86-64')).toEqual([]);
  });

  test('huge pages on, randomisation on or another mmap_min_addr break the cases, and say how', () => {
    expect(
      brokenPreconditions(
        {
          ...boot,
          thp: '[always] madvise never',
          randomize_va_space: 2,
          mmap_min_addr: 4096,
        },
        'x86-64',
      ),
    ).toEqual([
      'Linux\'s thp is "[always] madvise never", the cases assume [never]',
      "Linux's randomize_va_space is 2, the cases assume 0 (norandmaps)",
      "Linux's mmap_min_addr is 4096, the cases assume 65536",
    ]);
  });

  test('arm64 assumes its own machine and mmap_min_addr (4096)', () => {
    const arm = { ...boot, kernel: '6.1.0-57-arm64', machine: 'aarch64', mmap_min_addr: 4096 };
    expect(brokenPreconditions(arm, 'arm64')).toEqual([]);
    expect(brokenPreconditions(boot, 'arm64')).toEqual([
      'Linux\'s machine is "x86_64", the cases assume aarch64',
      "Linux's mmap_min_addr is 65536, the cases assume 4096",
    ]);
  });
});
