import { api, errorResponse, readBytes, requireType } from '../../../../server/http.ts';
import { installUpload } from '../../../../server/upload/install.ts';
import { loadWorkerModule } from '../../../../server/worker-module.ts';

/** 2 MiB of ZIP: an exercise folder is text, a few hundred KiB at most. */
const MAX_ARCHIVE_BYTES = 2 * 1024 * 1024;

/**
 * An author uploads an exercise folder as a ZIP archive. Its tests are code
 * that runs on the server, so only the author role may; the archive is
 * validated exactly as `faultline validate` does before it is accepted.
 */
export const POST = api(['author'], async ({ request, db, user }) => {
  requireType(
    request,
    'application/zip',
    'Upload the exercise folder as a ZIP archive (Content-Type: application/zip).',
  );
  const archive = await readBytes(request, MAX_ARCHIVE_BYTES, 'The archive');
  const { validateExerciseFolder } = await loadWorkerModule();
  const installed = await installUpload(db, user, archive, validateExerciseFolder);
  if (installed.kind === 'rejected')
    return errorResponse(422, 'The exercise was not installed: fix these and upload again.', {
      problems: installed.problems,
    });
  return Response.json(installed, { status: installed.changed ? 201 : 200 });
});
