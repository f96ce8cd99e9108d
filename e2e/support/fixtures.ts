/**
 * The tests' fixtures: one built app per test worker (`server`, shared by
 * every test of the worker, each of which signs up learners of its own so
 * they never see each other's work), `baseURL` pointing at it, and the
 * server's log attached to any test that fails. Helpers for what many tests
 * do — sign up, sign in, make an instructor, drive the editor — are plain
 * functions next to it.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import {
  type APIRequestContext,
  test as base,
  expect,
  type Locator,
  type Page,
  type Response,
} from '@playwright/test';
import { REPO } from './paths.ts';
import { AppServer, type ServerOptions } from './server.ts';

export { expect } from '@playwright/test';
export { AppServer, type ServerOptions } from './server.ts';

/** The header the app's CSRF check asks of every state-changing request. */
export const CSRF = { 'x-faultline-request': '1' } as const;

export interface Account {
  readonly email: string;
  readonly password: string;
  readonly displayName: string;
}

/** A new account's details, unique to this run. */
export function newAccount(name = 'Learner'): Account {
  const id = randomUUID().slice(0, 8);
  return {
    email: `${name.toLowerCase().replaceAll(/[^a-z]/g, '')}-${id}@example.org`,
    password: `correct horse ${id} battery`,
    displayName: `${name} ${id}`,
  };
}

type WorkerFixtures = { server: AppServer };
type TestFixtures = {
  /** Starts a server of the test's own (its own data folder, environment, port), stopped and removed after the test. */
  startServer: (options?: ServerOptions) => Promise<AppServer>;
  serverLogOnFailure: undefined;
};

/** The worker's shared server, once a test has asked for it. */
let shared: AppServer | null = null;

export const test = base.extend<TestFixtures, WorkerFixtures>({
  server: [
    // biome-ignore lint/correctness/noEmptyPattern: Playwright's fixture signature
    async ({}, use) => {
      const server = await AppServer.start();
      shared = server;
      try {
        await use(server);
      } finally {
        shared = null;
        await server.dispose();
      }
    },
    { scope: 'worker', timeout: 120_000 },
  ],
  baseURL: async ({ server }, use) => {
    await use(server.url);
  },
  // biome-ignore lint/correctness/noEmptyPattern: Playwright's fixture signature
  startServer: async ({}, use, testInfo) => {
    const started: AppServer[] = [];
    await use(async (options) => {
      const server = await AppServer.start(options);
      started.push(server);
      return server;
    });
    for (const [i, server] of started.entries()) {
      if (testInfo.status !== testInfo.expectedStatus)
        await testInfo.attach(`own-server-${i + 1}.log`, { body: server.log(), contentType: 'text/plain' });
      await server.dispose();
    }
  },
  // Not tied to `server`, so a test that starts only servers of its own does not start the shared one.
  serverLogOnFailure: [
    // biome-ignore lint/correctness/noEmptyPattern: Playwright's fixture signature
    async ({}, use, testInfo) => {
      const server = shared;
      const before = server?.log().length ?? 0;
      await use(undefined);
      const log = (shared ?? server)?.log().slice(before) ?? '';
      if (testInfo.status !== testInfo.expectedStatus && log !== '')
        await testInfo.attach('server.log', { body: log, contentType: 'text/plain' });
    },
    { auto: true },
  ],
});

/** Signs up through the API; the session cookie lands in whatever context `request` belongs to (page.request: the browser's). */
export async function signUpThroughApi(request: APIRequestContext, account = newAccount()): Promise<Account> {
  const response = await request.post('/api/auth/signup', {
    headers: CSRF,
    data: { email: account.email, password: account.password, displayName: account.displayName },
  });
  expect(response.status(), await response.text()).toBe(201);
  return account;
}

/** Signs up through the sign-up form and waits for the catalogue it leads to. */
export async function signUpThroughUi(page: Page, account = newAccount()): Promise<Account> {
  await page.goto('/signup');
  await page.getByLabel('Name').fill(account.displayName);
  await page.getByLabel('Email').fill(account.email);
  await page.getByLabel('Password').fill(account.password);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.waitForURL('**/exercises');
  await expect(page.getByTestId('signed-in-as')).toHaveText(account.displayName);
  return account;
}

/** Fills in and sends the sign-in form (the caller checks where it leads). */
export async function fillSignIn(page: Page, email: string, password: string): Promise<void> {
  await page.goto('/signin');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/** An instructor account made as the README says: `faultline user add --role instructor --password-stdin`. */
export async function createInstructor(
  server: AppServer,
  account = newAccount('Instructor'),
): Promise<Account> {
  const cli = join(REPO, 'packages', 'cli', 'bin', 'faultline.mjs');
  const args = [
    'user',
    'add',
    '--role',
    'instructor',
    '--email',
    account.email,
    '--name',
    account.displayName,
  ];
  await new Promise<void>((resolve, reject) => {
    const child = execFile(
      process.execPath,
      [cli, ...args, '--database', server.databaseUrl, '--password-stdin'],
      { cwd: REPO },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`faultline user add failed: ${error.message}\n${stdout}${stderr}`));
        else resolve();
      },
    );
    child.stdin?.end(`${account.password}\n`);
  });
  return account;
}

