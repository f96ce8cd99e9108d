/**
 * Plain values: the only data that crosses between the host and the guest.
 *
 * Wire format (both directions): a JSON text `[value, specials]`, where
 * `specials` lists the paths of the numbers JSON cannot spell: `NaN`,
 * `Infinity`, `-Infinity`, written as `null` in `value`, and bigints —
 * the kernel's 64-bit addresses — written as their decimal digits in a
 * string (`[path, "bigint"]`). The guest side of
 * this codec lives in the prelude (`prelude.ts`); this is the host side.
 * Every read is capped (depth, node count, string length, payload size), so a
 * hostile payload costs bounded work.
 */

export type PlainValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | PlainValue[]
  | { [key: string]: PlainValue };

/**
 * The longest bigint that crosses, in decimal digits: room for any 128-bit
 * value, while a hostile 10^100000 is refused before BigInt() parses it.
 */
export const MAX_BIGINT_DIGITS = 40;

export interface PlainLimits {
  /** Nesting depth of arrays and objects. */
  maxDepth: number;
  /** Values in one payload (every array, object, and leaf counts as one). */
  maxNodes: number;
  /** Length of any single string, in UTF-16 code units. */
  maxStringLength: number;
  /** Length of the encoded payload, in UTF-16 code units. */
  maxPayloadLength: number;
}

export const DEFAULT_PLAIN_LIMITS: PlainLimits = {
  maxDepth: 64,
  maxNodes: 100_000,
  maxStringLength: 1_000_000,
  maxPayloadLength: 8_000_000,
};

type PathKey = string | number;

export type EncodeResult = { kind: 'ok'; payload: string } | { kind: 'err'; message: string };

/** Where a value was found: `context` says what is being encoded, `name` starts the path. */
export interface ValueSite {
  context: string;
  name: string;
}

function describePath(path: readonly PathKey[], site: ValueSite): string {
  let out = `${site.context}: ${site.name}`;
  for (const key of path)
    out +=
      typeof key === 'number'
        ? `[${key}]`
        : /^[A-Za-z_$][\w$]*$/.test(key)
          ? `.${key}`
          : `[${JSON.stringify(key)}]`;
  return out;
}

function describeValue(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'symbol') return 'a symbol';
  if (Array.isArray(value)) return 'an array with a custom prototype';
  const proto: unknown = Object.getPrototypeOf(value);
  const ctor =
    proto && typeof proto === 'object'
      ? Object.getOwnPropertyDescriptor(proto, 'constructor')?.value
      : undefined;
  const name =
    typeof ctor === 'function' && typeof ctor.name === 'string' && ctor.name !== '' ? ctor.name : 'object';
  return `an instance of ${name}`;
}

/**
 * Encodes a host value. Object properties whose value is `undefined` are left
 * out and a top-level `undefined` becomes `null` (as JSON does); anything else
 * that is not plain data is refused with a message naming where it was found.
 */
