/**
 * Accounts beyond sign-up: an instructor made with `faultline user add`
 * (the only way to get one) signs in through the page and reads the
 * submissions of learners in a course they teach, and no one else's;
 * signing out ends the session.
 */

import {
  CSRF,
  createInstructor,
  expect,
  fillSignIn,
  gradedSubmission,
  signUpThroughApi,
  signUpThroughUi,
  test,
} from '../support/fixtures.ts';
import { exerciseFile } from '../support/paths.ts';

test('an instructor made with `faultline user add` signs in, and reads a learner’s submission in full once the learner is in their course', async ({
  page,
  request,
  server,
}) => {
  // The learner, in a request context of its own.
  await signUpThroughApi(request);
  const created = await request.post('/api/submissions', {
    headers: CSRF,
    data: { exerciseId: 'page-fault-handler', code: exerciseFile('page-fault-handler', 'starter.ts') },
  });
  expect(created.status()).toBe(201);
  const { id } = (await created.json()) as { id: string };

  const instructor = await createInstructor(server);
  await fillSignIn(page, instructor.email, instructor.password);
  await page.waitForURL('**/exercises');
  const nav = page.getByRole('navigation', { name: 'Main' });
  await expect(page.getByTestId('signed-in-as')).toHaveText(`${instructor.displayName}instructor`);
  await expect(nav.getByRole('link', { name: 'Teach' })).toBeVisible();

  // Not (yet) their learner: as for anyone else, no such submission.
  const before = await page.request.get(`/api/submissions/${id}`);
  expect(before.status()).toBe(404);

  const course = await page.request.post('/api/courses', {
    headers: CSRF,
    data: { title: 'Virtual memory' },
  });
  expect(course.status(), await course.text()).toBe(201);
  const { joinCode } = (await course.json()) as { joinCode: string };
  const joined = await request.post('/api/courses/join', { headers: CSRF, data: { code: joinCode } });
  expect(joined.status(), await joined.text()).toBe(200);

  // The learner sees hidden tests' names, points and hints, never their messages; their instructor sees everything.
  const learnerView = await gradedSubmission(request, id);
  const staffView = await gradedSubmission(page.request, id);
  if (learnerView.status !== 'graded' || staffView.status !== 'graded')
    throw new Error(`not graded: ${JSON.stringify([learnerView, staffView])}`);
  const hidden = (body: typeof learnerView) => body.report.tests.filter((t) => t.visibility === 'hidden');
  expect(hidden(learnerView).length).toBeGreaterThan(0);
  for (const t of hidden(learnerView)) {
    expect(t.status, t.name).not.toBe('pass');
    expect(t.message, t.name).toBe('');
    expect(t.hint, t.name).toBeTruthy();
  }
  for (const t of hidden(staffView)) expect(t.message, t.name).not.toBe('');
});

test('signing out ends the session', async ({ page }) => {
  const learner = await signUpThroughUi(page);
  await expect(
    page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Teach' }),
  ).toHaveCount(0);
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.waitForURL((url) => url.pathname === '/');
  await expect(page.getByRole('link', { name: 'Start learning' })).toBeVisible();
  await expect(page.getByTestId('signed-in-as')).toHaveCount(0);
  expect((await page.request.get('/api/submissions')).status()).toBe(401);
  // The old session is gone for good, not just its cookie: signing in again makes a new one.
  await fillSignIn(page, learner.email, learner.password);
  await page.waitForURL('**/exercises');
});
