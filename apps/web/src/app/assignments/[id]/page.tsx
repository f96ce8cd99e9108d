import type { AssignmentStats, Db, User } from '@faultline/db';
import Link from 'next/link';
import { notFound } from 'next/navigation';
import { LocalTime } from '../../../components/local-time.tsx';
import { hiddenTestsWords, latePolicyWords } from '../../../components/policy-words.ts';
import { VerdictBadge } from '../../../components/verdict-badge.tsx';
import { assignmentAccess } from '../../../server/courses.ts';
import { getDb } from '../../../server/db.ts';
import { currentExercises } from '../../../server/exercises.ts';
import { requireUser } from '../../../server/session.ts';

export const metadata = { title: 'Assignment' };

const percent = (share: number | null) => (share === null ? '–' : `${Math.round(share * 100)}%`);

export default async function AssignmentPage({
  params,
  searchParams,
}: {
  params: Promise<{ id: string }>;
  searchParams: Promise<{ learner?: string; exercise?: string }>;
}) {
  const { id } = await params;
  const filter = await searchParams;
  const user = await requireUser(`/assignments/${encodeURIComponent(id)}`);
  const db = await getDb();
  const access = await assignmentAccess(db, id, user, Date.now());
  if (access.kind === 'none') notFound();
  const { assignment, course } = access;
  const titles = new Map((await currentExercises(db)).map((e) => [e.id, e.meta.title]));
  return (
    <main className="mx-auto max-w-6xl px-4 py-8">
      <p className="text-sm text-slate-600">
        <Link href={`/courses/${course.id}`} className="text-indigo-700 underline">
          {course.title}
        </Link>
      </p>
      <h1 className="text-2xl font-bold">{assignment.title}</h1>
      <p className="mt-1 text-slate-700">
        Due <LocalTime at={assignment.dueAt} />. {latePolicyWords(assignment.latePolicy)}{' '}
        {hiddenTestsWords(assignment.hiddenTests)}
      </p>
      {access.kind === 'learner' ? (
        <LearnerView
          db={db}
          user={user}
          assignmentId={id}
          exerciseIds={assignment.exerciseIds}
          titles={titles}
        />
      ) : (
        <InstructorView db={db} assignmentId={id} titles={titles} filter={filter} />
      )}
    </main>
  );
}

async function LearnerView(props: {
  db: Db;
  user: User;
  assignmentId: string;
  exerciseIds: readonly string[];
  titles: ReadonlyMap<string, string>;
}) {
  const mine = await props.db.submissions.listForUser(props.user.id, { assignmentId: props.assignmentId });
  return (
    <ol className="mt-6 divide-y divide-slate-200 rounded border border-slate-200 bg-white">
      {props.exerciseIds.map((exerciseId) => {
        const latest = mine.find((s) => s.exerciseId === exerciseId);
        return (
          <li key={exerciseId} className="flex flex-wrap items-center gap-3 p-3">
            <Link
              href={`/exercises/${exerciseId}?assignment=${props.assignmentId}`}
              className="font-medium text-indigo-800 hover:underline"
            >
              {props.titles.get(exerciseId) ?? exerciseId}
            </Link>
            {latest === undefined ? (
              <span className="text-sm text-slate-500">not submitted</span>
            ) : (
              <>
                <VerdictBadge submission={latest} />
                <Link href={`/submissions/${latest.id}`} className="text-sm text-indigo-700 underline">
                  latest
                </Link>
              </>
            )}
          </li>
        );
      })}
    </ol>
  );
}

