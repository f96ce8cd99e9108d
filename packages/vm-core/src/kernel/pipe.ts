/**
 * Pipes: a ring of up to 16 page-sized buffers between a writer and a
 * reader, opened O_NONBLOCK (nothing sleeps here: an empty pipe's read and
 * a full pipe's write say EAGAIN).
 *
 * What a learner sees at the user-copy seam (fs/pipe.c, Linux 6.1):
 * - pipe_read copies a buffer out with copy_page_to_iter and consumes only
 *   what was copied whole: when the user buffer faults part-way, the bytes
 *   before the fault are in the user's memory, the call returns -EFAULT
 *   (or the count of earlier buffers), and the data is still in the pipe
 *   for the next read.
 * - pipe_write merges a write's sub-page remainder into the last buffer,
 *   then fills fresh pages; a page whose copy_page_from_iter came up short
 *   is not added (its slot stays empty), so a faulting write leaves
 *   nothing of that page in the pipe — -EFAULT, or the pages before it.
 */
import type { ErrnoName } from './abi.ts';
import type { IovIter } from './iov-iter.ts';
import { KernelError } from './kernel.ts';
import { type KernelState, PAGE } from './state.ts';

/** PIPE_DEF_BUFFERS: a pipe's ring holds 16 pages (64 KiB). */
const PIPE_BUFFERS = 16;

/** struct pipe_buffer: a page, and the part of it that holds unread data. */
interface PipeBuffer {
  readonly page: Uint8Array;
  offset: number;
  len: number;
}

/** A pipe (its two ends open in whoever uses it, as an inherited pair of descriptors would be). */
export interface Pipe {
  readonly name: string;
  /** The ring, oldest first (tail … head). */
  readonly buffers: PipeBuffer[];
}

export function createPipe(s: KernelState, name: string): Pipe {
  if (typeof name !== 'string' || name.length === 0) throw new KernelError('a pipe needs a name');
  if (s.pipes.has(name)) throw new KernelError(`pipe "${name}" already exists`);
  const pipe: Pipe = { name, buffers: [] };
  s.pipes.set(name, pipe);
  return pipe;
}

export function pipeOf(s: KernelState, name: string): Pipe {
  const pipe = s.pipes.get(name);
  if (pipe === undefined) throw new KernelError(`no pipe "${name}"`);
  return pipe;
}

/** Bytes waiting in the pipe. */
export function pipeBytes(pipe: Pipe): number {
  return pipe.buffers.reduce((n, b) => n + b.len, 0);
}

/** pipe_read(): the bytes read, or an errno when none were. */
export function pipeRead(pipe: Pipe, to: IovIter): { moved: number; error: ErrnoName | null } {
  let moved = 0;
  while (to.count > 0) {
    const buf = pipe.buffers[0];
    if (buf === undefined) return { moved, error: moved > 0 ? null : 'EAGAIN' };
    const chars = Math.min(buf.len, to.count);
    const written = to.copyTo(buf.page.subarray(buf.offset, buf.offset + chars));
    // A short copy consumes nothing of this buffer: its bytes stay for the next read.
    if (written < chars) return { moved, error: 'EFAULT' };
    moved += chars;
    buf.offset += chars;
    buf.len -= chars;
    if (buf.len === 0) pipe.buffers.shift();
  }
  return { moved, error: null };
}

/** pipe_write(): the bytes written, or an errno when none were. */
export function pipeWrite(pipe: Pipe, from: IovIter): { moved: number; error: ErrnoName | null } {
  let moved = 0;
  // Merge the sub-page remainder into the last buffer if it fits there.
  const chars = from.count % PAGE;
  const last = pipe.buffers.at(-1);
  if (chars > 0 && last !== undefined && last.offset + last.len + chars <= PAGE) {
    const bytes = from.copyFrom(chars);
    if (bytes.length < chars) return { moved: 0, error: 'EFAULT' };
    last.page.set(bytes, last.offset + last.len);
    last.len += chars;
    moved = chars;
    if (from.count === 0) return { moved, error: null };
  }
  while (from.count > 0) {
    if (pipe.buffers.length === PIPE_BUFFERS) return { moved, error: moved > 0 ? null : 'EAGAIN' };
    // The slot is taken before the copy; a short copy leaves it empty.
    const buf: PipeBuffer = { page: new Uint8Array(PAGE), offset: 0, len: 0 };
    pipe.buffers.push(buf);
    const want = Math.min(PAGE, from.count);
    const bytes = from.copyFrom(want);
    if (bytes.length < want) return { moved, error: moved > 0 ? null : 'EFAULT' };
    buf.page.set(bytes);
    buf.len = bytes.length;
    moved += bytes.length;
  }
  return { moved, error: null };
}
