/**
 * Exercises as content-addressed versions. A version is everything one
 * exercise folder held, keyed by the caller's hash of it; putting the same
 * hash twice changes nothing. `exercises` points each exercise id at the
 * version learners get.
 *
 * Two kinds of read, kept apart: summaries (meta, readme, starter — safe to
 * send to a learner) and `versionFiles` (every file, hidden tests and the
 * reference solution among them — for the grader and instructors only). The
 * files sit in their own table, which only `versionFiles` reads.
 */
import { type Ctx, hasNul, parseJson } from './context.ts';
import type { ExerciseSource, ExerciseVersionsTable } from './schema.ts';

export type { ExerciseSource };

/** An exercise's metadata as its folder gives it (exercise.json), kept as JSON. */
export type JsonObject = { readonly [key: string]: unknown };

export interface NewExerciseVersion {
  exerciseId: string;
  hash: string;
  meta: JsonObject;
  readme: string;
  starter: string;
  /** Every file of the folder by relative path ('/'-separated), hidden tests and solution included. */
  files: Readonly<Record<string, string>>;
  source: ExerciseSource;
  uploadedBy?: string | undefined;
}

/** What a learner may see of an exercise. */
export interface ExerciseSummary {
  id: string;
  hash: string;
  meta: JsonObject;
  readme: string;
  starter: string;
}

export interface ExerciseVersionSummary extends ExerciseSummary {
  source: ExerciseSource;
  uploadedBy: string | null;
  createdAt: number;
}

export type PutVersionResult =
  | { kind: 'ok'; created: boolean }
  /** The hash is already stored for another exercise id. */
  | { kind: 'err'; reason: 'hash-belongs-to-another-exercise'; exerciseId: string }
  /** A file (or readme, starter, meta) holds a U+0000 character, which PostgreSQL cannot store. */
  | { kind: 'err'; reason: 'text-contains-nul'; path: string };

export type SetCurrentResult =
  | { kind: 'ok' }
  | { kind: 'err'; reason: 'unknown-version' | 'hash-belongs-to-another-exercise' };

export interface ExercisesStore {
  /** Stores a version with its files; idempotent by hash (`created` says whether it was new). */
  putVersion(input: NewExerciseVersion): Promise<PutVersionResult>;
  /** Makes a stored version the one learners get. */
  setCurrent(exerciseId: string, hash: string): Promise<SetCurrentResult>;
  /** Every exercise's current version, by id: learner-safe summaries, never files. */
  listCurrent(): Promise<ExerciseSummary[]>;
  current(exerciseId: string): Promise<ExerciseSummary | null>;
  versionSummary(hash: string): Promise<ExerciseVersionSummary | null>;
  /** Every version of an exercise, newest first. */
  versionsOf(exerciseId: string): Promise<ExerciseVersionSummary[]>;
  /** Every file of a version — hidden tests and the solution too: for the grader and instructors only. */
  versionFiles(hash: string): Promise<Record<string, string> | null>;
}

const SUMMARY_COLUMNS = [
  'exercise_versions.hash',
  'exercise_versions.exercise_id',
  'exercise_versions.meta_json',
  'exercise_versions.readme',
  'exercise_versions.starter',
] as const;

type SummaryRow = Pick<ExerciseVersionsTable, 'hash' | 'exercise_id' | 'meta_json' | 'readme' | 'starter'>;

function toSummary(row: SummaryRow): ExerciseSummary {
  return {
    id: row.exercise_id,
    hash: row.hash,
    meta: parseJson(row.meta_json) as JsonObject,
    readme: row.readme,
    starter: row.starter,
  };
}

function toVersionSummary(row: ExerciseVersionsTable): ExerciseVersionSummary {
  return {
    ...toSummary(row),
    source: row.source,
    uploadedBy: row.uploaded_by,
    createdAt: row.created_at,
  };
}

/** Rows per INSERT for files: well under SQLite's bound-parameter limit. */
const FILE_BATCH = 200;

