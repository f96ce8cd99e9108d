import { type Zippable, zipSync } from 'fflate';
import { describe, expect, test } from 'vitest';
import { unzipExercise } from './unzip.ts';

const text = (s: string) => new TextEncoder().encode(s);

describe('unzipExercise', () => {
  test('a folder archived with its name unpacks to its contents', () => {
    const zip = zipSync({
      demo: { 'exercise.json': text('{}'), tests: { 'visible.ts': text('export default [];') } },
    });
    expect(unzipExercise(zip)).toEqual({
      kind: 'ok',
      entries: [
        ['exercise.json', '{}'],
        ['tests/visible.ts', 'export default [];'],
      ],
    });
  });

  test('files at the top stay where they are', () => {
    const zip = zipSync({ 'exercise.json': text('{}'), 'README.md': text('# x') });
    const result = unzipExercise(zip);
    expect(result.kind === 'ok' && result.entries.map(([p]) => p).sort()).toEqual([
      'README.md',
      'exercise.json',
    ]);
  });

  test('a symbolic link is refused before anything is inflated', () => {
    const files: Zippable = {
      'exercise.json': text('{}'),
      'solution.ts': [text('/etc/passwd'), { os: 3, attrs: (0o120777 << 16) >>> 0 }],
    };
    expect(unzipExercise(zipSync(files))).toEqual({
      kind: 'err',
      problems: [{ path: 'solution.ts', message: 'links are not allowed in an exercise' }],
    });
  });

  test('too many files, and a file too large, are named', () => {
    const many: Zippable = {};
    for (let i = 0; i < 201; i++) many[`f${i}.ts`] = text('');
    const r1 = unzipExercise(zipSync(many));
    expect(r1.kind === 'err' && r1.problems[0]?.message).toBe('201 files; an exercise may hold 200');
    // A megabyte and a bit of zeros compresses to almost nothing: the declared size is what counts.
    const r2 = unzipExercise(zipSync({ 'big.ts': new Uint8Array(1024 * 1024 + 1) }));
    expect(r2.kind === 'err' && r2.problems).toEqual([
      { path: 'big.ts', message: '1048577 bytes; a file may hold 1048576' },
    ]);
  });

  test('a file that is not UTF-8 text is refused', () => {
    const r = unzipExercise(zipSync({ 'image.png': new Uint8Array([0x89, 0x50, 0xff, 0xfe]) }));
    expect(r).toEqual({
      kind: 'err',
      problems: [{ path: 'image.png', message: 'not UTF-8 text; an exercise holds only text files' }],
    });
  });

  test('something that is not a ZIP says so', () => {
    expect(unzipExercise(text('hello, I am a tarball'))).toEqual({
      kind: 'err',
      problems: [{ path: '.', message: 'not a ZIP archive (no end of central directory)' }],
    });
  });

  test('a path that climbs out is passed on for the format to refuse (never written anywhere here)', () => {
    const r = unzipExercise(zipSync({ '../evil.ts': text('x'), 'exercise.json': text('{}') }));
    expect(r.kind === 'ok' && r.entries.map(([p]) => p)).toContain('../evil.ts');
  });
});

describe('archives whose records disagree', () => {
  test('a ZIP64 locator, or counts that differ between the end record’s fields, are refused before unzipping', () => {
    const zip = zipSync({ 'exercise.json': text('{}'), 'README.md': text('# x') });
    const view = new DataView(zip.buffer);
    const eocd = zip.length - 22;
    const split = new Uint8Array(zip);
    new DataView(split.buffer).setUint16(eocd + 10, 0, true);
    expect(unzipExercise(split)).toEqual({
      kind: 'err',
      problems: [{ path: '.', message: 'split or inconsistent ZIP archives are not accepted' }],
    });
    const withLocator = new Uint8Array(zip.length + 20);
    withLocator.set(zip.subarray(0, eocd));
    new DataView(withLocator.buffer).setUint32(eocd, 0x07064b50, true);
    withLocator.set(zip.subarray(eocd), eocd + 20);
    expect(view.getUint32(eocd, true)).toBe(0x06054b50);
    expect(unzipExercise(withLocator)).toEqual({
      kind: 'err',
      problems: [{ path: '.', message: 'ZIP64 archives are not accepted (an exercise is far smaller)' }],
    });
  });
});
