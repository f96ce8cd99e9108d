/**
 * An exercise folder from a ZIP archive, unpacked in memory and never onto
 * disk as it came: the central directory is read first (PKWARE APPNOTE
 * 4.3.12) so that links, encrypted entries and too many or too large files
 * are refused before anything is inflated; then fflate inflates the rest,
 * and every file must be UTF-8 text within the limits whatever its header
 * claimed. Paths are checked by the exercise format's own rules afterwards
 * (`exerciseContent`), so no entry can name a place outside its folder.
 */
import { EXERCISE_CONTENT_LIMITS } from '@faultline/grader/exercise';
import { unzipSync } from 'fflate';

export type Problem = { readonly path: string; readonly message: string };
export type UnzipResult =
  | { readonly kind: 'ok'; readonly entries: readonly (readonly [string, string])[] }
  | { readonly kind: 'err'; readonly problems: readonly Problem[] };

const EOCD = 0x06054b50;
const ZIP64_LOCATOR = 0x07064b50;
const CENTRAL = 0x02014b50;
const S_IFMT = 0o170000;
const S_IFLNK = 0o120000;
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;

interface CentralEntry {
  readonly name: string;
  readonly mode: number | null;
  readonly encrypted: boolean;
  readonly declaredSize: number;
}

function centralDirectory(bytes: Uint8Array): CentralEntry[] | string {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // The end record is in the last 22 + 65535 (comment) bytes.
  let eocd = -1;
  for (let i = bytes.length - 22; i >= Math.max(0, bytes.length - 22 - 0xffff); i--) {
    if (view.getUint32(i, true) === EOCD) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) return 'not a ZIP archive (no end of central directory)';
  const onThisDisk = view.getUint16(eocd + 8, true);
  const count = view.getUint16(eocd + 10, true);
  let at = view.getUint32(eocd + 16, true);
  // A ZIP64 locator sits just before the end record; unzippers that honour
  // it would read other counts than the ones checked here.
  const zip64 = eocd >= 20 && view.getUint32(eocd - 20, true) === ZIP64_LOCATOR;
  if (zip64 || count === 0xffff || at === 0xffffffff)
    return 'ZIP64 archives are not accepted (an exercise is far smaller)';
  if (onThisDisk !== count || view.getUint16(eocd + 4, true) !== 0)
    return 'split or inconsistent ZIP archives are not accepted';
  const entries: CentralEntry[] = [];
  const decoder = new TextDecoder('utf-8', { fatal: false });
  for (let n = 0; n < count; n++) {
    if (at + 46 > bytes.length || view.getUint32(at, true) !== CENTRAL) return 'the ZIP archive is damaged';
    const madeBy = view.getUint16(at + 4, true) >> 8;
    const flags = view.getUint16(at + 8, true);
    const declaredSize = view.getUint32(at + 24, true);
    const nameLength = view.getUint16(at + 28, true);
    const extraLength = view.getUint16(at + 30, true);
    const commentLength = view.getUint16(at + 32, true);
    const external = view.getUint32(at + 38, true);
    const name = decoder.decode(bytes.subarray(at + 46, at + 46 + nameLength));
    // Host 3 is Unix: the high half of the external attributes is st_mode.
    entries.push({
      name,
      mode: madeBy === 3 ? external >>> 16 : null,
      encrypted: (flags & 1) !== 0,
      declaredSize,
    });
    at += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

export function unzipExercise(bytes: Uint8Array): UnzipResult {
  const limits = EXERCISE_CONTENT_LIMITS;
  const directory = centralDirectory(bytes);
  if (typeof directory === 'string') return { kind: 'err', problems: [{ path: '.', message: directory }] };
  const problems: Problem[] = [];
  const files = directory.filter((e) => !e.name.endsWith('/'));
  if (files.length > limits.files)
    problems.push({ path: '.', message: `${files.length} files; an exercise may hold ${limits.files}` });
  let declaredTotal = 0;
  for (const e of directory) {
    const type = e.mode === null ? null : e.mode & S_IFMT;
    if (type === S_IFLNK) problems.push({ path: e.name, message: 'links are not allowed in an exercise' });
    else if (type !== null && type !== 0 && type !== S_IFREG && type !== S_IFDIR)
      problems.push({ path: e.name, message: 'only plain files and folders are allowed' });
    if (e.encrypted) problems.push({ path: e.name, message: 'encrypted entries are not accepted' });
    if (e.declaredSize > limits.bytesPerFile)
      problems.push({
        path: e.name,
        message: `${e.declaredSize} bytes; a file may hold ${limits.bytesPerFile}`,
      });
    declaredTotal += e.declaredSize;
  }
  if (declaredTotal > limits.bytesTotal)
    problems.push({
      path: '.',
      message: `${declaredTotal} bytes in all; an exercise may hold ${limits.bytesTotal}`,
    });
  if (problems.length > 0) return { kind: 'err', problems };

  // The unzipper reads the archive again: it is held to the same limits as it
  // goes, so an archive whose records disagree with each other cannot get
  // more past it than the central directory showed.
  let inflated: Record<string, Uint8Array>;
  let seen = 0;
  try {
    inflated = unzipSync(bytes, {
      filter: (f) => {
        if (f.name.endsWith('/')) return false;
        seen += 1;
        if (seen > files.length || f.originalSize > limits.bytesPerFile)
          throw new Error('its records disagree with its central directory');
        return true;
      },
    });
  } catch (error) {
    return {
      kind: 'err',
      problems: [{ path: '.', message: `the archive cannot be unpacked (${(error as Error).message})` }],
    };
  }
  const text = new TextDecoder('utf-8', { fatal: true });
  const entries: [string, string][] = [];
  let total = 0;
  for (const [name, data] of Object.entries(inflated)) {
    total += data.byteLength;
    if (data.byteLength > limits.bytesPerFile || total > limits.bytesTotal) {
      problems.push({ path: name, message: 'larger than its header said; the archive is refused' });
      break;
    }
    try {
      entries.push([name, text.decode(data)]);
    } catch {
      problems.push({ path: name, message: 'not UTF-8 text; an exercise holds only text files' });
    }
  }
  if (problems.length > 0) return { kind: 'err', problems };
  return { kind: 'ok', entries: withoutCommonFolder(entries) };
}

/** An archive of the folder itself (`page-fault-handler/exercise.json`, …) counts as its contents. */
function withoutCommonFolder(entries: [string, string][]): [string, string][] {
  const first = entries[0]?.[0].split('/')[0];
  if (first === undefined || !entries.every(([p]) => p.startsWith(`${first}/`))) return entries;
  return entries.map(([p, t]) => [p.slice(first.length + 1), t]);
}