export function createExercisesStore(ctx: Ctx): ExercisesStore {
  const { db, clock } = ctx;
  return {
    async putVersion(input) {
      if (typeof input.meta !== 'object' || input.meta === null || Array.isArray(input.meta)) {
        throw new TypeError('meta must be a JSON object');
      }
      if (input.source !== 'folder' && input.source !== 'upload') {
        throw new TypeError(`unknown source ${JSON.stringify(input.source)}`);
      }
      const metaJson = JSON.stringify(input.meta);
      const texts: [string, string][] = [
        ['(meta)', metaJson],
        ['(readme)', input.readme],
        ['(starter)', input.starter],
        ...Object.entries(input.files),
      ];
      const withNul = texts.find(([, text]) => hasNul(text));
      if (withNul) return { kind: 'err', reason: 'text-contains-nul', path: withNul[0] };
      return ctx.write(async (trx) => {
        const inserted = await trx
          .insertInto('exercise_versions')
          .values({
            hash: input.hash,
            exercise_id: input.exerciseId,
            meta_json: metaJson,
            readme: input.readme,
            starter: input.starter,
            source: input.source,
            uploaded_by: input.uploadedBy ?? null,
            created_at: clock.now(),
          })
          .onConflict((oc) => oc.column('hash').doNothing())
          .returning('hash')
          .executeTakeFirst();
        if (!inserted) {
          const existing = await trx
            .selectFrom('exercise_versions')
            .select('exercise_id')
            .where('hash', '=', input.hash)
            .executeTakeFirstOrThrow();
          if (existing.exercise_id !== input.exerciseId) {
            return {
              kind: 'err',
              reason: 'hash-belongs-to-another-exercise',
              exerciseId: existing.exercise_id,
            } as const;
          }
          return { kind: 'ok', created: false } as const;
        }
        const files = Object.entries(input.files).map(([path, content]) => ({
          version_hash: input.hash,
          path,
          content,
        }));
        for (let i = 0; i < files.length; i += FILE_BATCH) {
          await trx
            .insertInto('exercise_files')
            .values(files.slice(i, i + FILE_BATCH))
            .execute();
        }
        return { kind: 'ok', created: true } as const;
      });
    },

    async setCurrent(exerciseId, hash) {
      return ctx.write(async (trx) => {
        const version = await trx
          .selectFrom('exercise_versions')
          .select('exercise_id')
          .where('hash', '=', hash)
          .executeTakeFirst();
        if (!version) return { kind: 'err', reason: 'unknown-version' } as const;
        if (version.exercise_id !== exerciseId) {
          return { kind: 'err', reason: 'hash-belongs-to-another-exercise' } as const;
        }
        const now = clock.now();
        await trx
          .insertInto('exercises')
          .values({ id: exerciseId, current_hash: hash, updated_at: now })
          .onConflict((oc) => oc.column('id').doUpdateSet({ current_hash: hash, updated_at: now }))
          .execute();
        return { kind: 'ok' } as const;
      });
    },

    async listCurrent() {
      const rows = await db
        .selectFrom('exercises')
        .innerJoin('exercise_versions', 'exercise_versions.hash', 'exercises.current_hash')
        .select(SUMMARY_COLUMNS)
        .orderBy('exercises.id')
        .execute();
      return rows.map(toSummary);
    },

    async current(exerciseId) {
      const row = await db
        .selectFrom('exercises')
        .innerJoin('exercise_versions', 'exercise_versions.hash', 'exercises.current_hash')
        .select(SUMMARY_COLUMNS)
        .where('exercises.id', '=', exerciseId)
        .executeTakeFirst();
      return row ? toSummary(row) : null;
    },

    async versionSummary(hash) {
      const row = await db
        .selectFrom('exercise_versions')
        .selectAll()
        .where('hash', '=', hash)
        .executeTakeFirst();
      return row ? toVersionSummary(row) : null;
    },

    async versionsOf(exerciseId) {
      const rows = await db
        .selectFrom('exercise_versions')
        .selectAll()
        .where('exercise_id', '=', exerciseId)
        .orderBy('created_at', 'desc')
        .orderBy('hash')
        .execute();
      return rows.map(toVersionSummary);
    },

    async versionFiles(hash) {
      const version = await db
        .selectFrom('exercise_versions')
        .select('hash')
        .where('hash', '=', hash)
        .executeTakeFirst();
      if (!version) return null;
      const rows = await db
        .selectFrom('exercise_files')
        .select(['path', 'content'])
        .where('version_hash', '=', hash)
        .orderBy('path')
        .execute();
      const files: Record<string, string> = {};
      for (const row of rows) files[row.path] = row.content;
      return files;
    },
  };
}
