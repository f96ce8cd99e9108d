import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { describe, expect, inject, it } from 'vitest';
import {
  createTestDatabase,
  findPostgresBin,
  manualClock,
  POSTGRES_MISSING,
  startPostgres,
} from '../src/testing.ts';

describe('the PostgreSQL test helpers', () => {
  it('say to install Debian’s postgresql package when the binaries are missing', () => {
    expect(() => findPostgresBin({ debianRoot: join(tmpdir(), 'no-such-dir'), path: '' })).toThrow(
      POSTGRES_MISSING,
    );
    expect(POSTGRES_MISSING).toMatch(/Debian's `postgresql` package/);
  });

  it('start a cluster, and stop it leaving no server and no files behind', async () => {
    const cluster = await startPostgres();
    const client = new pg.Client({ connectionString: cluster.url });
    await client.connect();
    expect((await client.query('select 1 + 1 as two')).rows).toEqual([{ two: 2 }]);
    await client.end();
    await cluster.stop();
    await cluster.stop(); // twice is fine
    expect(existsSync(cluster.dataDir)).toBe(false);
    const late = new pg.Client({ connectionString: cluster.url, connectionTimeoutMillis: 5000 });
    await expect(late.connect()).rejects.toThrow();
  });

  it('make separate databases for separate test files', async () => {
    const a = await createTestDatabase(inject('postgresAdminUrl'));
    const b = await createTestDatabase(inject('postgresAdminUrl'));
    expect(a.url).not.toBe(b.url);
    const client = new pg.Client({ connectionString: a.url });
    await client.connect();
    await client.query('create table only_in_a (x int)');
    await client.end();
    const other = new pg.Client({ connectionString: b.url });
    await other.connect();
    expect((await other.query("select to_regclass('only_in_a') as t")).rows).toEqual([{ t: null }]);
    await other.end();
    await a.drop();
    await b.drop();
  });

  it('give a clock that moves only when told', () => {
    const clock = manualClock(1000);
    expect(clock.now()).toBe(1000);
    clock.advance(5);
    expect(clock.now()).toBe(1005);
    clock.set(7);
    expect(clock.now()).toBe(7);
  });
});
