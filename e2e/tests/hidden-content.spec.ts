/**
 * Hidden tests and reference solutions are server-only: nothing a learner's
 * browser receives — pages, scripts, API answers, the Run's visible-tests
 * bundle, a graded report, the instructor's preview page — holds a hidden
 * test's messages or code, a mutant, or the reference solution. The markers
 * are read from the exercise folder, and each is checked to be there first,
 * so a change to the exercise cannot quietly make this test vacuous.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Response } from '@playwright/test';
import {
  expect,
  monacoEditor,
  runVisibleTests,
  signUpThroughApi,
  submit,
  test,
} from '../support/fixtures.ts';
import { EXERCISES, exerciseFile } from '../support/paths.ts';

const EXERCISE = 'page-fault-handler';

/** Text only the server has: hidden tests' messages and code, a mutant's, the solution's. */
function secrets(): { from: string; text: string }[] {
  const hidden = exerciseFile(EXERCISE, 'tests/hidden.ts');
  const solution = exerciseFile(EXERCISE, 'solution.ts');
  const mutant = readFileSync(join(EXERCISES, EXERCISE, 'mutants', 'always-allocate.ts'), 'utf8');
  const picked = [
    { from: 'tests/hidden.ts', text: 'the number of free frames after the process exited' },
    { from: 'tests/hidden.ts', text: 'a third process reading untouched memory' },
    { from: 'tests/hidden.ts', text: 'its frames go back to the allocator' },
    { from: 'solution.ts', text: 'kernel.mapPage(mm, fault.address, kernel.zeroPfn(), { writable: false' },
    { from: 'solution.ts', text: "kernel's own referenceAnonymousFault does it" },
    { from: 'mutants/always-allocate.ts', text: 'Mutant: never uses the zero page' },
  ];
  const sources: Record<string, string> = {
    'tests/hidden.ts': hidden,
    'solution.ts': solution,
    'mutants/always-allocate.ts': mutant,
  };
  for (const { from, text } of picked) {
    expect(sources[from], `${from} still holds the marker ${JSON.stringify(text)}`).toContain(text);
    for (const visible of ['README.md', 'starter.ts', 'tests/visible.ts'])
      expect(exerciseFile(EXERCISE, visible), `${visible} does not hold it`).not.toContain(text);
  }
  return picked;
}

const TEXT_TYPES = /^(text\/|application\/(json|javascript|x-component|manifest)|image\/svg)/;

test('no hidden test, mutant or solution reaches the learner’s browser', async ({ page }) => {
  const markers = secrets();
  const bodies: { url: string; text: string }[] = [];
  const reads: Promise<void>[] = [];
  const keep = (response: Response) => {
    const type = response.headers()['content-type'] ?? '';
    if (!TEXT_TYPES.test(type) && !response.url().endsWith('.js')) return;
    reads.push(
      response
        .text()
        .then((text) => {
          bodies.push({ url: response.url(), text });
        })
        .catch(() => undefined), // a redirect or a body the page dropped: nothing arrived
    );
  };
  page.on('response', keep);

  await signUpThroughApi(page.request);
  await page.goto(`/exercises/${EXERCISE}`);
  await monacoEditor(page);
  const run = await runVisibleTests(page);
  await expect(run).toHaveAttribute('data-status', 'fail');
  const { id, report } = await submit(page);
  await expect(report.locator('[data-test-status]')).toHaveCount(13);
  await page.reload();
  await monacoEditor(page);
  // What the API gives the learner directly, and the instructor's preview, asked for by a learner.
  for (const path of [
    `/api/submissions/${id}`,
    `/api/drafts/${EXERCISE}`,
    '/api/submissions',
    `/instructor/exercises/${EXERCISE}`,
  ]) {
    const response = await page.request.get(path);
    bodies.push({ url: path, text: await response.text() });
  }
  page.off('response', keep);
  await Promise.all(reads);

  const urls = bodies.map((b) => new URL(b.url, 'http://x').pathname);
  expect(
    urls.some((u) => u.includes('/visible-tests')),
    'the Run fetched the visible tests',
  ).toBe(true);
  expect(
    urls.some((u) => u.endsWith('.js')),
    'scripts were looked at',
  ).toBe(true);
  const leaks = bodies.flatMap((body) =>
    markers.filter((m) => body.text.includes(m.text)).map((m) => `${body.url} holds ${m.from}: ${m.text}`),
  );
  expect(leaks).toEqual([]);
});