export function encodePlain(
  value: unknown,
  site: ValueSite,
  limits: PlainLimits = DEFAULT_PLAIN_LIMITS,
): EncodeResult {
  const specials: string[] = [];
  const path: PathKey[] = [];
  const ancestors = new Set<object>();
  let nodes = 0;

  class Refused extends Error {}
  const refuse = (why: string): never => {
    throw new Refused(
      `${describePath(path, site)} is ${why}; only null, booleans, numbers, bigints, strings, arrays and plain objects can cross the sandbox boundary`,
    );
  };

  const enc = (v: unknown, depth: number): string => {
    nodes += 1;
    if (nodes > limits.maxNodes) refuse(`too large (more than ${limits.maxNodes} values)`);
    switch (typeof v) {
      case 'string':
        if (v.length > limits.maxStringLength)
          refuse(`a string longer than ${limits.maxStringLength} characters`);
        return JSON.stringify(v);
      case 'number':
        if (Number.isFinite(v)) return String(v);
        specials.push(JSON.stringify([path, Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity']));
        return 'null';
      case 'bigint': {
        const digits = v.toString();
        if (digits.replace('-', '').length > MAX_BIGINT_DIGITS)
          refuse(`a bigint too large to cross (more than ${MAX_BIGINT_DIGITS} digits)`);
        specials.push(JSON.stringify([path, 'bigint']));
        return JSON.stringify(digits);
      }
      case 'boolean':
        return v ? 'true' : 'false';
      case 'object':
        if (v === null) return 'null';
        break;
      default:
        return refuse(describeValue(v));
    }
    const obj = v as object;
    if (depth >= limits.maxDepth) refuse(`nested more than ${limits.maxDepth} levels deep`);
    if (ancestors.has(obj)) refuse('a cyclic reference (it contains itself)');
    const proto: unknown = Object.getPrototypeOf(obj);
    const parts: string[] = [];
    ancestors.add(obj);
    if (Array.isArray(obj) && proto === Array.prototype) {
      for (let i = 0; i < obj.length; i += 1) {
        const desc = Object.getOwnPropertyDescriptor(obj, i);
        path.push(i);
        if (desc && !('value' in desc)) refuse('a getter');
        parts.push(desc === undefined || desc.value === undefined ? 'null' : enc(desc.value, depth + 1));
        path.pop();
      }
      ancestors.delete(obj);
      return `[${parts.join(',')}]`;
    }
    if (Array.isArray(obj) || (proto !== Object.prototype && proto !== null)) refuse(describeValue(obj));
    for (const key of Object.keys(obj)) {
      const desc = Object.getOwnPropertyDescriptor(obj, key);
      path.push(key);
      if (desc && !('value' in desc)) refuse('a getter');
      if (desc !== undefined && desc.value !== undefined)
        parts.push(`${JSON.stringify(key)}:${enc(desc.value, depth + 1)}`);
      path.pop();
    }
    ancestors.delete(obj);
    return `{${parts.join(',')}}`;
  };

  try {
    const json = value === undefined ? 'null' : enc(value, 0);
    const payload = `[${json},[${specials.join(',')}]]`;
    if (payload.length > limits.maxPayloadLength) {
      return {
        kind: 'err',
        message: `${site.context} is too large (more than ${limits.maxPayloadLength} characters encoded)`,
      };
    }
    return { kind: 'ok', payload };
  } catch (error) {
    if (error instanceof Refused) return { kind: 'err', message: error.message };
    throw error;
  }
}

export type DecodeResult = { kind: 'ok'; value: PlainValue } | { kind: 'err'; message: string };

/**
 * Decodes a payload from the guest. The guest's encoder already enforced the
 * limits, but the guest is not trusted: the payload is re-checked here.
 */
export function decodePlain(payload: unknown, limits: PlainLimits = DEFAULT_PLAIN_LIMITS): DecodeResult {
  if (typeof payload !== 'string') return { kind: 'err', message: 'malformed payload (not a string)' };
  if (payload.length > limits.maxPayloadLength) {
    return {
      kind: 'err',
      message: `value is too large (more than ${limits.maxPayloadLength} characters encoded)`,
    };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload);
  } catch {
    return { kind: 'err', message: 'malformed payload (not JSON)' };
  }
  if (!Array.isArray(parsed) || parsed.length !== 2 || !Array.isArray(parsed[1])) {
    return { kind: 'err', message: 'malformed payload (not [value, specials])' };
  }
  const box: { root: unknown } = { root: parsed[0] };
  const shape = checkShape(box.root, limits);
  if (shape !== null) return { kind: 'err', message: shape };
  for (const special of parsed[1] as unknown[]) {
    if (!Array.isArray(special) || special.length !== 2 || !Array.isArray(special[0])) {
      return { kind: 'err', message: 'malformed payload (bad special number)' };
    }
    const [keys, name] = special as [unknown[], unknown];
    let parent: unknown = box;
    let key: unknown = 'root';
    for (const next of keys) {
      parent = (parent as Record<string, unknown>)[key as string];
      key = next;
      if (parent === null || typeof parent !== 'object' || !Object.hasOwn(parent, next as PropertyKey)) {
        return { kind: 'err', message: 'malformed payload (special number path)' };
      }
    }
    const slot = parent as Record<string, unknown>;
    const value = specialValue(name, slot[key as string]);
    if (value === null) return { kind: 'err', message: 'malformed payload (bad special number)' };
    slot[key as string] = value;
  }
  return { kind: 'ok', value: box.root as PlainValue };
}

const BIGINT_DIGITS = new RegExp(`^-?\\d{1,${MAX_BIGINT_DIGITS}}$`);

/** The value a special stands for, given what `value` holds at its path; null if malformed. */
function specialValue(name: unknown, written: unknown): number | bigint | null {
  switch (name) {
    case 'NaN':
      return written === null ? Number.NaN : null;
    case 'Infinity':
      return written === null ? Number.POSITIVE_INFINITY : null;
    case '-Infinity':
      return written === null ? Number.NEGATIVE_INFINITY : null;
    case 'bigint':
      return typeof written === 'string' && BIGINT_DIGITS.test(written) ? BigInt(written) : null;
    default:
      return null;
  }
}

/** JSON.parse output is plain by construction; this only enforces the caps. */
function checkShape(value: unknown, limits: PlainLimits): string | null {
  let nodes = 0;
  const walk = (v: unknown, depth: number): string | null => {
    nodes += 1;
    if (nodes > limits.maxNodes) return `value is too large (more than ${limits.maxNodes} values)`;
    if (typeof v === 'string') {
      return v.length > limits.maxStringLength
        ? `a string is longer than ${limits.maxStringLength} characters`
        : null;
    }
    if (v === null || typeof v !== 'object') return null;
    if (depth >= limits.maxDepth) return `value is nested more than ${limits.maxDepth} levels deep`;
    for (const child of Array.isArray(v) ? v : Object.values(v)) {
      const problem = walk(child, depth + 1);
      if (problem !== null) return problem;
    }
    return null;
  };
  return walk(value, 0);
}
