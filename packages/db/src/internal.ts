/**
 * The Kysely instance behind a Db, for this package's own test helpers
 * (`testing.ts`) — not exported from the package, so app code goes through
 * the stores.
 */
import type { Kysely } from 'kysely';
import type { Schema } from './schema.ts';

const handles = new WeakMap<object, Kysely<Schema>>();

export function registerKysely(db: object, kysely: Kysely<Schema>): void {
  handles.set(db, kysely);
}

export function kyselyOf(db: object): Kysely<Schema> {
  const kysely = handles.get(db);
  if (!kysely) throw new Error('not a Db opened by openDatabase');
  return kysely;
}
