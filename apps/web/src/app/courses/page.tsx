import Link from 'next/link';
import { CreateCourseForm, JoinCourseForm } from '../../components/course-forms.tsx';
import { getDb } from '../../server/db.ts';
import { requireUser } from '../../server/session.ts';
import { isStaff } from '../../server/visible-report.ts';

export const metadata = { title: 'Courses' };

export default async function Courses() {
  const user = await requireUser('/courses');
  const db = await getDb();
  const mine = await db.courses.forUser(user.id);
  return (
    <main className="mx-auto grid max-w-5xl gap-8 px-4 py-8 md:grid-cols-[2fr_1fr]">
      <section aria-labelledby="my-courses">
        <h1 id="my-courses" className="text-2xl font-bold">
          Your courses
        </h1>
        {mine.length === 0 ? (
          <p className="mt-4 text-slate-600">
            You are not in a course yet. Join one with the code your instructor gave you.
          </p>
        ) : (
          <ul
            className="mt-4 divide-y divide-slate-200 rounded border border-slate-200 bg-white"
            data-testid="courses"
          >
            {mine.map(({ course, role }) => (
              <li key={course.id} className="flex items-center justify-between p-3">
                <Link href={`/courses/${course.id}`} className="font-medium text-indigo-800 hover:underline">
                  {course.title}
                </Link>
                <span className="text-sm text-slate-600">
                  {role === 'instructor' ? 'you teach' : 'you learn'}
                </span>
              </li>
            ))}
          </ul>
        )}
      </section>
      <aside className="flex flex-col gap-8">
        <section aria-labelledby="join">
          <h2 id="join" className="mb-2 text-lg font-semibold">
            Join a course
          </h2>
          <JoinCourseForm />
        </section>
        {isStaff(user) && (
          <section aria-labelledby="create">
            <h2 id="create" className="mb-2 text-lg font-semibold">
              Start a course
            </h2>
            <CreateCourseForm />
          </section>
        )}
      </aside>
    </main>
  );
}
