import Link from 'next/link';
import { LocalTime } from '../../components/local-time.tsx';
import { UploadForm } from '../../components/upload-form.tsx';
import { getDb } from '../../server/db.ts';
import { currentExercises } from '../../server/exercises.ts';
import { requireStaff } from '../../server/staff.ts';

export const metadata = { title: 'Teach' };

export default async function InstructorHome() {
  const user = await requireStaff('/instructor');
  const db = await getDb();
  const [courses, exercises, uploads] = await Promise.all([
    db.courses.forUser(user.id),
    currentExercises(db),
    user.role === 'author' ? db.uploads.list({ limit: 20 }) : Promise.resolve([]),
  ]);
  const teaching = courses.filter((c) => c.role === 'instructor');
  return (
    <main className="mx-auto flex max-w-5xl flex-col gap-8 px-4 py-8">
      <section aria-labelledby="teaching">
        <h1 id="teaching" className="text-2xl font-bold">
          Your courses
        </h1>
        {teaching.length === 0 ? (
          <p className="mt-2 text-slate-600">
            None yet.{' '}
            <Link href="/courses" className="text-indigo-700 underline">
              Start a course
            </Link>
            .
          </p>
        ) : (
          <ul className="mt-2 list-disc pl-6">
            {teaching.map(({ course }) => (
              <li key={course.id}>
                <Link href={`/courses/${course.id}`} className="text-indigo-800 underline">
                  {course.title}
                </Link>
              </li>
            ))}
          </ul>
        )}
      </section>
      <section aria-labelledby="exercises">
        <h2 id="exercises" className="text-lg font-semibold">
          Exercises
        </h2>
        <ul className="mt-2 divide-y divide-slate-200 rounded border border-slate-200 bg-white">
          {exercises.map((e) => (
            <li key={e.id} className="flex flex-wrap items-center gap-3 p-3">
              <span className="font-medium">{e.meta.title}</span>
              <span className="font-mono text-xs text-slate-500">{e.hash.slice(0, 12)}</span>
              <Link
                href={`/instructor/exercises/${e.id}`}
                className="ml-auto text-sm text-indigo-700 underline"
              >
                Preview with hidden tests
              </Link>
            </li>
          ))}
        </ul>
      </section>
      {user.role === 'author' && (
        <section aria-labelledby="upload" className="max-w-2xl">
          <h2 id="upload" className="mb-2 text-lg font-semibold">
            Upload an exercise
          </h2>
          <UploadForm />
          {uploads.length > 0 && (
            <table className="mt-4 w-full text-sm">
              <caption className="text-left text-slate-600">Recent uploads</caption>
              <thead>
                <tr className="text-left">
                  <th scope="col">When</th>
                  <th scope="col">Exercise</th>
                  <th scope="col">Outcome</th>
                  <th scope="col">Content hash</th>
                </tr>
              </thead>
              <tbody>
                {uploads.map((u) => (
                  <tr key={u.id} className="border-t border-slate-100 align-top">
                    <td className="py-1 pr-2">
                      <LocalTime at={u.createdAt} />
                    </td>
                    <td className="py-1 pr-2">{u.exerciseId ?? '–'}</td>
                    <td className="py-1 pr-2">
                      {u.outcome === 'accepted' ? 'accepted' : `rejected: ${u.errors.join('; ')}`}
                    </td>
                    <td className="py-1 pr-2 font-mono text-xs">{u.contentHash.slice(0, 20)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
      )}
    </main>
  );
}
