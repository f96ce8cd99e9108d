import Link from 'next/link';
import { notFound } from 'next/navigation';
import { NewAssignmentForm } from '../../../components/course-forms.tsx';
import { LocalTime } from '../../../components/local-time.tsx';
import { courseAccess } from '../../../server/courses.ts';
import { getDb } from '../../../server/db.ts';
import { currentExercises } from '../../../server/exercises.ts';
import { requireUser } from '../../../server/session.ts';

export const metadata = { title: 'Course' };

export default async function CoursePage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  const user = await requireUser(`/courses/${encodeURIComponent(id)}`);
  const db = await getDb();
  const access = await courseAccess(db, id, user);
  if (access.kind === 'none') notFound();
  const now = Date.now();
  const all = await db.assignments.listForCourse(id);
  const assignments = access.kind === 'instructor' ? all : all.filter((a) => a.releaseAt <= now);
  const members = access.kind === 'instructor' ? await db.courses.members(id) : [];
  const exercises = access.kind === 'instructor' ? await currentExercises(db) : [];
  const learners = members.filter((m) => m.role === 'learner');
  return (
    <main className="mx-auto max-w-5xl px-4 py-8">
      <h1 className="text-2xl font-bold">{access.course.title}</h1>
      {access.kind === 'instructor' && (
        <p className="mt-2 text-slate-700" data-testid="join-code">
          Join code <span className="font-mono font-semibold">{access.course.joinCode}</span> · link{' '}
          <span className="font-mono">/join/{access.course.joinCode}</span> · {learners.length} learner
          {learners.length === 1 ? '' : 's'}
        </p>
      )}
      <section aria-labelledby="assignments" className="mt-6">
        <h2 id="assignments" className="text-lg font-semibold">
          Assignments
        </h2>
        {assignments.length === 0 ? (
          <p className="mt-2 text-slate-600">
            No assignments {access.kind === 'instructor' ? 'yet' : 'released yet'}.
          </p>
        ) : (
          <ul className="mt-2 divide-y divide-slate-200 rounded border border-slate-200 bg-white">
            {assignments.map((a) => (
              <li key={a.id} className="flex flex-wrap items-center gap-3 p-3">
                <Link href={`/assignments/${a.id}`} className="font-medium text-indigo-800 hover:underline">
                  {a.title}
                </Link>
                <span className="text-sm text-slate-600">
                  due <LocalTime at={a.dueAt} />
                </span>
                {a.releaseAt > now && (
                  <span className="text-sm text-amber-800">
                    released <LocalTime at={a.releaseAt} />
                  </span>
                )}
              </li>
            ))}
          </ul>
        )}
      </section>
      {access.kind === 'instructor' && (
        <section aria-labelledby="new-assignment" className="mt-8 max-w-2xl">
          <h2 id="new-assignment" className="mb-2 text-lg font-semibold">
            New assignment
          </h2>
          <NewAssignmentForm
            courseId={id}
            exercises={exercises.map((e) => ({ id: e.id, title: e.meta.title }))}
          />
        </section>
      )}
    </main>
  );
}
