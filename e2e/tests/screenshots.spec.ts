/**
 * The main pages at a desktop and a phone width, saved as full-page
 * screenshots in e2e-artifacts/screenshots/ (<page>-<width>.png) for people
 * to look at. Each test checks what matters is there at that width: the key
 * elements are visible, the first ones without scrolling, and nothing makes
 * the page scroll sideways.
 */
import { join } from 'node:path';
import type { Locator, Page } from '@playwright/test';
import { expect, monacoEditor, signUpThroughApi, submit, test } from '../support/fixtures.ts';
import { ARTIFACTS } from '../support/paths.ts';

const VIEWPORTS = [
  { name: 'desktop', viewport: { width: 1280, height: 800 } },
  { name: 'mobile', viewport: { width: 390, height: 844 } },
] as const;

async function expectNoSidewaysScroll(page: Page): Promise<void> {
  const widths = await page.evaluate(() => ({
    content: document.documentElement.scrollWidth,
    viewport: window.innerWidth,
  }));
  expect(widths.content, 'the page is no wider than the viewport').toBeLessThanOrEqual(widths.viewport);
}

async function expectInFirstScreen(...elements: Locator[]): Promise<void> {
  for (const element of elements) {
    await expect(element).toBeVisible();
    await expect(element).toBeInViewport();
  }
}

for (const { name: width, viewport } of VIEWPORTS) {
  test.describe(`screenshots at ${width} width (${viewport.width}×${viewport.height})`, () => {
    test.use({ viewport });
    const shot = (page: Page, name: string) =>
      page.screenshot({ path: join(ARTIFACTS, 'screenshots', `${name}-${width}.png`), fullPage: true });

    test('landing page', async ({ page }) => {
      await page.goto('/');
      await expectInFirstScreen(
        page.getByRole('heading', { level: 1, name: 'Learn how Linux virtual memory really works.' }),
        page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Sign up' }),
      );
      await expect(page.getByRole('link', { name: 'Start learning' })).toBeVisible();
      await expect(page.getByRole('main').getByRole('link', { name: 'Sign in' })).toBeVisible();
      await expectNoSidewaysScroll(page);
      await shot(page, 'landing');
    });

    test('sign-up page', async ({ page }) => {
      await page.goto('/signup');
      await expectInFirstScreen(
        page.getByRole('heading', { level: 1, name: 'Create your account' }),
        page.getByLabel('Name'),
        page.getByLabel('Email'),
        page.getByLabel('Password'),
        page.getByRole('button', { name: 'Create account' }),
      );
      await expectNoSidewaysScroll(page);
      await shot(page, 'signup');
    });

    test('catalogue', async ({ page }) => {
      const learner = await signUpThroughApi(page.request);
      await page.goto('/exercises');
      const card = page.getByTestId('catalogue').getByRole('listitem').filter({ hasText: 'Demand paging' });
      await expectInFirstScreen(
        page.getByRole('heading', { level: 1, name: 'Exercises' }),
        card.getByRole('link', { name: 'Demand paging: the anonymous page fault' }),
      );
      await expect(card.getByTestId('progress')).toHaveText('Not started');
      await expect(page.getByTestId('signed-in-as')).toHaveText(learner.displayName);
      await expectNoSidewaysScroll(page);
      await shot(page, 'catalogue');
    });

    test('exercise page with a report', async ({ page }) => {
      await signUpThroughApi(page.request);
      await page.goto('/exercises/page-fault-handler');
      const instructions = page.getByRole('article', { name: 'Instructions' });
      await expectInFirstScreen(
        instructions.getByRole('heading', { level: 1, name: 'Demand paging: the anonymous page fault' }),
      );
      const editor = await monacoEditor(page);
      const { report } = await submit(page);
      await expect(report.getByTestId('score')).toHaveText('0/26');
      await expect(report.getByTestId('test-result')).toHaveCount(13);
      for (const element of [
        editor,
        page.getByRole('button', { name: 'Submit', exact: true }),
        page.getByRole('button', { name: 'Run visible tests' }),
        report.getByTestId('test-result').first(),
      ])
        await expect(element).toBeVisible();
      // The editor fits the width it is given.
      const box = await editor.boundingBox();
      expect(box?.width ?? 0).toBeLessThanOrEqual(viewport.width);
      await expectNoSidewaysScroll(page);
      await shot(page, 'exercise-with-report');
    });
  });
}