/** The exercise page's editor, once Monaco has taken over from the plain text area. */
export async function monacoEditor(page: Page): Promise<Locator> {
  const editor = page.locator('[data-testid=editor][data-editor=monaco]');
  await expect(editor).toBeVisible();
  await expect(editor.locator('.view-lines')).toBeVisible();
  return editor;
}

/**
 * The code Monaco shows: its rendered lines (what fits in the editor) in
 * line order, with its non-breaking spaces as spaces.
 */
export async function shownCode(editor: Locator): Promise<string> {
  const lines = await editor
    .locator('.view-lines .view-line')
    .evaluateAll((nodes) =>
      nodes.map(
        (node) => [Number.parseFloat((node as HTMLElement).style.top) || 0, node.textContent ?? ''] as const,
      ),
    );
  return lines
    .sort((a, b) => a[0] - b[0])
    .map(([, text]) => text.replaceAll('\u00a0', ' '))
    .join('\n');
}

/**
 * Replaces the editor's text the way a learner pastes it: the text onto
 * the (headless browser's own) clipboard, a click into the editor,
 * Ctrl+A, Ctrl+V. Monaco inserts a paste verbatim — typing the text key by
 * key would add its auto-indent and closing brackets. Resolves with the
 * draft save that carries exactly `text`, which proves the editor holds it.
 */
export async function pasteIntoEditor(page: Page, editor: Locator, text: string): Promise<Response> {
  const { origin } = new URL(page.url());
  await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin });
  await page.evaluate((pasted) => navigator.clipboard.writeText(pasted), text);
  const saved = page.waitForRequest(
    (r) =>
      r.method() === 'PUT' &&
      new URL(r.url()).pathname.startsWith('/api/drafts/') &&
      (r.postDataJSON() as { code?: unknown }).code === text,
  );
  await editor.locator('.view-lines').click();
  await expect(editor.locator('textarea.inputarea, .native-edit-context').first()).toBeFocused();
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.press('ControlOrMeta+V');
  const response = await (await saved).response();
  if (response === null) throw new Error('the draft save got no response');
  return response;
}

/** The report of the page's latest Submit (the Run's report is another region). */
export function submissionReport(page: Page): Locator {
  return page.getByRole('region', { name: 'Submission', exact: true });
}

/** Clicks Submit and waits for the server's report; returns the submission's id and the report. */
export async function submit(page: Page): Promise<{ id: string; report: Locator }> {
  const created = page.waitForResponse(
    (r) => r.url().endsWith('/api/submissions') && r.request().method() === 'POST',
  );
  await page.getByRole('button', { name: 'Submit', exact: true }).click();
  const response = await created;
  expect(response.status(), await response.text()).toBe(201);
  const { id } = (await response.json()) as { id: string };
  const report = submissionReport(page);
  // The held GET returns once the grade is stored; the button comes back when the page has it.
  await expect(page.getByRole('button', { name: 'Submit', exact: true })).toBeEnabled();
  await expect(report).toBeVisible();
  await expect(report).toHaveAttribute('data-testid', 'report');
  return { id, report };
}

/**
 * Clicks "Run visible tests" and waits for that Run's report (the page
 * counts finished Runs in `data-runs`); returns the report.
 */
export async function runVisibleTests(page: Page): Promise<Locator> {
  const result = page.getByTestId('run-result');
  const before = Number((await result.count()) > 0 ? await result.getAttribute('data-runs') : 0);
  await page.getByRole('button', { name: 'Run visible tests' }).click();
  await expect(result).toHaveAttribute('data-runs', String(before + 1));
  return result.getByTestId('report');
}

/** What GET /api/submissions/[id] answers once the grade is in. */
export type SubmissionBody =
  | { status: 'graded'; report: ReportBody }
  | { status: 'failed'; message: string }
  | { status: 'pending' };

/** The parts of a grading report (schemaVersion 3) the tests read. */
export interface ReportBody {
  readonly status: string;
  readonly score: number;
  readonly maxScore: number;
  readonly tests: readonly {
    readonly name: string;
    readonly status: string;
    readonly visibility: string;
    readonly message: string;
    readonly hint?: string;
  }[];
}

/**
 * Asks for a submission until it is no longer pending. Each ask is held by
 * the server until the grade changes (or ten seconds pass), so this waits
 * on the grade, not on a clock.
 */
export async function gradedSubmission(request: APIRequestContext, id: string): Promise<SubmissionBody> {
  let body: SubmissionBody = { status: 'pending' };
  await expect
    .poll(
      async () => {
        const response = await request.get(`/api/submissions/${id}?wait=1`);
        expect(response.status(), await response.text()).toBe(200);
        body = (await response.json()) as SubmissionBody;
        return body.status;
      },
      { intervals: [0], message: `submission ${id} to be graded` },
    )
    .not.toBe('pending');
  return body;
}
