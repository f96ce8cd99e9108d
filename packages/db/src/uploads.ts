/** A log of exercise uploads (authors sending a folder through the web app), accepted or not. */
import { type Ctx, clampLimit, newId, parseJson } from './context.ts';
import type { UploadsTable } from './schema.ts';

interface UploadBase {
  userId: string;
  /** The exercise the upload was for, when it got far enough to say. */
  exerciseId?: string | undefined;
  contentHash: string;
}

export type NewUpload = UploadBase &
  ({ outcome: 'accepted' } | { outcome: 'rejected'; errors: readonly string[] });

export type Upload = {
  id: string;
  userId: string;
  exerciseId: string | null;
  contentHash: string;
  createdAt: number;
} & ({ outcome: 'accepted' } | { outcome: 'rejected'; errors: string[] });

export interface UploadsStore {
  record(input: NewUpload): Promise<Upload>;
  /** Newest first; 50 unless `limit` says otherwise. */
  list(options?: {
    userId?: string | undefined;
    exerciseId?: string | undefined;
    limit?: number | undefined;
  }): Promise<Upload[]>;
}

function toUpload(row: UploadsTable): Upload {
  const base = {
    id: row.id,
    userId: row.user_id,
    exerciseId: row.exercise_id,
    contentHash: row.content_hash,
    createdAt: row.created_at,
  };
  return row.outcome === 'accepted'
    ? { ...base, outcome: 'accepted' }
    : { ...base, outcome: 'rejected', errors: parseJson(row.errors_json!) as string[] };
}

export function createUploadsStore(ctx: Ctx): UploadsStore {
  const { db, clock } = ctx;
  return {
    async record(input) {
      const row: UploadsTable = {
        id: newId(),
        user_id: input.userId,
        exercise_id: input.exerciseId ?? null,
        content_hash: input.contentHash,
        outcome: input.outcome,
        errors_json: input.outcome === 'rejected' ? JSON.stringify(input.errors) : null,
        created_at: clock.now(),
      };
      await db.insertInto('uploads').values(row).execute();
      return toUpload(row);
    },

    async list(options = {}) {
      let q = db
        .selectFrom('uploads')
        .selectAll()
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc')
        .limit(clampLimit(options.limit, 50));
      if (options.userId !== undefined) q = q.where('user_id', '=', options.userId);
      if (options.exerciseId !== undefined) q = q.where('exercise_id', '=', options.exerciseId);
      return (await q.execute()).map(toUpload);
    },
  };
}
