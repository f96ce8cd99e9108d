/**
 * The fast path: primitive arguments and results cross the boundary as
 * QuickJS values instead of encoded payloads. The host reads a guest value
 * only after `context.typeof` says it is a primitive, so no `valueOf`,
 * `toString`, getter or Proxy trap can run while it is read.
 */
import type { QuickJSContext, QuickJSHandle } from 'quickjs-emscripten';
import type { PlainLimits, PlainValue } from '../plain.ts';

/** The fast path passes at most this many primitive arguments as QuickJS values. */
const FAST_MAX_ARGS = 8;
/** …and strings up to this length (UTF-16 code units); longer ones take the encoded path. */
const FAST_MAX_STRING = 256;
/**
 * Strings cross the bridge as NUL-terminated UTF-8: a NUL would cut them short
 * and a lone surrogate would be replaced. Strings with either (or any
 * surrogate, to keep the check simple) take the encoded path, where JSON
 * escapes them.
 */
const NOT_FAST_CHARS = /[\0\uD800-\uDFFF]/;

export const isFastString = (text: string, maxLength: number): boolean =>
  text.length <= maxLength && !NOT_FAST_CHARS.test(text);

export interface FastBounds {
  /** 0 turns the fast path off. */
  readonly maxArgs: number;
  readonly maxString: number;
}

/**
 * Bounds of the fast path, chosen so that any argument list or result it
 * admits is also within every cap of the encoded path (depth, values, string
 * length, payload length); `maxArgs === 0` turns it off.
 */
export function fastBounds(values: PlainLimits): FastBounds {
  const maxString = Math.min(FAST_MAX_STRING, values.maxStringLength);
  // An encoded primitive is at most 6 characters per code unit + 2 (a string)
  // or a number plus its entry in the specials list; 32 covers the latter.
  const worstPayload = 16 + FAST_MAX_ARGS * (6 * maxString + 32);
  const ok =
    values.maxDepth >= 1 && values.maxNodes > FAST_MAX_ARGS && values.maxPayloadLength >= worstPayload;
  return { maxArgs: ok ? FAST_MAX_ARGS : 0, maxString };
}

/** A marker for a QuickJS value that is not a fast-path primitive. */
export const NOT_FAST = Symbol('not fast');

/**
 * Reads a guest value that the fast path admits: its QuickJS type is checked
 * first, so only a primitive is ever read (no valueOf, toString or getter
 * can run). Anything else is NOT_FAST.
 */
export function readFast(
  context: QuickJSContext,
  fast: FastBounds,
  handle: QuickJSHandle,
): PlainValue | typeof NOT_FAST {
  switch (context.typeof(handle)) {
    case 'number': {
      const n = context.getNumber(handle);
      return n === 0 ? 0 : n; // -0 becomes 0, as on the encoded path
    }
    case 'boolean':
      return context.eq(handle, context.true);
    case 'undefined':
      return null;
    case 'object':
      return context.eq(handle, context.null) ? null : NOT_FAST;
    case 'string': {
      // The prelude sends only strings without NUL or surrogates (the UTF-8
      // bridge cannot carry them); the caps are checked again here.
      const text = context.getString(handle);
      return isFastString(text, fast.maxString) ? text : NOT_FAST;
    }
    default:
      return NOT_FAST;
  }
}

/** A host argument the fast path passes as a QuickJS value (undefined becomes null, as when encoded). */
export function isFastArgument(fast: FastBounds, arg: unknown): boolean {
  const type = typeof arg;
  return (
    type === 'number' ||
    type === 'boolean' ||
    arg === null ||
    arg === undefined ||
    (type === 'string' && isFastString(arg as string, fast.maxString))
  );
}

/** The QuickJS value of a fast-path argument (see `isFastArgument`). */
export function fastHandle(context: QuickJSContext, arg: unknown): QuickJSHandle {
  switch (typeof arg) {
    case 'number':
      return context.newNumber(arg === 0 ? 0 : arg);
    case 'boolean':
      return arg ? context.true : context.false;
    case 'string':
      return context.newString(arg);
    default:
      return context.null;
  }
}
