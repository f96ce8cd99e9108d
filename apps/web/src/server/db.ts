/**
 * The app's one database connection, opened and migrated once per process.
 * Next.js evaluates route modules and instrumentation in separate module
 * graphs, so the connection is kept on globalThis under a registered symbol
 * rather than in a module variable.
 */
import { mkdir } from 'node:fs/promises';
import { type Db, openDatabase } from '@faultline/db';
import { readConfig } from './config.ts';

const KEY = Symbol.for('faultline.web.db');
type Holder = { [KEY]?: Promise<Db> };

export function getDb(): Promise<Db> {
  const holder = globalThis as Holder;
  holder[KEY] ??= (async () => {
    const config = readConfig();
    if (config.databaseUrl.startsWith('sqlite:')) await mkdir(config.dataDir, { recursive: true });
    const db = await openDatabase(config.databaseUrl);
    await db.migrate();
    return db;
  })();
  return holder[KEY];
}
