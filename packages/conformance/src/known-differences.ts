/**
 * The reviewed list of known differences between the simulator and Linux
 * (known-differences.yaml): each names the Linux source that decides the
 * behaviour, and exactly where it shows — case, step, field — so that a new
 * difference can never hide behind an old one, and an entry that no longer
 * shows (the simulator was fixed) is noticed too.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { z } from 'zod';
import { CaseError } from './errors.ts';
import { PACKAGE_PATHS } from './paths.ts';

const shown = z.union([z.string(), z.number()]).transform(String);

const place = z.strictObject({
  /** The architecture the case was compared on there. */
  arch: z.enum(['x86-64', 'arm64']).default('x86-64'),
  case: z.string().min(1),
  step: z.number().int().positive(),
  field: z.string().min(1),
  /** What each side shows there (as the table prints it): another value is a new difference. */
  simulator: shown,
  linux: shown,
});

const entry = z.strictObject({
  id: z.string().regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, 'ids are lower-case words joined by "-"'),
  /** What Linux does, and what the simulator does instead. */
  what: z.string().min(1),
  /** The Linux source that decides it (file, function; version where it changed). */
  source: z.string().min(1),
  /** "difference": the simulator is wrong (to fix); "qemu": QEMU's emulated CPU is not hardware (skipped). */
  kind: z.enum(['difference', 'qemu']).default('difference'),
  where: z.array(place).min(1),
});

export type KnownDifference = z.infer<typeof entry>;
/** Where a known difference shows, with the values it shows there. */
export type KnownPlace = z.infer<typeof place>;
/** A step's field in a case, compared on one architecture. */
export type Place = Pick<KnownPlace, 'arch' | 'case' | 'step' | 'field'>;

export const KNOWN_DIFFERENCES_FILE = PACKAGE_PATHS.knownDifferences;

export function loadKnownDifferences(path = KNOWN_DIFFERENCES_FILE): KnownDifference[] {
  let data: unknown;
  try {
    data = parse(readFileSync(path, 'utf8')) ?? [];
  } catch (error) {
    throw new CaseError(`${path}: not valid YAML: ${(error as Error).message.split('\n')[0]}`);
  }
  const parsed = z.array(entry).safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new CaseError(`${path}: ${issue.path.join('.')}: ${issue.message}`);
  }
  const seen = new Set<string>();
  for (const e of parsed.data) {
    if (seen.has(e.id)) throw new CaseError(`${path}: two known differences are called "${e.id}"`);
    seen.add(e.id);
  }
  return parsed.data;
}

/** Looks up which known difference (if any) covers a place, and the values it expects there. */
export class KnownList {
  private readonly byPlace = new Map<string, { entry: KnownDifference; place: KnownPlace }>();

  constructor(readonly entries: readonly KnownDifference[]) {
    for (const e of entries) {
      for (const p of e.where) {
        const key = keyOf(p);
        const other = this.byPlace.get(key);
        if (other !== undefined)
          throw new CaseError(
            `known differences "${other.entry.id}" and "${e.id}" both claim ${describePlace(p)}`,
          );
        this.byPlace.set(key, { entry: e, place: p });
      }
    }
  }

  at(p: Place): { readonly entry: KnownDifference; readonly place: KnownPlace } | undefined {
    return this.byPlace.get(keyOf(p));
  }
}

export const keyOf = (p: Place) => `${p.arch}\u0000${p.case}\u0000${p.step}\u0000${p.field}`;

export const describePlace = (p: Place) =>
  `${p.case} step ${p.step} ${p.field}${p.arch === 'x86-64' ? '' : ` on ${p.arch}`}`;
