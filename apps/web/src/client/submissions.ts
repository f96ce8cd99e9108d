/**
 * Following a submission from the moment it is sent until its report is
 * there. The server holds each request open until the grade changes (or a
 * few seconds pass), so a result shows as soon as it is stored.
 */
import type { Report } from '@faultline/grader/report';
import { callApi } from './api.ts';

export type SubmissionState =
  | { readonly kind: 'sending' }
  | { readonly kind: 'refused'; readonly message: string }
  | { readonly kind: 'pending'; readonly id: string }
  | { readonly kind: 'graded'; readonly id: string; readonly report: Report }
  | { readonly kind: 'failed'; readonly id: string; readonly message: string }
  | { readonly kind: 'lost'; readonly message: string };

type SubmissionBody =
  | { status: 'pending' }
  | { status: 'graded'; report: Report }
  | { status: 'failed'; message: string };

export async function awaitGrade(id: string): Promise<SubmissionState> {
  // A submission waits in the queue as long as it must; the page keeps asking
  // (each ask is held by the server), but gives up on a server that is gone.
  let unreachable = 0;
  for (;;) {
    const result = await callApi<SubmissionBody>(`/api/submissions/${encodeURIComponent(id)}?wait=1`);
    if (result.kind === 'err') {
      if (result.status !== 0 && result.status < 500) return { kind: 'lost', message: result.message };
      unreachable += 1;
      if (unreachable >= 5)
        return {
          kind: 'lost',
          message: `${result.message} Your submission is stored; its result will be in your history.`,
        };
      await new Promise((resolve) => setTimeout(resolve, 1000));
      continue;
    }
    unreachable = 0;
    const body = result.value;
    if (body.status === 'graded') return { kind: 'graded', id, report: body.report };
    if (body.status === 'failed') return { kind: 'failed', id, message: body.message };
  }
}
