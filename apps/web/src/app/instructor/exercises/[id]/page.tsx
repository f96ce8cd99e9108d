import { notFound } from 'next/navigation';
import { Markdown } from '../../../../components/markdown.tsx';
import { getDb } from '../../../../server/db.ts';
import { currentExercise } from '../../../../server/exercises.ts';
import { requireStaff } from '../../../../server/staff.ts';

export const metadata = { title: 'Preview' };

/** What learners see, then what they never do: the tests, hidden ones included, the reference solution and the mutants. */
export default async function Preview({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  await requireStaff(`/instructor/exercises/${encodeURIComponent(id)}`);
  const db = await getDb();
  const exercise = await currentExercise(db, id);
  if (exercise === null) notFound();
  const files = (await db.exercises.versionFiles(exercise.hash)) ?? {};
  const serverOnly = Object.keys(files)
    .filter((p) => p === 'solution.ts' || p.startsWith('tests/') || p.startsWith('mutants/'))
    .sort();
  return (
    <main className="mx-auto grid max-w-[100rem] gap-6 px-4 py-6 lg:grid-cols-2">
      <section
        aria-label="As a learner sees it"
        className="min-w-0 rounded border border-slate-200 bg-white p-5"
      >
        <p className="mb-3 rounded bg-amber-50 p-2 text-sm text-amber-900">
          Preview of version <span className="font-mono">{exercise.hash.slice(0, 12)}</span>: the learner sees
          this README and the starter below.
        </p>
        <Markdown source={exercise.readme} />
        <h2 className="mt-6 text-lg font-semibold">starter.ts</h2>
        <pre className="mt-2 overflow-auto rounded bg-slate-900 p-3 font-mono text-sm text-slate-100">
          {exercise.starter}
        </pre>
      </section>
      <section aria-label="Server-only files" className="min-w-0">
        <h2 className="text-lg font-semibold">
          Tests, reference solution and mutants (never sent to learners)
        </h2>
        {serverOnly.map((path) => (
          <details
            key={path}
            className="mt-3 rounded border border-slate-200 bg-white"
            open={path === 'tests/hidden.ts'}
          >
            <summary className="cursor-pointer p-2 font-mono text-sm">{path}</summary>
            <pre className="overflow-auto bg-slate-900 p-3 font-mono text-xs text-slate-100">
              {files[path]}
            </pre>
          </details>
        ))}
      </section>
    </main>
  );
}
