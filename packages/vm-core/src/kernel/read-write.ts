/**
 * read / write / readv / writev on a pipe or a file, with user buffers
 * that may be partly unmapped: every byte goes through the user-copy
 * routines, so a buffer that faults part-way ends the call where the
 * copy stopped — a file read or write returns the count moved so far, a
 * pipe keeps what it could not hand over whole (pipe.ts).
 *
 * Follows fs/read_write.c (vfs_read's access_ok, do_iter_read),
 * mm/filemap.c (filemap_read: `already_read ? already_read : -EFAULT`;
 * generic_perform_write: a short copy keeps what was copied and the next
 * chunk's fault_in_iov_iter_readable gives -EFAULT) and mm/shmem.c
 * (shmem_file_read_iter reads a hole as the zero page), Linux 6.1.
 */
import type { ErrnoName } from './abi.ts';
import { pageCachePage } from './filemap.ts';
import { PageFlag } from './frames.ts';
import { type IoOutcome, type IoVec, IovIter, ioOutcome } from './iov-iter.ts';
import { KernelError } from './kernel.ts';
import { pipeOf, pipeRead, pipeWrite } from './pipe.ts';
import { type KernelState, PAGE, userTask } from './state.ts';
import type { DiskFile } from './types.ts';

/** What a read or write is on: a pipe, or a file at an offset (pread / pwrite). */
export type IoTarget = { readonly pipe: string } | { readonly file: string; readonly offset: number };

/** The largest file a write may make (as createFile's limit). */
const MAX_FILE_BYTES = 1 << 26;

/** read(2) / readv(2) (pread / preadv for a file) by `pid` into its buffers. */
export function readv(s: KernelState, pid: number, from: IoTarget, iov: readonly IoVec[]): IoOutcome {
  return withBuffers(s, pid, iov, (iter) => {
    if ('pipe' in from) return pipeRead(pipeOf(s, from.pipe), iter);
    return fileRead(s, diskFile(s, from.file), from.offset, iter);
  });
}

/** write(2) / writev(2) (pwrite / pwritev for a file) by `pid` from its buffers. */
export function writev(s: KernelState, pid: number, to: IoTarget, iov: readonly IoVec[]): IoOutcome {
  return withBuffers(s, pid, iov, (iter) => {
    if ('pipe' in to) return pipeWrite(pipeOf(s, to.pipe), iter);
    return fileWrite(s, diskFile(s, to.file), to.offset, iter);
  });
}

function withBuffers(
  s: KernelState,
  pid: number,
  iov: readonly IoVec[],
  body: (iter: IovIter) => { moved: number; error: ErrnoName | null },
): IoOutcome {
  userTask(s, pid);
  const iter = IovIter.import(s, pid, iov);
  if (iter === null) return { kind: 'error', errno: 'EFAULT', faults: [] };
  const { moved, error } = body(iter);
  return ioOutcome(iter, moved, error);
}

function diskFile(s: KernelState, name: string): DiskFile {
  const file = s.files.get(name);
  if (file?.kind !== 'file') throw new KernelError(`no file "${name}"`);
  return file;
}

/** filemap_read / shmem_file_read_iter from `offset`: stops at EOF, or at the first byte the buffer refuses. */
function fileRead(
  s: KernelState,
  file: DiskFile,
  offset: number,
  to: IovIter,
): { moved: number; error: ErrnoName | null } {
  if (!Number.isSafeInteger(offset) || offset < 0) return { moved: 0, error: 'EINVAL' };
  let moved = 0;
  for (let pos = offset; to.count > 0 && pos < file.size; ) {
    const index = Math.floor(pos / PAGE);
    const within = pos % PAGE;
    const nr = Math.min(PAGE - within, file.size - pos, to.count);
    let bytes: Uint8Array;
    if (s.fileSystem === 'tmpfs' && !file.cache.has(index)) {
      bytes = new Uint8Array(nr); // a hole: shmem copies from ZERO_PAGE, caching nothing
    } else {
      const pfn = pageCachePage(s, null, file, index);
      if (pfn < 0) return { moved, error: 'ENOMEM' };
      bytes = s.memory.bytes.subarray(pfn * PAGE + within, pfn * PAGE + within + nr);
    }
    const copied = to.copyTo(bytes);
    moved += copied;
    pos += copied;
    if (copied < nr) return { moved, error: 'EFAULT' };
  }
  return { moved, error: null };
}

/**
 * generic_perform_write from `offset`, a page-cache page at a time: the
 * bytes land in the cached page, which becomes dirty; writing past the
 * end makes the file longer. A chunk copied short keeps what it copied;
 * the next finds nothing to copy, and the call returns the count so far
 * (-EFAULT if that is none).
 */
function fileWrite(
  s: KernelState,
  file: DiskFile,
  offset: number,
  from: IovIter,
): { moved: number; error: ErrnoName | null } {
  if (!Number.isSafeInteger(offset) || offset < 0) return { moved: 0, error: 'EINVAL' };
  if (offset + from.count > MAX_FILE_BYTES) return { moved: 0, error: 'EFBIG' };
  let moved = 0;
  for (let pos = offset; from.count > 0; ) {
    const index = Math.floor(pos / PAGE);
    const within = pos % PAGE;
    const pfn = pageCachePage(s, null, file, index);
    if (pfn < 0) return { moved, error: 'ENOMEM' };
    // Held while copying in: the copy may fault, and reclaim must not take the page meanwhile.
    s.frames.incRefcount(pfn);
    const bytes = from.copyFrom(Math.min(PAGE - within, from.count));
    s.frames.decRefcount(pfn);
    if (bytes.length === 0) return { moved, error: 'EFAULT' };
    s.memory.bytes.set(bytes, pfn * PAGE + within);
    s.frames.set(pfn, PageFlag.Dirty);
    moved += bytes.length;
    pos += bytes.length;
    if (pos > file.size) {
      const data = new Uint8Array(pos);
      data.set(file.data.subarray(0, file.size));
      file.data = data;
      file.size = pos;
    }
  }
  return { moved, error: null };
}
