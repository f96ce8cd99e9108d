/**
 * The module specifiers a JavaScript or TypeScript file names, found by a
 * small tokenizer: comments, strings, template literals and regular
 * expressions are told apart from code, so `from '../x'` inside a comment
 * or a string is not a reference, and one that spans lines still is.
 *
 * What counts as naming a module or file of the workspace:
 *
 * - `import … from 'x'`, `import type … from 'x'`, `export … from 'x'`,
 *   `import 'x'`
 * - `import('x')` (also as a type: `typeof import('x')`)
 * - `require('x')`, `require.resolve('x')`, `import.meta.resolve('x')`,
 *   `createRequire(…)('x')`, `createRequire(…).resolve('x')`
 * - vitest's `vi.mock('x')`, `vi.doMock`, `vi.unmock`, `vi.doUnmock`,
 *   `vi.importActual('x')`, `vi.importMock('x')`
 * - `new URL('x', import.meta.url)`
 * - `/// <reference path="x" />`
 *
 * Only literal specifiers can be checked; a computed one (a variable, a
 * template with `${…}`) is not reported. Nor is a path built at run time
 * (`join(import.meta.dirname, '..')`).
 */

/** vitest's calls that take a module specifier (resolved like an import). */
const VI_MODULE_CALLS = new Set(['mock', 'doMock', 'unmock', 'doUnmock', 'importActual', 'importMock']);

export type SpecifierForm =
  | 'from'
  | 'import'
  | 'dynamic-import'
  | 'require'
  | 'resolve'
  | 'mock'
  | 'url'
  | 'reference';

export interface Specifier {
  readonly form: SpecifierForm;
  /** The specifier as written, without quotes. */
  readonly specifier: string;
  /** 1-based line of the specifier. */
  readonly line: number;
}

type Token =
  | { readonly kind: 'name'; readonly value: string; readonly at: number }
  | { readonly kind: 'punct'; readonly value: string; readonly at: number }
  | { readonly kind: 'string'; readonly value: string; readonly at: number }
  /** A template with substitutions, or a regular expression: a value, but nothing to check. */
  | { readonly kind: 'opaque'; readonly at: number };

/** Names after which a `/` starts a regular expression rather than a division. */
const REGEX_AFTER_NAME = new Set([
  'return',
  'typeof',
  'instanceof',
  'in',
  'of',
  'new',
  'delete',
  'void',
  'throw',
  'case',
  'do',
  'else',
  'yield',
  'await',
]);
const REFERENCE_PATH = /^\/\s*<reference\s+path\s*=\s*(["'])(.*?)\1/;

/** Every module specifier `source` names, in order (see the module comment for the forms). */
export function findSpecifiers(source: string): Specifier[] {
  const { tokens, references } = tokenize(source);
  const lineOf = lineIndex(source);
  const found: Specifier[] = references.map((r) => ({ ...r, line: lineOf(r.at) }));
  const is = (i: number, kind: Token['kind'], value?: string) => {
    const t = tokens[i];
    return t !== undefined && t.kind === kind && (value === undefined || ('value' in t && t.value === value));
  };
  const stringAt = (i: number) => {
    const t = tokens[i];
    return t?.kind === 'string' ? t : undefined;
  };
  const add = (form: SpecifierForm, i: number) => {
    const t = stringAt(i);
    if (t) found.push({ form, specifier: t.value, line: lineOf(t.at) });
  };
  const nameAt = (i: number) => {
    const t = tokens[i];
    return t?.kind === 'name' ? t.value : undefined;
  };
  /** The index of the ')' that closes the '(' at `open`, or -1. */
  const matchingParen = (open: number) => {
    let depth = 0;
    for (let j = open; j < tokens.length; j++) {
      if (is(j, 'punct', '(')) depth++;
      else if (is(j, 'punct', ')') && --depth === 0) return j;
    }
    return -1;
  };
  /** `import . meta .` starting at i. */
  const importMeta = (i: number) =>
    is(i, 'name', 'import') &&
    is(i + 1, 'punct', '.') &&
    is(i + 2, 'name', 'meta') &&
    is(i + 3, 'punct', '.');

  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    const afterDot = is(i - 1, 'punct', '.');
    if (t.kind !== 'name' || afterDot) continue;
    switch (t.value) {
      case 'from':
        add('from', i + 1);
        break;
      case 'import':
        if (stringAt(i + 1)) add('import', i + 1);
        else if (is(i + 1, 'punct', '(')) add('dynamic-import', i + 2);
        else if (importMeta(i) && is(i + 4, 'name', 'resolve') && is(i + 5, 'punct', '('))
          add('resolve', i + 6);
        break;
      case 'require':
        if (is(i + 1, 'punct', '(')) add('require', i + 2);
        else if (is(i + 1, 'punct', '.') && is(i + 2, 'name', 'resolve') && is(i + 3, 'punct', '('))
          add('resolve', i + 4);
        break;
      case 'vi':
        if (is(i + 1, 'punct', '.') && VI_MODULE_CALLS.has(nameAt(i + 2) ?? '') && is(i + 3, 'punct', '('))
          add('mock', i + 4);
        break;
      case 'createRequire': {
        // createRequire(…) then ('x') or .resolve('x')
        const close = is(i + 1, 'punct', '(') ? matchingParen(i + 1) : -1;
        if (close === -1) break;
        if (is(close + 1, 'punct', '(')) add('require', close + 2);
        else if (
          is(close + 1, 'punct', '.') &&
          is(close + 2, 'name', 'resolve') &&
          is(close + 3, 'punct', '(')
        )
          add('resolve', close + 4);
        break;
      }
      case 'new':
        if (
          is(i + 1, 'name', 'URL') &&
          is(i + 2, 'punct', '(') &&
          stringAt(i + 3) &&
          is(i + 4, 'punct', ',') &&
          importMeta(i + 5) &&
          is(i + 9, 'name', 'url')
        )
          add('url', i + 3);
        break;
    }
  }
  return found.sort((a, b) => a.line - b.line);
}

function lineIndex(source: string): (offset: number) => number {
  const starts = [0];
  for (let i = 0; i < source.length; i++) if (source[i] === '\n') starts.push(i + 1);
  return (offset) => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  };
}

