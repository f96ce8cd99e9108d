import { notFound } from 'next/navigation';
import { Markdown } from '../../../components/markdown.tsx';
import { Workbench } from '../../../components/workbench.tsx';
import { getDb } from '../../../server/db.ts';
import { currentExercise } from '../../../server/exercises.ts';
import { requireUser } from '../../../server/session.ts';

export async function generateMetadata({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  const exercise = await currentExercise(await getDb(), id);
  return { title: exercise?.meta.title ?? 'Exercise' };
}

export default async function ExercisePage({
  params,
  searchParams,
}: {
  params: Promise<{ id: string }>;
  searchParams: Promise<{ assignment?: string }>;
}) {
  const { id } = await params;
  const { assignment } = await searchParams;
  const user = await requireUser(`/exercises/${encodeURIComponent(id)}`);
  const db = await getDb();
  const exercise = await currentExercise(db, id);
  if (exercise === null) notFound();
  const draft = await db.drafts.get(user.id, id);
  return (
    <main className="mx-auto grid max-w-[100rem] gap-6 px-4 py-6 lg:grid-cols-[minmax(0,2fr)_minmax(0,3fr)]">
      <article aria-label="Instructions" className="min-w-0 rounded border border-slate-200 bg-white p-5">
        <Markdown source={exercise.readme} />
      </article>
      <Workbench
        exerciseId={exercise.id}
        exerciseHash={exercise.hash}
        starter={exercise.starter}
        draft={draft?.code ?? null}
        assignmentId={assignment ?? null}
      />
    </main>
  );
}
