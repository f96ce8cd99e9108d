import { JoinCourseForm } from '../../../components/course-forms.tsx';
import { getDb } from '../../../server/db.ts';
import { requireUser } from '../../../server/session.ts';

export const metadata = { title: 'Join a course' };

/** A join link: it shows which course it is and asks before joining (a link alone changes nothing). */
export default async function JoinLink({ params }: { params: Promise<{ code: string }> }) {
  const { code } = await params;
  await requireUser(`/join/${encodeURIComponent(code)}`);
  const course = await (await getDb()).courses.byJoinCode(code);
  return (
    <main className="mx-auto max-w-md px-4 py-12">
      <h1 className="mb-4 text-2xl font-bold">
        {course === null ? 'Join a course' : `Join “${course.title}”`}
      </h1>
      {course === null && (
        <p role="alert" className="mb-4 rounded bg-amber-50 p-3 text-amber-900">
          This link’s code matches no course. Check it with your instructor, or type the code below.
        </p>
      )}
      <JoinCourseForm initialCode={course === null ? '' : course.joinCode} />
    </main>
  );
}
