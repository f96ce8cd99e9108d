/**
 * Verdict classification: what the guest's answer, its uncaught exception or
 * a trap of the instance means for the learner. Nothing here runs learner
 * code except reading `name` and `message` of an exception that escaped the
 * prelude's own handlers (that read happens inside the request, under its
 * budget).
 */
import type { QuickJSContext, QuickJSHandle } from 'quickjs-emscripten';
import type { PlainValue } from '../plain.ts';
import { scrubHostPaths } from '../scrub.ts';
import { type FastBounds, isFastString } from './fast-path.ts';
import type { Failure } from './types.ts';

/** The heap grows in 64 KiB steps, so an exhausted heap ends within that distance of the end. */
const HEAP_END_BYTES = 128 * 1024;

/**
 * Whether the guest's heap ever grew to the last `HEAP_END_BYTES` of its
 * memory. A fresh WebAssembly memory is all zeros and emscripten's malloc
 * takes memory from the bottom up, so a written byte there means an
 * allocation reached the end. QuickJS throws `null` when it cannot even
 * allocate its "out of memory" error (a heap filled with small objects), the
 * same value as the learner's own `throw null`; only this tells them apart.
 * (A `throw null` after the heap once filled up counts as out of memory too,
 * which is what happened to that sandbox anyway.) A restored snapshot is
 * zero there too: restoring clears everything above the snapshot's heap.
 */
export function heapReachedEnd(memory: WebAssembly.Memory): boolean {
  const words = new Uint32Array(memory.buffer, memory.buffer.byteLength - HEAP_END_BYTES);
  for (let i = 0; i < words.length; i++) if (words[i] !== 0) return true;
  return false;
}

/** Reads the instance the verdicts are about. */
export interface VerdictSource {
  readonly context: QuickJSContext;
  readonly memory: WebAssembly.Memory;
  readonly memoryBytes: number;
  readonly fast: FastBounds;
}

/** The verdict of an exception the guest described as `{ name, message }`. */
export function verdictForError(source: VerdictSource, name: string, message: string): Failure {
  if (name === 'InternalError' && message === 'stack overflow') return { kind: 'stack-overflow' };
  if (name === 'InternalError' && message === 'out of memory')
    return { kind: 'memory-limit', bytes: source.memoryBytes };
  if (name === 'Thrown' && message === 'null' && heapReachedEnd(source.memory))
    return { kind: 'memory-limit', bytes: source.memoryBytes };
  return { kind: 'error', name: scrubHostPaths(name), message: scrubHostPaths(message) };
}

/** An exception that escaped the prelude's own handlers (out of memory while describing an error, an interrupt). */
export function rawFailure(source: VerdictSource, error: QuickJSHandle): Failure {
  const { context } = source;
  let name = 'Error';
  let message = 'unknown error';
  if (context.typeof(error) === 'object' && context.eq(error, context.null))
    return verdictForError(source, 'Thrown', 'null');
  try {
    const n = context.getProp(error, 'name');
    const m = context.getProp(error, 'message');
    if (context.typeof(n) === 'string') name = context.getString(n);
    if (context.typeof(m) === 'string') message = context.getString(m);
    n.dispose();
    m.dispose();
  } catch {
    // Reading the error failed too; the generic message stands.
  }
  return verdictForError(source, name, message);
}

/**
 * A helper's tagged answer (see the prelude): `v<payload>` a value, `s<string>`
 * a short string on the fast path, `x<message>` a value that cannot leave
 * the sandbox, `e<json>` the learner's code threw.
 */
export function classifyTagged<T>(
  source: VerdictSource,
  tagged: string,
  onValue: (payload: string) => T | Failure,
  onDirect: ((value: PlainValue) => T) | null,
): T | Failure {
  const tag = tagged.charAt(0);
  const rest = tagged.slice(1);
  if (tag === 'v') return onValue(rest);
  if (
    tag === 's' &&
    onDirect !== null &&
    source.fast.maxArgs > 0 &&
    isFastString(rest, source.fast.maxString)
  )
    return onDirect(rest);
  if (tag === 'x') return { kind: 'invalid-value', message: scrubHostPaths(rest) };
  if (tag === 'e') {
    try {
      const parsed: unknown = JSON.parse(rest);
      if (parsed !== null && typeof parsed === 'object') {
        const { name, message } = parsed as { name?: unknown; message?: unknown };
        if (typeof name === 'string' && typeof message === 'string')
          return verdictForError(source, name, message);
      }
    } catch {
      // fall through
    }
  }
  return { kind: 'error', name: 'Error', message: 'the sandbox returned a malformed result' };
}

/**
 * A trap of the WebAssembly instance itself: nothing in it can be trusted
 * any more. With a fixed memory the usual cause is the bridge writing through
 * a failed allocation (the guest kept its heap full), which is a memory
 * verdict; anything else is the engine's failure.
 */
export function trapVerdict(source: VerdictSource, error: unknown): { message: string; verdict: Failure } {
  const text = error instanceof Error ? error.message : String(error);
  const outOfMemory = /out of bounds|OOM|enlarge memory/.test(text);
  const message = scrubHostPaths(
    outOfMemory
      ? `the sandbox ran out of memory (${text}) and cannot be used again`
      : `the engine failed: ${text}`,
  );
  return {
    message,
    verdict: outOfMemory ? { kind: 'memory-limit', bytes: source.memoryBytes } : { kind: 'crashed', message },
  };
}
