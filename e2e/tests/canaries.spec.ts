/**
 * Canaries: string literals planted in an exercise's hidden test (in its
 * source and in the message it fails with) and in its reference solution
 * and a mutant must appear in nothing a learner can fetch — no built client
 * asset or source map on disk (apps/web/.next/static, apps/web/public), no
 * page, script or API answer a learner's browser receives while using the
 * exercise (Run, Submit, history, the submission's page, its trace page) —
 * while the same canaries are there for an instructor, which proves the
 * search would see them.
 *
 * The canary exercise is page-fault-handler with the canaries added,
 * written to a temporary folder that the server serves beside the
 * workspace's exercises.
 */
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Response } from '@playwright/test';
import {
  CSRF,
  createInstructor,
  expect,
  fillSignIn,
  gradedSubmission,
  monacoEditor,
  runVisibleTests,
  signUpThroughApi,
  submit,
  test,
} from '../support/fixtures.ts';
import { EXERCISES, REPO } from '../support/paths.ts';

const ID = 'canary-leak';
const CANARIES = {
  hiddenSource: 'FAULTLINE-CANARY-7f3a-HIDDEN-SOURCE',
  hiddenMessage: 'FAULTLINE-CANARY-7f3a-HIDDEN-MESSAGE',
  solution: 'FAULTLINE-CANARY-7f3a-SOLUTION',
  mutant: 'FAULTLINE-CANARY-7f3a-MUTANT',
} as const;

/** page-fault-handler with canaries, as a folder of its own; returns the folder of exercise folders. */
function canaryExercises(): string {
  const root = mkdtempSync(join(tmpdir(), 'faultline-canaries-'));
  const dir = join(root, ID);
  cpSync(join(EXERCISES, 'page-fault-handler'), dir, { recursive: true });
  const meta = JSON.parse(readFileSync(join(dir, 'exercise.json'), 'utf8'));
  writeFileSync(join(dir, 'exercise.json'), JSON.stringify({ ...meta, id: ID, title: 'Canary exercise' }));
  const hidden = readFileSync(join(dir, 'tests', 'hidden.ts'), 'utf8');
  const end = hidden.lastIndexOf('});');
  writeFileSync(
    join(dir, 'tests', 'hidden.ts'),
    `${hidden.slice(0, end)}  test('a canary', { points: 0, visibility: 'hidden', hint: 'A hint learners may read.' }, () => {
    const planted = '${CANARIES.hiddenSource}';
    throw new Error(\`${CANARIES.hiddenMessage} (\${planted.length})\`);
  });
${hidden.slice(end)}`,
  );
  const solution = readFileSync(join(dir, 'solution.ts'), 'utf8');
  writeFileSync(
    join(dir, 'solution.ts'),
    `${solution}\nconst planted = '${CANARIES.solution}';\nvoid planted;\n`,
  );
  const mutant = join(dir, 'mutants', 'always-allocate.ts');
  writeFileSync(mutant, `${readFileSync(mutant, 'utf8')}\n// ${CANARIES.mutant}\n`);
  return root;
}

function found(text: string): string[] {
  return Object.entries(CANARIES)
    .filter(([, canary]) => text.includes(canary))
    .map(([name]) => name);
}

/** Every file under `dir` (the build's client assets and source maps, the public folder). */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((f) => join(dir, f))
    .filter((f) => statSync(f).isFile());
}

let root: string;
test.beforeAll(() => {
  root = canaryExercises();
});
test.afterAll(() => rmSync(root, { recursive: true, force: true }));

test('no canary of a hidden test, a solution or a mutant reaches a learner; an instructor sees them', async ({
  browser,
  startServer,
}) => {
  const server = await startServer({ env: { FAULTLINE_EXERCISES: `${EXERCISES}:${root}` } });
  // The build on disk: every client asset and source map the app can serve.
  const web = join(REPO, 'apps', 'web');
  const assets = [...filesUnder(join(web, '.next', 'static')), ...filesUnder(join(web, 'public'))];
  expect(
    assets.some((f) => f.endsWith('.js')),
    'client scripts were looked at',
  ).toBe(true);
  for (const file of assets) expect(found(readFileSync(file).toString('latin1')), file).toEqual([]);

  // A learner using the exercise, every response their browser receives.
  const context = await browser.newContext({ baseURL: server.url });
  const page = await context.newPage();
  const bodies: { url: string; text: Promise<string> }[] = [];
  const keep = (response: Response) =>
    bodies.push({
      url: response.url(),
      text: response
        .body()
        .then((b) => b.toString('latin1'))
        .catch(() => ''),
    });
  page.on('response', keep);
  await signUpThroughApi(page.request);
  await page.goto('/exercises');
  await page.goto(`/exercises/${ID}`);
  await monacoEditor(page);
  await expect(await runVisibleTests(page)).toHaveAttribute('data-status', 'fail');
  const { id, report } = await submit(page);
  await expect(report.getByText('a canary')).toBeVisible();
  await expect(report.getByText('A hint learners may read.')).toBeVisible();
  await page.goto('/submissions');
  await page.goto(`/submissions/${id}`);
  for (const name of ['a canary', 'a recycled frame is cleared before it is mapped again'])
    await page.goto(`/trace/submission/${id}?test=${encodeURIComponent(name)}`);
  for (const path of [
    `/api/submissions/${id}`,
    `/api/submissions/${id}?wait=1`,
    '/api/submissions',
    `/api/drafts/${ID}`,
    `/instructor/exercises/${ID}`,
  ]) {
    const response = await page.request.get(path);
    bodies.push({ url: path, text: response.text() });
  }
  page.off('response', keep);
  const leaks: string[] = [];
  for (const body of bodies) for (const name of found(await body.text)) leaks.push(`${body.url}: ${name}`);
  expect(
    bodies.some((b) => b.url.includes('/visible-tests')),
    'the Run fetched the visible tests',
  ).toBe(true);
  expect(leaks).toEqual([]);
  await context.close();

  // The control: an instructor (the learner has joined their course) sees every canary.
  const instructor = await createInstructor(server);
  const staff = await browser.newContext({ baseURL: server.url });
  const staffPage = await staff.newPage();
  await staffPage.goto('/signin');
  await fillSignIn(staffPage, instructor.email, instructor.password);
  await staffPage.waitForURL(/\/exercises/);
  const preview = await (await staffPage.request.get(`/instructor/exercises/${ID}`)).text();
  // The hidden test's source holds its message's canary too.
  expect(found(preview).sort()).toEqual(['hiddenMessage', 'hiddenSource', 'mutant', 'solution']);
  const created = await staffPage.request.post('/api/submissions', {
    headers: CSRF,
    data: { exerciseId: ID, code: readFileSync(join(root, ID, 'starter.ts'), 'utf8') },
  });
  const own = (await created.json()) as { id: string };
  const graded = await gradedSubmission(staffPage.request, own.id);
  expect(found(JSON.stringify(graded))).toEqual(['hiddenMessage']);
  await staff.close();
});
