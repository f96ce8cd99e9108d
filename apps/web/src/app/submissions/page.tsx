import Link from 'next/link';
import { LocalTime } from '../../components/local-time.tsx';
import { VerdictBadge } from '../../components/verdict-badge.tsx';
import { getDb } from '../../server/db.ts';
import { currentExercises } from '../../server/exercises.ts';
import { requireUser } from '../../server/session.ts';

export const metadata = { title: 'Your submissions' };

export default async function History({ searchParams }: { searchParams: Promise<{ exercise?: string }> }) {
  const { exercise } = await searchParams;
  const user = await requireUser('/submissions');
  const db = await getDb();
  const [submissions, exercises] = await Promise.all([
    db.submissions.listForUser(user.id, {
      limit: 200,
      ...(exercise === undefined ? {} : { exerciseId: exercise }),
    }),
    currentExercises(db),
  ]);
  const titles = new Map(exercises.map((e) => [e.id, e.meta.title]));
  return (
    <main className="mx-auto max-w-4xl px-4 py-8">
      <h1 className="text-2xl font-bold">Your submissions</h1>
      {exercise !== undefined && (
        <p className="mt-1 text-slate-600">
          For {titles.get(exercise) ?? exercise} ·{' '}
          <Link href="/submissions" className="text-indigo-700 underline">
            all exercises
          </Link>
        </p>
      )}
      {submissions.length === 0 ? (
        <p className="mt-6 text-slate-600">
          Nothing submitted yet.{' '}
          <Link href="/exercises" className="text-indigo-700 underline">
            Pick an exercise
          </Link>
          .
        </p>
      ) : (
        <ol
          className="mt-6 divide-y divide-slate-200 rounded border border-slate-200 bg-white"
          data-testid="history"
        >
          {submissions.map((s) => (
            <li key={s.id} className="flex flex-wrap items-center gap-3 p-3">
              <Link href={`/submissions/${s.id}`} className="font-medium text-indigo-800 hover:underline">
                {titles.get(s.exerciseId) ?? s.exerciseId}
              </Link>
              <VerdictBadge submission={s} />
              <span className="ml-auto text-sm text-slate-600">
                <LocalTime at={s.createdAt} />
              </span>
            </li>
          ))}
        </ol>
      )}
    </main>
  );
}
