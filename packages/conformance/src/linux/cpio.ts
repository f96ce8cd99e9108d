/**
 * The "newc" cpio format (SVR4 without checksums), the one the Linux kernel
 * unpacks as an initramfs (init/initramfs.c; Documentation/driver-api/
 * early-userspace/buffer-format.rst): each entry is a 110-byte ASCII header,
 * the NUL-terminated path name padded to a multiple of 4 bytes (counting the
 * header), then the data padded to a multiple of 4; the archive ends with
 * an entry named TRAILER!!!.
 *
 * Header: "070701" then 13 fields of 8 upper-case hex digits: ino, mode,
 * uid, gid, nlink, mtime, filesize, devmajor, devminor, rdevmajor,
 * rdevminor, namesize (with the NUL), check (0 in newc).
 */

export type CpioEntry =
  | { readonly kind: 'directory'; readonly path: string; readonly mode?: number }
  | {
      readonly kind: 'file';
      readonly path: string;
      readonly data: Uint8Array | string;
      readonly mode?: number;
    }
  | {
      readonly kind: 'chardev';
      readonly path: string;
      readonly major: number;
      readonly minor: number;
      readonly mode?: number;
    };

/** File-type bits of st_mode (include/uapi/linux/stat.h). */
export const S_IFDIR = 0o040000;
export const S_IFREG = 0o100000;
export const S_IFCHR = 0o020000;
const S_IFMT = 0o170000;

export const NEWC_MAGIC = '070701';
export const HEADER_SIZE = 110;
export const TRAILER = 'TRAILER!!!';

interface Header {
  readonly ino: number;
  readonly mode: number;
  readonly nlink: number;
  readonly filesize: number;
  readonly rdevmajor: number;
  readonly rdevminor: number;
  readonly name: string;
}

const pad4 = (n: number): number => (4 - (n % 4)) % 4;

function hex8(value: number, field: string): string {
  if (!Number.isInteger(value) || value < 0 || value > 0xffff_ffff) {
    throw new RangeError(`cpio: ${field} ${value} does not fit in 32 bits`);
  }
  return value.toString(16).toUpperCase().padStart(8, '0');
}

function headerBytes(h: Header): Uint8Array {
  const name = new TextEncoder().encode(h.name);
  const namesize = name.length + 1;
  const fields = [
    hex8(h.ino, 'ino'),
    hex8(h.mode, 'mode'),
    hex8(0, 'uid'),
    hex8(0, 'gid'),
    hex8(h.nlink, 'nlink'),
    hex8(0, 'mtime'),
    hex8(h.filesize, 'filesize'),
    hex8(0, 'devmajor'),
    hex8(0, 'devminor'),
    hex8(h.rdevmajor, 'rdevmajor'),
    hex8(h.rdevminor, 'rdevminor'),
    hex8(namesize, 'namesize'),
    hex8(0, 'check'),
  ];
  const text = new TextEncoder().encode(NEWC_MAGIC + fields.join(''));
  const out = new Uint8Array(HEADER_SIZE + namesize + pad4(HEADER_SIZE + namesize));
  out.set(text, 0);
  out.set(name, HEADER_SIZE); // the NUL and the padding are the array's zeros
  return out;
}

function checkPath(path: string): string {
  const clean = path.replace(/^\/+/, '');
  if (clean === '' || clean.split('/').some((part) => part === '' || part === '.' || part === '..')) {
    throw new Error(`cpio: bad path ${JSON.stringify(path)}`);
  }
  return clean;
}

/** An uncompressed newc archive of these entries (in this order: parents first), owned by root, mtime 0. */
export function writeCpio(entries: readonly CpioEntry[]): Uint8Array {
  const chunks: Uint8Array[] = [];
  let ino = 1;
  for (const entry of entries) {
    const name = checkPath(entry.path);
    const permissions = (entry.mode ?? (entry.kind === 'file' ? 0o644 : 0o755)) & 0o7777;
    if (entry.kind === 'directory') {
      chunks.push(
        headerBytes({
          ino: ino++,
          mode: S_IFDIR | permissions,
          nlink: 2,
          filesize: 0,
          rdevmajor: 0,
          rdevminor: 0,
          name,
        }),
      );
    } else if (entry.kind === 'chardev') {
      chunks.push(
        headerBytes({
          ino: ino++,
          mode: S_IFCHR | permissions,
          nlink: 1,
          filesize: 0,
          rdevmajor: entry.major,
          rdevminor: entry.minor,
          name,
        }),
      );
    } else {
      const data = typeof entry.data === 'string' ? new TextEncoder().encode(entry.data) : entry.data;
      chunks.push(
        headerBytes({
          ino: ino++,
          mode: S_IFREG | permissions,
          nlink: 1,
          filesize: data.length,
          rdevmajor: 0,
          rdevminor: 0,
          name,
        }),
      );
      chunks.push(data, new Uint8Array(pad4(data.length)));
    }
  }
  chunks.push(
    headerBytes({ ino: 0, mode: 0, nlink: 1, filesize: 0, rdevmajor: 0, rdevminor: 0, name: TRAILER }),
  );
  const total = chunks.reduce((sum, c) => sum + c.length, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** One entry read back by {@link parseCpio}. */
export interface ParsedCpioEntry {
  readonly path: string;
  readonly ino: number;
  readonly mode: number;
  readonly nlink: number;
  readonly rdevmajor: number;
  readonly rdevminor: number;
  readonly data: Uint8Array;
  readonly kind: 'directory' | 'file' | 'chardev' | 'other';
}

/** Reads a newc archive up to its trailer (strictly: magic, padding and sizes are checked). */
export function parseCpio(bytes: Uint8Array): ParsedCpioEntry[] {
  const decoder = new TextDecoder();
  const entries: ParsedCpioEntry[] = [];
  let at = 0;
  for (;;) {
    if (at + HEADER_SIZE > bytes.length) throw new Error(`cpio: truncated header at ${at}`);
    const header = decoder.decode(bytes.subarray(at, at + HEADER_SIZE));
    if (!header.startsWith(NEWC_MAGIC)) throw new Error(`cpio: bad magic at ${at}`);
    const field = (i: number): number => {
      const text = header.slice(6 + 8 * i, 14 + 8 * i);
      if (!/^[0-9A-Fa-f]{8}$/.test(text)) throw new Error(`cpio: bad field ${i} at ${at}`);
      return Number.parseInt(text, 16);
    };
    const namesize = field(11);
    const filesize = field(6);
    const nameEnd = at + HEADER_SIZE + namesize;
    if (bytes[nameEnd - 1] !== 0) throw new Error(`cpio: name at ${at} is not NUL-terminated`);
    const path = decoder.decode(bytes.subarray(at + HEADER_SIZE, nameEnd - 1));
    const dataStart = nameEnd + pad4(HEADER_SIZE + namesize);
    const dataEnd = dataStart + filesize;
    if (dataEnd > bytes.length) throw new Error(`cpio: truncated data of ${path}`);
    if (path === TRAILER) return entries;
    const mode = field(1);
    const type = mode & S_IFMT;
    entries.push({
      path,
      ino: field(0),
      mode,
      nlink: field(4),
      rdevmajor: field(9),
      rdevminor: field(10),
      data: bytes.slice(dataStart, dataEnd),
      kind:
        type === S_IFDIR ? 'directory' : type === S_IFREG ? 'file' : type === S_IFCHR ? 'chardev' : 'other',
    });
    at = dataEnd + pad4(filesize);
  }
}
