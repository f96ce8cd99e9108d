/**
 * A class, through the pages: an instructor creates a course and an
 * assignment, a learner joins with the code and submits to the assignment,
 * and the instructor finds the submission on the dashboard and in the CSV
 * export. Then what the learner sees of a failed test: Run and Submit agree
 * on the visible tests, and the failed test's picture shows the page table.
 */
import type { Browser } from '@playwright/test';
import {
  type AppServer,
  createInstructor,
  expect,
  fillSignIn,
  monacoEditor,
  pasteIntoEditor,
  runVisibleTests,
  signUpThroughUi,
  submit,
  test,
} from '../support/fixtures.ts';
import { exerciseFile } from '../support/paths.ts';

const EXERCISE = 'page-fault-handler';

async function signedInInstructor(browser: Browser, server: AppServer) {
  const instructor = await createInstructor(server);
  const context = await browser.newContext({ baseURL: server.url });
  const page = await context.newPage();
  await fillSignIn(page, instructor.email, instructor.password);
  await page.waitForURL('**/exercises');
  return { context, page };
}

test('an instructor sets an assignment, a learner joins and submits, and the instructor sees it on the dashboard and in the CSV', async ({
  browser,
  page,
  server,
}) => {
  const teacher = await signedInInstructor(browser, server);
  const t = teacher.page;
  await t.goto('/courses');
  await t.getByLabel('Course title').fill('Virtual memory, autumn');
  await t.getByRole('button', { name: 'Create course' }).click();
  await t.waitForURL(/\/courses\/[^/]+$/);
  const joinCode =
    (await t.getByTestId('join-code').locator('span.font-mono').first().textContent())?.trim() ?? '';
  expect(joinCode).toMatch(/^[A-Z0-9]{8}$/);

  await t.getByLabel('Title').fill('Demand paging');
  await t.getByRole('checkbox', { name: 'Demand paging: the anonymous page fault' }).check();
  await t.getByLabel('Due (your time)').fill('2099-06-01T12:00');
  await t.getByRole('button', { name: 'Create assignment' }).click();
  await t.waitForURL(/\/assignments\/[^/]+$/);
  const assignmentUrl = new URL(t.url()).pathname;
  await expect(t.getByTestId('dashboard')).toBeVisible();

  // The learner joins by the code, opens the assignment and submits the reference solution to it.
  await signUpThroughUi(page);
  await page.goto('/courses');
  await page.getByLabel('Join code').fill(joinCode.toLowerCase());
  await page.getByRole('button', { name: 'Join course' }).click();
  await page.waitForURL(/\/courses\/[^/]+$/);
  await page.getByRole('link', { name: 'Demand paging' }).click();
  await page.waitForURL(`**${assignmentUrl}`);
  await page.getByRole('link', { name: 'Demand paging: the anonymous page fault' }).click();
  await page.waitForURL(/\/exercises\/page-fault-handler\?assignment=/);
  const editor = await monacoEditor(page);
  await pasteIntoEditor(page, editor, exerciseFile(EXERCISE, 'solution.ts'));
  const { report } = await submit(page);
  await expect(report.getByTestId('score')).toHaveText('26/26');

  // The instructor's dashboard counts it, lists it, and the CSV has the learner's grade.
  await t.goto(assignmentUrl);
  const dashboard = t.getByTestId('dashboard');
  await expect(dashboard).toContainText(
    '1 learners · 1 attempted · 1 completed every exercise · 1 submissions',
  );
  await expect(dashboard).toContainText('pass rate 100%');
  await expect(t.getByTestId('recent-submissions').getByRole('listitem')).toHaveCount(1);
  await expect(t.getByTestId('recent-submissions')).toContainText('26/26');
  const csv = await t.request.get(`/api${assignmentUrl}/grades`);
  expect(csv.status()).toBe(200);
  expect(csv.headers()['content-type']).toContain('text/csv');
  const [header, row, ...rest] = (await csv.text()).trimEnd().split('\n');
  expect(header).toBe('email,name,exercise,attempts,score,final_score,max_score,submitted_at_utc,late');
  expect(rest).toEqual([]);
  expect(row).toMatch(
    /^learner-[^,]+@example\.org,[^,]+,page-fault-handler,1,26,26,26,\d{4}-\d\d-\d\dT[^,]+Z,on time$/,
  );

  // The learner may not read the dashboard or the export.
  await page.goto(assignmentUrl);
  await expect(page.getByTestId('dashboard')).toHaveCount(0);
  expect((await page.request.get(`/api${assignmentUrl}/grades`)).status()).toBe(403);
  await teacher.context.close();
});

test('Run and Submit agree on the visible tests, and a failed test’s picture shows the page table', async ({
  page,
}) => {
  await signUpThroughUi(page);
  await page.goto(`/exercises/${EXERCISE}`);
  await monacoEditor(page);
  const run = await runVisibleTests(page);
  const runRows = await run
    .getByTestId('test-result')
    .evaluateAll((rows) =>
      rows.map(
        (r) => `${r.querySelector('.font-medium')?.textContent}: ${r.getAttribute('data-test-status')}`,
      ),
    );
  const { report } = await submit(page);
  const submitRows = await report
    .getByTestId('test-result')
    .evaluateAll((rows) =>
      rows
        .filter((r) => !r.textContent?.includes('hidden test'))
        .map((r) => `${r.querySelector('.font-medium')?.textContent}: ${r.getAttribute('data-test-status')}`),
    );
  expect(runRows.length).toBe(3);
  expect(submitRows).toEqual(runRows);

  await run.getByRole('button', { name: 'Show what the machine did' }).first().click();
  const picture = page.locator('[data-trace-ready=true]').first();
  await expect(picture).toBeVisible();
  await expect(page.getByText(/Page tables of app/)).toBeVisible();
  await expect(page.getByText('the walk faulted here')).toBeVisible();
});
