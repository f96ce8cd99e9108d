/** A learner's unsubmitted code, one per exercise, saved as they type. */
import { type Ctx, hasNul } from './context.ts';

export interface Draft {
  userId: string;
  exerciseId: string;
  code: string;
  updatedAt: number;
}

export type SaveDraftResult =
  | { kind: 'ok'; draft: Draft }
  /** The code holds a U+0000 character, which PostgreSQL cannot store. */
  | { kind: 'err'; reason: 'code-contains-nul' };

export interface DraftsStore {
  /** Inserts or replaces the draft, stamped with the clock's time. */
  save(userId: string, exerciseId: string, code: string): Promise<SaveDraftResult>;
  get(userId: string, exerciseId: string): Promise<Draft | null>;
}

export function createDraftsStore(ctx: Ctx): DraftsStore {
  const { db, clock } = ctx;
  return {
    async save(userId, exerciseId, code) {
      if (hasNul(code)) return { kind: 'err', reason: 'code-contains-nul' };
      const updatedAt = clock.now();
      await db
        .insertInto('drafts')
        .values({ user_id: userId, exercise_id: exerciseId, code, updated_at: updatedAt })
        .onConflict((oc) =>
          oc.columns(['user_id', 'exercise_id']).doUpdateSet({ code, updated_at: updatedAt }),
        )
        .execute();
      return { kind: 'ok', draft: { userId, exerciseId, code, updatedAt } };
    },

    async get(userId, exerciseId) {
      const row = await db
        .selectFrom('drafts')
        .selectAll()
        .where('user_id', '=', userId)
        .where('exercise_id', '=', exerciseId)
        .executeTakeFirst();
      return row
        ? { userId: row.user_id, exerciseId: row.exercise_id, code: row.code, updatedAt: row.updated_at }
        : null;
    },
  };
}
