/**
 * A learner's first session, end to end: sign up, the catalogue, the
 * page-fault-handler exercise (its README, the starter in Monaco), the
 * starter failing Run (visible tests, in the browser) and Submit, the
 * reference solution pasted in, passing Run and graded full marks, and
 * the draft still there after a reload.
 */

import {
  expect,
  monacoEditor,
  pasteIntoEditor,
  runVisibleTests,
  shownCode,
  signUpThroughUi,
  submit,
  test,
} from '../support/fixtures.ts';
import { exerciseFile } from '../support/paths.ts';

const EXERCISE = 'page-fault-handler';

test('a new learner signs up, fails with the starter, then passes with the solution, and the draft survives a reload', async ({
  page,
}) => {
  const solution = exerciseFile(EXERCISE, 'solution.ts');

  await test.step('sign up and land on the catalogue', async () => {
    await signUpThroughUi(page);
    await expect(page.getByRole('heading', { level: 1, name: 'Exercises' })).toBeVisible();
    const card = page.getByTestId('catalogue').getByRole('listitem').filter({ hasText: 'Demand paging' });
    await expect(card.getByTestId('progress')).toHaveText('Not started');
  });

  await test.step('open page-fault-handler: the README is rendered, the editor holds the starter', async () => {
    await page.getByRole('link', { name: 'Demand paging: the anonymous page fault' }).click();
    await page.waitForURL(`**/exercises/${EXERCISE}`);
    const instructions = page.getByRole('article', { name: 'Instructions' });
    await expect(
      instructions.getByRole('heading', { level: 1, name: 'Demand paging: the anonymous page fault' }),
    ).toBeVisible();
    await expect(instructions.getByRole('heading', { level: 2, name: 'What you implement' })).toBeVisible();
    // Markdown, not its source: the fenced code is a code block, the emphasis is markup.
    await expect(instructions.locator('pre code').first()).toContainText('export function anonymousFault');
    await expect(instructions).not.toContainText('```');
    await expect(instructions.locator('strong', { hasText: 'first touch' })).toBeVisible();
    const editor = await monacoEditor(page);
    await expect
      .poll(() => shownCode(editor))
      .toContain("throw new Error('anonymousFault is not implemented yet');");
  });

  await test.step('Run the starter in the browser: the visible tests fail', async () => {
    const report = await runVisibleTests(page);
    await expect(report).toHaveAttribute('data-status', 'fail');
    await expect(report.getByTestId('score')).toHaveText('0/6');
    await expect(report.getByTestId('test-result')).toHaveCount(3);
    await expect(report.getByTestId('test-result').first()).toContainText(
      'anonymousFault is not implemented yet',
    );
  });

  await test.step('Submit the starter: the report shows failing tests', async () => {
    const { report } = await submit(page);
    await expect(report).toHaveAttribute('data-status', 'fail');
    await expect(report.getByTestId('score')).toHaveText('0/26');
    const results = report.getByTestId('test-result');
    await expect(results).toHaveCount(13);
    await expect(report.locator('[data-testid=test-result][data-test-status=pass]')).toHaveCount(0);
    await expect(results.first()).toContainText('anonymousFault is not implemented yet');
  });

  await test.step('paste the reference solution: the draft saves exactly it', async () => {
    const editor = await monacoEditor(page);
    const saved = await pasteIntoEditor(page, editor, solution);
    expect(saved.status()).toBe(200);
    await expect(page.getByTestId('save-state')).toHaveText('Draft saved');
    await expect.poll(() => shownCode(editor)).toContain('kernel.clearPage(pfn);');
  });

  await test.step('Run the solution: the visible tests pass', async () => {
    const report = await runVisibleTests(page);
    await expect(report).toHaveAttribute('data-status', 'pass');
    await expect(report.getByTestId('score')).toHaveText('6/6');
  });

  await test.step('Submit the solution: full marks', async () => {
    const { report } = await submit(page);
    await expect(report).toHaveAttribute('data-status', 'pass');
    await expect(report.getByTestId('score')).toHaveText('26/26');
    await expect(report.locator('[data-testid=test-result][data-test-status=pass]')).toHaveCount(13);
  });

  await test.step('reload: the edited code is still there', async () => {
    await page.reload();
    const editor = await monacoEditor(page);
    await expect.poll(() => shownCode(editor)).toContain('kernel.clearPage(pfn);');
    expect(await shownCode(editor)).not.toContain('not implemented yet');
    const draft = await page.request.get(`/api/drafts/${EXERCISE}`);
    expect(((await draft.json()) as { code: string }).code).toBe(solution);
  });

  await test.step('the catalogue shows the exercise solved', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Exercises' }).click();
    const card = page.getByTestId('catalogue').getByRole('listitem').filter({ hasText: 'Demand paging' });
    await expect(card.getByTestId('progress')).toHaveText('Solved · best 26/26 after 2 attempts');
  });
});
