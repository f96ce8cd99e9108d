/**
 * The learner's submission history (/submissions) and a submission's page
 * (/submissions/[id]), in the browser with the pages' scripts running.
 */
import type { Page } from '@playwright/test';
import { CSRF, expect, gradedSubmission, signUpThroughApi, test } from '../support/fixtures.ts';
import { exerciseFile } from '../support/paths.ts';

const EXERCISE = 'page-fault-handler';

/** Errors thrown in the page (React's error boundary replaces the page with "This page couldn’t load"). */
function pageErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  return errors;
}

// The reader's zone is not the server's (UTC), so the converted time shows.
test.use({ timezoneId: 'Europe/Berlin' });

test('the history lists each submission with its verdict, and a submission’s page shows its code and report', async ({
  page,
}) => {
  const errors = pageErrors(page);
  await signUpThroughApi(page.request);
  const ids: string[] = [];
  for (const file of ['starter.ts', 'solution.ts']) {
    const created = await page.request.post('/api/submissions', {
      headers: CSRF,
      data: { exerciseId: EXERCISE, code: exerciseFile(EXERCISE, file) },
    });
    expect(created.status()).toBe(201);
    const { id } = (await created.json()) as { id: string };
    expect((await gradedSubmission(page.request, id)).status).toBe('graded');
    ids.push(id);
  }

  await page.goto('/submissions');
  const rows = page.getByTestId('history').getByRole('listitem');
  // Hydrated (the server's UTC time turns into the reader's zone), or broken: whichever comes first.
  await expect(
    rows
      .nth(0)
      .locator('time')
      .filter({ hasText: 'GMT+1' })
      .or(page.getByRole('heading', { name: 'This page couldn’t load' })),
  ).toBeVisible();
  expect(errors).toEqual([]);
  await expect(page.getByRole('heading', { level: 1, name: 'Your submissions' })).toBeVisible();
  await expect(rows).toHaveCount(2);
  // Newest first.
  await expect(rows.nth(0)).toContainText('passed · 26/26');
  await expect(rows.nth(1)).toContainText('failed tests · 0/26');

  await rows.nth(0).getByRole('link').click();
  await page.waitForURL(`**/submissions/${ids[1]}`);
  const report = page.getByRole('region', { name: 'Result' }).getByTestId('report');
  await expect(report).toHaveAttribute('data-status', 'pass');
  await expect(report.getByTestId('score')).toHaveText('26/26');
  expect(await page.getByTestId('submitted-code').textContent()).toBe(exerciseFile(EXERCISE, 'solution.ts'));
  expect(errors).toEqual([]);
});
