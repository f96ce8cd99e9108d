import Link from 'next/link';
import { getDb } from '../../server/db.ts';
import { currentExercises } from '../../server/exercises.ts';
import { requireUser } from '../../server/session.ts';

export const metadata = { title: 'Exercises' };

const DIFFICULTY: Record<string, string> = { intro: 'Intro', easy: 'Easy', medium: 'Medium', hard: 'Hard' };

export default async function Catalogue() {
  const user = await requireUser('/exercises');
  const db = await getDb();
  const [exercises, progress] = await Promise.all([
    currentExercises(db),
    db.submissions.bestByExercise(user.id),
  ]);
  const best = new Map(progress.map((p) => [p.exerciseId, p]));
  const titles = new Map(exercises.map((e) => [e.id, e.meta.title]));
  return (
    <main className="mx-auto max-w-6xl px-4 py-8">
      <h1 className="text-2xl font-bold">Exercises</h1>
      <p className="mt-1 text-slate-600">
        Each one is a piece of the kernel for you to write. Start at the top.
      </p>
      <ul className="mt-6 grid gap-4 md:grid-cols-2" data-testid="catalogue">
        {exercises.map((exercise) => {
          const mine = best.get(exercise.id);
          const done = mine?.passed === true;
          return (
            <li
              key={exercise.id}
              className="flex flex-col gap-2 rounded border border-slate-200 bg-white p-4"
            >
              <div className="flex items-baseline justify-between gap-2">
                <h2 className="text-lg font-semibold">
                  <Link href={`/exercises/${exercise.id}`} className="text-indigo-800 hover:underline">
                    {exercise.meta.title}
                  </Link>
                </h2>
                <span className="rounded bg-slate-100 px-2 text-sm text-slate-700">
                  {DIFFICULTY[exercise.meta.difficulty] ?? exercise.meta.difficulty}
                </span>
              </div>
              <p className="text-slate-700">{exercise.meta.summary}</p>
              <p className="text-sm text-slate-600">
                {exercise.meta.points} points
                {exercise.meta.prerequisites.length > 0 && (
                  <> · after {exercise.meta.prerequisites.map((p) => titles.get(p) ?? p).join(', ')}</>
                )}
              </p>
              <p className="text-sm" data-testid="progress">
                {mine === undefined ? (
                  <span className="text-slate-500">Not started</span>
                ) : (
                  <span className={done ? 'text-emerald-800' : 'text-amber-800'}>
                    {done ? 'Solved' : 'In progress'} · best {mine.bestScore ?? '–'}/
                    {mine.maxScore ?? exercise.meta.points} after {mine.attempts} attempt
                    {mine.attempts === 1 ? '' : 's'}
                  </span>
                )}
              </p>
            </li>
          );
        })}
      </ul>
      {exercises.length === 0 && <p className="mt-6 text-slate-600">No exercises are installed yet.</p>}
    </main>
  );
}