const isNameStart = (c: string) => /[A-Za-z_$\u0080-\uffff]/.test(c);
const isNamePart = (c: string) => /[\w$\u0080-\uffff]/.test(c);

/**
 * Code as tokens (names, punctuation, strings; template literals with
 * substitutions and regular expressions as opaque values), and the
 * triple-slash reference paths of its line comments.
 */
function tokenize(source: string): {
  tokens: Token[];
  references: { form: 'reference'; specifier: string; at: number }[];
} {
  const tokens: Token[] = [];
  const references: { form: 'reference'; specifier: string; at: number }[] = [];
  /** Open `${` substitutions, each with the depth of `{` nesting inside it. */
  const substitutions: number[] = [];
  let i = 0;
  const n = source.length;

  /** Scans template text from i (just after a backtick or a substitution's `}`) to its end or next `${`. */
  const templateText = (start: number): { end: number; text: string; opensSubstitution: boolean } => {
    let text = '';
    let j = start;
    while (j < n) {
      const c = source[j]!;
      if (c === '\\') {
        text += source.slice(j, j + 2);
        j += 2;
      } else if (c === '`') {
        return { end: j + 1, text, opensSubstitution: false };
      } else if (c === '$' && source[j + 1] === '{') {
        return { end: j + 2, text, opensSubstitution: true };
      } else {
        text += c;
        j++;
      }
    }
    return { end: n, text, opensSubstitution: false };
  };

  const regexAllowed = () => {
    const prev = tokens.at(-1);
    if (prev === undefined) return true;
    if (prev.kind === 'name') return REGEX_AFTER_NAME.has(prev.value);
    if (prev.kind === 'punct') return !(prev.value === ')' || prev.value === ']' || prev.value === '}');
    return false;
  };

  while (i < n) {
    const c = source[i]!;
    const next = source[i + 1];
    if (c === '/' && next === '/') {
      const end = source.indexOf('\n', i);
      const comment = source.slice(i + 2, end < 0 ? n : end);
      const ref = REFERENCE_PATH.exec(comment);
      if (ref) references.push({ form: 'reference', specifier: ref[2]!, at: i });
      i = end < 0 ? n : end;
    } else if (c === '/' && next === '*') {
      const end = source.indexOf('*/', i + 2);
      i = end < 0 ? n : end + 2;
    } else if (c === "'" || c === '"') {
      // A string ends at its quote, or (unterminated) at the end of the line.
      let j = i + 1;
      let value = '';
      while (j < n && source[j] !== c && source[j] !== '\n') {
        if (source[j] === '\\') {
          value += source[j + 1] ?? '';
          j += 2;
        } else {
          value += source[j];
          j++;
        }
      }
      tokens.push({ kind: 'string', value, at: i });
      i = source[j] === c ? j + 1 : j;
    } else if (c === '`') {
      const part = templateText(i + 1);
      if (part.opensSubstitution) {
        tokens.push({ kind: 'opaque', at: i });
        substitutions.push(0);
      } else {
        tokens.push({ kind: 'string', value: part.text, at: i });
      }
      i = part.end;
    } else if (c === '}' && substitutions.length > 0 && substitutions.at(-1) === 0) {
      // The end of a `${…}`: back to the template's text.
      substitutions.pop();
      const part = templateText(i + 1);
      if (part.opensSubstitution) substitutions.push(0);
      i = part.end;
    } else if (c === '/' && regexAllowed()) {
      let j = i + 1;
      let inClass = false;
      while (j < n && source[j] !== '\n') {
        const d = source[j];
        if (d === '\\') j++;
        else if (d === '[') inClass = true;
        else if (d === ']') inClass = false;
        else if (d === '/' && !inClass) break;
        j++;
      }
      j++;
      while (j < n && isNamePart(source[j]!)) j++;
      tokens.push({ kind: 'opaque', at: i });
      i = j;
    } else if (isNameStart(c)) {
      let j = i + 1;
      while (j < n && isNamePart(source[j]!)) j++;
      tokens.push({ kind: 'name', value: source.slice(i, j), at: i });
      i = j;
    } else if (/\s/.test(c)) {
      i++;
    } else if (/[0-9]/.test(c)) {
      let j = i + 1;
      while (j < n && /[\w.]/.test(source[j]!)) j++;
      tokens.push({ kind: 'opaque', at: i });
      i = j;
    } else {
      if (substitutions.length > 0) {
        if (c === '{') substitutions[substitutions.length - 1]! += 1;
        else if (c === '}') substitutions[substitutions.length - 1]! -= 1;
      }
      tokens.push({ kind: 'punct', value: c, at: i });
      i++;
    }
  }
  return { tokens, references };
}
