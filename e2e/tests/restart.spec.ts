/**
 * A crash in the middle of a grade loses nothing. The server grades the
 * e2e-only exercise blocking-grade, whose hidden test (in the grading
 * worker) writes a line to `started` and then blocks until `release`
 * exists, so "a grade is in progress" is a state the test can see, not a
 * moment it has to hit. The test SIGKILLs the whole server (its process
 * group: start.mjs, next-server and the grading worker thread in it),
 * starts it again on the same data folder, waits for the restarted server
 * to take the job up again (a second line in `started`, from another
 * process), releases it and finds the submission graded. The short lease
 * (FAULTLINE_GRADING_LEASE_MS) is how soon the restarted server may take
 * over the dead one's job.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  expect,
  gradedSubmission,
  monacoEditor,
  pasteIntoEditor,
  signUpThroughApi,
  submissionReport,
  test,
} from '../support/fixtures.ts';
import { E2E_EXERCISES, EXERCISES, exerciseFile } from '../support/paths.ts';

const EXERCISE = 'blocking-grade';

test('a server killed in the middle of a grade takes the job up again after a restart, and nothing is lost', async ({
  browser,
  startServer,
}) => {
  const signals = mkdtempSync(join(tmpdir(), 'faultline-e2e-blocking-'));
  const started = join(signals, 'started');
  const graders = () => (existsSync(started) ? readFileSync(started, 'utf8').trim().split('\n') : []);
  try {
    const server = await startServer({
      env: {
        FAULTLINE_EXERCISES: `${EXERCISES}:${E2E_EXERCISES}`,
        FAULTLINE_GRADING_LEASE_MS: '1000',
        FAULTLINE_E2E_BLOCKING_DIR: signals,
      },
    });
    const context = await browser.newContext({ baseURL: server.url });
    const page = await context.newPage();
    await signUpThroughApi(page.request);

    // The code, saved as a draft, then submitted: the grade starts and holds.
    const solution = exerciseFile('page-fault-handler', 'solution.ts');
    await page.goto(`/exercises/${EXERCISE}`);
    await expect(page.getByRole('article', { name: 'Instructions' })).toContainText('E2E only');
    const editor = await monacoEditor(page);
    expect((await pasteIntoEditor(page, editor, solution)).status()).toBe(200);
    const created = page.waitForResponse(
      (r) => r.url().endsWith('/api/submissions') && r.request().method() === 'POST',
    );
    await page.getByRole('button', { name: 'Submit', exact: true }).click();
    const response = await created;
    expect(response.status()).toBe(201);
    const { id } = (await response.json()) as { id: string };

    await expect.poll(graders, { message: 'the grade to start' }).toHaveLength(1);
    const pending = await page.request.get(`/api/submissions/${id}`);
    expect(await pending.json()).toEqual({ status: 'pending' });
    await expect(page.getByText('Submitted. Grading on the server…')).toBeVisible();

    await test.step('kill the server mid-grade and start it again on the same data', async () => {
      await server.kill();
      expect(graders()).toHaveLength(1);
      await server.restart();
    });

    // The restarted server claims the job once the dead one's lease runs out, and it blocks again.
    await expect.poll(graders, { message: 'the restarted server to take the job up again' }).toHaveLength(2);
    const [first, second] = graders();
    expect(second, 'the second attempt runs in the new server process').not.toBe(first);
    // Still held: the restarted server has the submission as waiting, not lost.
    expect(await (await page.request.get(`/api/submissions/${id}`)).json()).toEqual({ status: 'pending' });
    const waiting = await context.newPage();
    await waiting.goto(`/submissions/${id}`);
    await expect(waiting.getByText('Waiting to be graded.')).toBeVisible();
    await waiting.close();
    writeFileSync(join(signals, 'release'), '');

    const graded = await gradedSubmission(page.request, id);
    expect(graded.status).toBe('graded');
    if (graded.status !== 'graded') throw new Error('unreachable');
    expect(graded.report.status).toBe('pass');
    expect(`${graded.report.score}/${graded.report.maxScore}`).toBe('2/2');

    // The page that submitted either caught up with the grade or says where to find it; it does not hang.
    await expect(
      submissionReport(page).or(
        page.getByText('Your submission is stored; its result will be in your history.'),
      ),
    ).toBeVisible();

    // The learner's history has the one submission, graded, and its page has the report and the code.
    const list = await page.request.get(`/api/submissions?exercise=${EXERCISE}`);
    const { submissions } = (await list.json()) as {
      submissions: { id: string; status: string; score: number | null }[];
    };
    expect(submissions.map((s) => [s.id, s.status, s.score])).toEqual([[id, 'graded', 2]]);
    await page.goto('/submissions');
    const history = page.getByTestId('history').getByRole('listitem');
    await expect(history).toHaveCount(1);
    await expect(history).toContainText('passed · 2/2');
    await history.getByRole('link', { name: 'E2E only: a grade that waits for its test' }).click();
    await page.waitForURL(`**/submissions/${id}`);
    const result = page.getByRole('region', { name: 'Result' }).getByTestId('report');
    await expect(result).toHaveAttribute('data-status', 'pass');
    await expect(result.getByTestId('score')).toHaveText('2/2');
    expect(await page.getByTestId('submitted-code').textContent()).toBe(solution);
    // The catalogue counts it, and the draft is there.
    await page.goto('/exercises');
    const card = page.getByTestId('catalogue').getByRole('listitem').filter({ hasText: 'E2E only' });
    await expect(card.getByTestId('progress')).toHaveText('Solved · best 2/2 after 1 attempt');
    const draft = await page.request.get(`/api/drafts/${EXERCISE}`);
    expect(((await draft.json()) as { code: string }).code).toBe(solution);
    await context.close();
  } finally {
    rmSync(signals, { recursive: true, force: true });
  }
});
