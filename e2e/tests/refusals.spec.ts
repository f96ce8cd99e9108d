/**
 * What the app refuses, and that it says why: requests without a session,
 * cross-site state changes (no CSRF header, a foreign Origin), code over the
 * size limit, another learner's submission, a wrong password. API calls go
 * through `page.request`, which carries the browser's own cookies.
 */

import {
  CSRF,
  expect,
  fillSignIn,
  monacoEditor,
  newAccount,
  pasteIntoEditor,
  signUpThroughApi,
  test,
} from '../support/fixtures.ts';
import { exerciseFile } from '../support/paths.ts';

const EXERCISE = 'page-fault-handler';
const starter = exerciseFile(EXERCISE, 'starter.ts');

test('without a session the API answers 401 and pages send the visitor to sign in', async ({
  request,
  page,
}) => {
  // `request` has a cookie jar of its own: no session.
  for (const [method, path] of [
    ['GET', '/api/submissions'],
    ['GET', '/api/submissions/00000000-0000-0000-0000-000000000000?wait=1'],
    ['GET', `/api/drafts/${EXERCISE}`],
    ['POST', '/api/submissions'],
    ['PUT', `/api/drafts/${EXERCISE}`],
  ] as const) {
    const response = await request.fetch(path, {
      method,
      headers: CSRF,
      ...(method === 'GET' ? {} : { data: { exerciseId: EXERCISE, code: starter } }),
    });
    expect(response.status(), `${method} ${path}`).toBe(401);
    expect(await response.json()).toEqual({ error: 'Sign in first: this needs an account.' });
  }
  await page.goto(`/exercises/${EXERCISE}`);
  await page.waitForURL(`**/signin?next=${encodeURIComponent(`/exercises/${EXERCISE}`)}`);
  await expect(page.getByRole('heading', { level: 1, name: 'Sign in' })).toBeVisible();
});

test('a state change without the x-faultline-request header is refused with 403', async ({ page }) => {
  await signUpThroughApi(page.request);
  const submitted = await page.request.post('/api/submissions', {
    data: { exerciseId: EXERCISE, code: starter },
  });
  expect(submitted.status()).toBe(403);
  expect(((await submitted.json()) as { error: string }).error).toContain(
    'the x-faultline-request header is missing',
  );
  const draft = await page.request.put(`/api/drafts/${EXERCISE}`, { data: { code: 'stolen' } });
  expect(draft.status()).toBe(403);
  const signOut = await page.request.post('/api/auth/signout');
  expect(signOut.status()).toBe(403);
  // Nothing happened: no submission, no draft, still signed in.
  const list = await page.request.get('/api/submissions');
  expect(list.status()).toBe(200);
  expect(((await list.json()) as { submissions: unknown[] }).submissions).toEqual([]);
  expect(await (await page.request.get(`/api/drafts/${EXERCISE}`)).json()).toEqual({ code: null });
});

test('a state change from another origin is refused with 403', async ({ page, baseURL }) => {
  await signUpThroughApi(page.request);
  for (const origin of ['http://evil.example', 'null', baseURL!.replace('127.0.0.1', 'localhost')]) {
    const response = await page.request.post('/api/submissions', {
      headers: { ...CSRF, origin },
      data: { exerciseId: EXERCISE, code: starter },
    });
    expect(response.status(), origin).toBe(403);
    expect(await response.json()).toEqual({ error: 'This request came from another site.' });
  }
  const draft = await page.request.put(`/api/drafts/${EXERCISE}`, {
    headers: { ...CSRF, origin: 'http://evil.example' },
    data: { code: 'x' },
  });
  expect(draft.status()).toBe(403);
  // The same request from the app's own origin is taken.
  const own = await page.request.put(`/api/drafts/${EXERCISE}`, {
    headers: { ...CSRF, origin: baseURL! },
    data: { code: '// mine' },
  });
  expect(own.status()).toBe(200);
  expect(await (await page.request.get(`/api/drafts/${EXERCISE}`)).json()).toEqual({ code: '// mine' });
});

