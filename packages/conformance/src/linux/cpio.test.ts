import { spawnSync } from 'node:child_process';
import { describe, expect, test } from 'vitest';
import { HEADER_SIZE, parseCpio, S_IFCHR, S_IFDIR, S_IFREG, writeCpio } from './cpio.ts';
import { findOnPath } from './toolchain.ts';

const ascii = (bytes: Uint8Array, from: number, to: number) =>
  new TextDecoder().decode(bytes.subarray(from, to));

describe('writeCpio: the newc format, byte for byte', () => {
  test('one file: header fields, NUL-terminated name padded to 4, data padded to 4, then the trailer', () => {
    const bytes = writeCpio([{ kind: 'file', path: 'a', data: 'hi', mode: 0o644 }]);
    const header =
      '070701' +
      '00000001' + // ino
      '000081A4' + // mode: S_IFREG | 0644
      '00000000' + // uid
      '00000000' + // gid
      '00000001' + // nlink
      '00000000' + // mtime
      '00000002' + // filesize
      '00000000' + // devmajor
      '00000000' + // devminor
      '00000000' + // rdevmajor
      '00000000' + // rdevminor
      '00000002' + // namesize, with the NUL
      '00000000'; // check
    expect(ascii(bytes, 0, HEADER_SIZE)).toBe(header);
    // 110 + 2 = 112 is already a multiple of 4: no name padding.
    expect([...bytes.subarray(110, 112)]).toEqual([0x61, 0]);
    expect(ascii(bytes, 112, 114)).toBe('hi');
    expect([...bytes.subarray(114, 116)]).toEqual([0, 0]);
    // The trailer: 110 + "TRAILER!!!\0" (11) = 121, padded to 124.
    expect(ascii(bytes, 116, 122)).toBe('070701');
    expect(ascii(bytes, 116 + 6 + 8 * 11, 116 + 6 + 8 * 12)).toBe('0000000B');
    expect(ascii(bytes, 116 + 110, 116 + 120)).toBe('TRAILER!!!');
    expect([...bytes.subarray(116 + 120, 116 + 124)]).toEqual([0, 0, 0, 0]);
    expect(bytes.length).toBe(116 + 124);
  });

  test('every header starts on a 4-byte boundary, whatever the name and data lengths', () => {
    const entries = [1, 2, 3, 4, 5].map((n) => ({
      kind: 'file' as const,
      path: 'x'.repeat(n),
      data: new Uint8Array(n).fill(n),
    }));
    const bytes = writeCpio(entries);
    expect(bytes.length % 4).toBe(0);
    const parsed = parseCpio(bytes);
    expect(parsed.map((e) => e.path)).toEqual(['x', 'xx', 'xxx', 'xxxx', 'xxxxx']);
    parsed.forEach((e, i) => {
      expect([...e.data]).toEqual(new Array(i + 1).fill(i + 1));
    });
  });

  test('directories, regular files and character devices round-trip with their modes and device numbers', () => {
    const probe = new Uint8Array([0x7f, 0x45, 0x4c, 0x46, 1, 2, 3]);
    const bytes = writeCpio([
      { kind: 'directory', path: 'dev' },
      { kind: 'chardev', path: 'dev/ttyS1', major: 4, minor: 65, mode: 0o660 },
      { kind: 'directory', path: 'tmp', mode: 0o1777 },
      { kind: 'file', path: '/init', data: probe, mode: 0o755 },
    ]);
    const parsed = parseCpio(bytes);
    expect(parsed.map((e) => [e.path, e.kind, e.mode.toString(8)])).toEqual([
      ['dev', 'directory', (S_IFDIR | 0o755).toString(8)],
      ['dev/ttyS1', 'chardev', (S_IFCHR | 0o660).toString(8)],
      ['tmp', 'directory', (S_IFDIR | 0o1777).toString(8)],
      ['init', 'file', (S_IFREG | 0o755).toString(8)],
    ]);
    expect(parsed[1]).toMatchObject({ rdevmajor: 4, rdevminor: 65 });
    expect([...parsed[3]!.data]).toEqual([...probe]);
    expect(new Set(parsed.map((e) => e.ino)).size).toBe(4);
  });

  test('bad paths are refused', () => {
    expect(() => writeCpio([{ kind: 'directory', path: '../etc' }])).toThrow(/bad path/);
    expect(() => writeCpio([{ kind: 'directory', path: '' }])).toThrow(/bad path/);
  });

  test('a truncated archive is an error, not a short listing', () => {
    const bytes = writeCpio([{ kind: 'file', path: 'a', data: 'hello' }]);
    expect(() => parseCpio(bytes.subarray(0, 100))).toThrow(/truncated/);
  });

  const cpio = findOnPath('cpio', process.env.PATH);
  test.skipIf(!cpio)('GNU cpio lists the archive the same way (when cpio is installed)', () => {
    const bytes = writeCpio([
      { kind: 'directory', path: 'cases' },
      { kind: 'file', path: 'cases/000-a.txt', data: 'case a\n' },
      { kind: 'chardev', path: 'console', major: 5, minor: 1, mode: 0o600 },
    ]);
    const listing = spawnSync(cpio!, ['-t', '--quiet'], { input: bytes, encoding: 'utf8' });
    expect(listing.status).toBe(0);
    expect(listing.stdout.trim().split('\n')).toEqual(['cases', 'cases/000-a.txt', 'console']);
  });
});