async function InstructorView(props: {
  db: Db;
  assignmentId: string;
  titles: ReadonlyMap<string, string>;
  filter: { learner?: string; exercise?: string };
}) {
  const { db, assignmentId, titles, filter } = props;
  const stats = (await db.dashboard.assignment(assignmentId)) as AssignmentStats;
  const recent = await db.submissions.recent({
    assignmentId,
    limit: 50,
    ...(filter.learner ? { userId: filter.learner } : {}),
    ...(filter.exercise ? { exerciseId: filter.exercise } : {}),
  });
  const learners = (await db.courses.members(stats.assignment.courseId)).filter((m) => m.role === 'learner');
  return (
    <div className="mt-6 flex flex-col gap-8" data-testid="dashboard">
      <section aria-labelledby="overview">
        <h2 id="overview" className="text-lg font-semibold">
          Class
        </h2>
        <p className="mt-1 text-slate-700">
          {stats.learners} learners · {stats.learnersAttempted} attempted · {stats.learnersCompleted}{' '}
          completed every exercise · {stats.attempts} submissions ·{' '}
          <a href={`/api/assignments/${assignmentId}/grades`} className="text-indigo-700 underline" download>
            Export grades (CSV)
          </a>
        </p>
      </section>
      {stats.exercises.map((x) => (
        <section
          key={x.exerciseId}
          aria-labelledby={`x-${x.exerciseId}`}
          className="rounded border border-slate-200 bg-white p-4"
        >
          <h3 id={`x-${x.exerciseId}`} className="font-semibold">
            {titles.get(x.exerciseId) ?? x.exerciseId}
          </h3>
          <p className="text-sm text-slate-700">
            {x.attempts} attempts by {x.learnersAttempted} learners · pass rate {percent(x.passRate)} · median
            attempts to pass {x.medianAttemptsToPass ?? '–'}
          </p>
          {x.tests.length > 0 && (
            <table className="mt-3 w-full text-sm">
              <caption className="text-left text-slate-600">Tests, most often failed first</caption>
              <thead>
                <tr className="text-left">
                  <th scope="col" className="py-1 pr-2">
                    Test
                  </th>
                  <th scope="col" className="py-1 pr-2">
                    Visibility
                  </th>
                  <th scope="col" className="py-1 pr-2">
                    Failed
                  </th>
                </tr>
              </thead>
              <tbody>
                {x.tests.map((t) => (
                  <tr key={t.name} className="border-t border-slate-100">
                    <td className="py-1 pr-2">{t.name}</td>
                    <td className="py-1 pr-2">{t.visibility}</td>
                    <td className="py-1 pr-2 tabular-nums">
                      {t.failed}/{t.runs} ({percent(t.failShare)})
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
      ))}
      <section aria-labelledby="recent">
        <h2 id="recent" className="text-lg font-semibold">
          Recent submissions
        </h2>
        <form className="mt-2 flex flex-wrap items-end gap-3" method="get">
          <label className="flex flex-col text-sm">
            Learner
            <select
              name="learner"
              defaultValue={filter.learner ?? ''}
              className="rounded border border-slate-300 px-2 py-1"
            >
              <option value="">everyone</option>
              {learners.map((m) => (
                <option key={m.user.id} value={m.user.id}>
                  {m.user.displayName} ({m.user.email})
                </option>
              ))}
            </select>
          </label>
          <label className="flex flex-col text-sm">
            Exercise
            <select
              name="exercise"
              defaultValue={filter.exercise ?? ''}
              className="rounded border border-slate-300 px-2 py-1"
            >
              <option value="">all</option>
              {stats.assignment.exerciseIds.map((e) => (
                <option key={e} value={e}>
                  {titles.get(e) ?? e}
                </option>
              ))}
            </select>
          </label>
          <button type="submit" className="rounded border border-slate-300 px-3 py-1">
            Filter
          </button>
        </form>
        <ol
          className="mt-3 divide-y divide-slate-200 rounded border border-slate-200 bg-white"
          data-testid="recent-submissions"
        >
          {recent.map((s) => (
            <li key={s.id} className="flex flex-wrap items-center gap-3 p-3">
              <span className="font-medium">{s.userDisplayName}</span>
              <span className="text-sm text-slate-600">{s.userEmail}</span>
              <Link href={`/submissions/${s.id}`} className="text-indigo-800 hover:underline">
                {titles.get(s.exerciseId) ?? s.exerciseId}
              </Link>
              <VerdictBadge submission={s} />
              {s.status === 'grading-failed' && (
                <span className="text-sm text-red-800">{s.failureReason}</span>
              )}
              <span className="ml-auto text-sm text-slate-600">
                <LocalTime at={s.createdAt} />
              </span>
            </li>
          ))}
          {recent.length === 0 && <li className="p-3 text-slate-600">No submissions match.</li>}
        </ol>
      </section>
    </div>
  );
}
