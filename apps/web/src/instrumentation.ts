/**
 * When the server starts (before it serves a request): the database is
 * migrated, the exercise folders are loaded into it, and — in the embedded
 * default — a grading worker starts in this process. A web-only process
 * (FAULTLINE_GRADING_JOBS=0, for the scale-out) leaves grading to
 * `faultline worker` processes.
 */
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME !== 'nodejs') return;
  const { startServerSide } = await import('./server/startup.ts');
  await startServerSide();
}
