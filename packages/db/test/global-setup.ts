/**
 * Starts the one PostgreSQL cluster this package's test run uses, hands its
 * URL to the test files (`inject('postgresAdminUrl')`), and stops it when the
 * run ends. If the run dies instead, startPostgres' exit handler and watchdog
 * stop it.
 */
import type { TestProject } from 'vitest/node';
import { startPostgres } from '../src/testing.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    postgresAdminUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const cluster = await startPostgres();
  project.provide('postgresAdminUrl', cluster.url);
  return () => cluster.stop();
}
