/**
 * Every migration, imported statically (the web app is bundled, so there is
 * no folder to scan at run time). Names sort in the order they run; a new
 * migration gets the next number and is added here.
 */
import type { Migration } from 'kysely';
import { initial } from './0001-initial.ts';

export const migrations: Readonly<Record<string, Migration>> = {
  '0001-initial': initial,
};