test('code over 64 KiB is refused with 413 and a message that says the limit', async ({ page }) => {
  await signUpThroughApi(page.request);
  // One byte over: 64 KiB + 1.
  const tooBig = `//${'x'.repeat(64 * 1024 - 1)}`;
  expect(Buffer.byteLength(tooBig)).toBe(64 * 1024 + 1);
  const response = await page.request.post('/api/submissions', {
    headers: CSRF,
    data: { exerciseId: EXERCISE, code: tooBig },
  });
  expect(response.status()).toBe(413);
  expect(await response.json()).toEqual({
    error: 'Your code is too large: at most 64 KiB of code is accepted.',
  });
  // A body far past the limit is cut off while it is read, with the same kind of answer.
  const huge = await page.request.post('/api/submissions', {
    headers: CSRF,
    data: { exerciseId: EXERCISE, code: 'x'.repeat(1024 * 1024) },
  });
  expect(huge.status()).toBe(413);
  expect(((await huge.json()) as { error: string }).error).toMatch(/too large: at most \d+ KiB is accepted/);

  await test.step('on the exercise page, Submit shows the refusal', async () => {
    await page.goto(`/exercises/${EXERCISE}`);
    const editor = await monacoEditor(page);
    await pasteIntoEditor(page, editor, tooBig);
    await page.getByRole('button', { name: 'Submit', exact: true }).click();
    await expect(page.getByRole('main').getByRole('alert')).toHaveText(
      'Your code is too large: at most 64 KiB of code is accepted.',
    );
    await expect(page.getByRole('button', { name: 'Submit', exact: true })).toBeEnabled();
  });
  const list = await page.request.get('/api/submissions');
  expect(((await list.json()) as { submissions: unknown[] }).submissions).toEqual([]);
});

test("a learner asking for another learner's submission gets 404, as for one that does not exist", async ({
  page,
  browser,
  baseURL,
}) => {
  await signUpThroughApi(page.request);
  const created = await page.request.post('/api/submissions', {
    headers: CSRF,
    data: { exerciseId: EXERCISE, code: starter },
  });
  expect(created.status()).toBe(201);
  const { id } = (await created.json()) as { id: string };
  const mine = await page.request.get(`/api/submissions/${id}`);
  expect(mine.status()).toBe(200);
  const ownPage = await page.request.get(`/submissions/${id}`);
  expect(ownPage.status()).toBe(200);
  expect(await ownPage.text()).toContain('anonymousFault is not implemented yet');

  const other = await browser.newContext({ baseURL: baseURL! });
  try {
    await signUpThroughApi(other.request, newAccount('Other'));
    const theirs = await other.request.get(`/api/submissions/${id}?wait=1`);
    expect(theirs.status()).toBe(404);
    const body = (await theirs.json()) as Record<string, unknown>;
    expect(body).toEqual({ error: 'There is no such submission, or it is not yours.' });
    const missing = await other.request.get('/api/submissions/00000000-0000-0000-0000-000000000000');
    expect(missing.status()).toBe(404);
    expect(await missing.json()).toEqual(body);
    const list = await other.request.get('/api/submissions');
    expect(((await list.json()) as { submissions: unknown[] }).submissions).toEqual([]);
    // The submission's page is a 404 too, with nothing of the code in it.
    const otherPage = await other.newPage();
    const shown = await otherPage.goto(`/submissions/${id}`);
    expect(shown?.status()).toBe(404);
    await expect(otherPage.getByTestId('submitted-code')).toHaveCount(0);
    expect(await otherPage.content()).not.toContain('anonymousFault is not implemented yet');
  } finally {
    await other.close();
  }
});

test('signing in with a wrong password says so on the page; the right one gets in', async ({
  page,
  request,
}) => {
  // Made through a request context of its own, so the page starts signed out.
  const account = await signUpThroughApi(request);
  await fillSignIn(page, account.email, 'not the password at all');
  await expect(page.getByRole('main').getByRole('alert')).toHaveText(
    'That email and password do not match an account.',
  );
  await expect(page).toHaveURL(/\/signin$/);
  await expect(page.getByTestId('signed-in-as')).toHaveCount(0);

  await fillSignIn(page, `nobody-${account.email}`, account.password);
  await expect(page.getByRole('main').getByRole('alert')).toHaveText(
    'That email and password do not match an account.',
  );

  await fillSignIn(page, account.email, account.password);
  await page.waitForURL('**/exercises');
  await expect(page.getByTestId('signed-in-as')).toHaveText(account.displayName);
});

test('sign-up names the field that needs another look', async ({ page }) => {
  const account = newAccount();
  await page.goto('/signup');
  await page.getByLabel('Name').fill(account.displayName);
  await page.getByLabel('Email').fill('not-an-email');
  await page.getByLabel('Password').fill('short');
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page.getByRole('main').getByRole('alert')).toHaveText('Some fields need another look.');
  const password = page.getByLabel('Password');
  await expect(password).toHaveAttribute('aria-invalid', 'true');
  await expect(password).toHaveAccessibleDescription('Password must be at least 10 characters');
  await expect(page.getByLabel('Email')).toHaveAccessibleDescription(/^Email must be an email address/);
  await expect(page).toHaveURL(/\/signup$/);
});
