'use client';

/** The small forms of courses: create one, join one, add an assignment. Each shows the server's own words on a refusal. */
import { useRouter } from 'next/navigation';
import { type FormEvent, type ReactNode, useState } from 'react';
import { callApi } from '../client/api.ts';

function useAction() {
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  async function act<T>(path: string, body: unknown, then: (value: T) => void) {
    setBusy(true);
    setProblem(null);
    const result = await callApi<T>(path, { body });
    setBusy(false);
    if (result.kind === 'ok') then(result.value);
    else setProblem(result.message);
  }
  return { problem, busy, act };
}

function Problem({ text }: { text: string | null }) {
  if (text === null) return null;
  return (
    <p role="alert" className="rounded bg-red-50 p-2 text-sm text-red-800">
      {text}
    </p>
  );
}

const input =
  'rounded border border-slate-300 px-3 py-2 focus:border-indigo-600 focus:outline-none focus:ring-2 focus:ring-indigo-200';
const button =
  'rounded bg-indigo-700 px-4 py-2 font-medium text-white hover:bg-indigo-800 disabled:opacity-60';

function Field({ id, label, children }: { id: string; label: string; children: ReactNode }) {
  return (
    <div className="flex flex-col gap-1">
      <label htmlFor={id} className="text-sm font-medium">
        {label}
      </label>
      {children}
    </div>
  );
}

/** A form whose submission is one API call: its fields, the server's refusal in words, and its button. */
function ActionForm<T>({
  label,
  send,
  children,
}: {
  label: string;
  /** What to post, made from the form's fields, and what to do with the answer. */
  send: (data: FormData) => { path: string; body: unknown; onDone: (value: T) => void };
  children: ReactNode;
}) {
  const { problem, busy, act } = useAction();
  return (
    <form
      className="flex flex-col gap-3"
      onSubmit={(e: FormEvent<HTMLFormElement>) => {
        e.preventDefault();
        const { path, body, onDone } = send(new FormData(e.currentTarget));
        act<T>(path, body, onDone);
      }}
    >
      {children}
      <Problem text={problem} />
      <button type="submit" disabled={busy} className={`${button} self-start`}>
        {label}
      </button>
    </form>
  );
}

export function CreateCourseForm() {
  const router = useRouter();
  return (
    <ActionForm<{ id: string }>
      label="Create course"
      send={(data) => ({
        path: '/api/courses',
        body: { title: data.get('title') },
        onDone: ({ id }) => router.push(`/courses/${id}`),
      })}
    >
      <Field id="course-title" label="Course title">
        <input id="course-title" name="title" required maxLength={120} className={input} />
      </Field>
    </ActionForm>
  );
}

export function JoinCourseForm({ initialCode = '' }: { initialCode?: string }) {
  const router = useRouter();
  return (
    <ActionForm<{ courseId: string }>
      label="Join course"
      send={(data) => ({
        path: '/api/courses/join',
        body: { code: data.get('code') },
        onDone: ({ courseId }) => {
          router.push(`/courses/${courseId}`);
          router.refresh();
        },
      })}
    >
      <Field id="join-code" label="Join code">
        <input
          id="join-code"
          name="code"
          required
          defaultValue={initialCode}
          autoComplete="off"
          placeholder="e.g. BCDF-GHJK"
          className={`${input} font-mono uppercase`}
        />
      </Field>
    </ActionForm>
  );
}

export function NewAssignmentForm({
  courseId,
  exercises,
}: {
  courseId: string;
  exercises: readonly { id: string; title: string }[];
}) {
  const router = useRouter();
  const [late, setLate] = useState<'none' | 'accept' | 'refuse'>('none');
  return (
    <ActionForm<{ id: string }>
      label="Create assignment"
      send={(data) => {
        // datetime-local is the author's own local time; the browser knows its zone.
        const at = (name: string) => {
          const value = String(data.get(name) ?? '');
          return value === '' ? null : new Date(value).getTime();
        };
        return {
          path: `/api/courses/${courseId}/assignments`,
          body: {
            title: data.get('title'),
            exerciseIds: data.getAll('exercise'),
            releaseAt: at('release') ?? Date.now(),
            dueAt: at('due'),
            hiddenTests: data.get('hidden'),
            latePolicy:
              late === 'accept'
                ? { kind: 'accept', penaltyPercent: Number(data.get('penalty')) }
                : { kind: late },
          },
          onDone: ({ id }) => router.push(`/assignments/${id}`),
        };
      }}
    >
      <Field id="assignment-title" label="Title">
        <input id="assignment-title" name="title" required maxLength={120} className={input} />
      </Field>
      <fieldset className="flex flex-col gap-1">
        <legend className="text-sm font-medium">Exercises</legend>
        {exercises.map((x) => (
          <label key={x.id} className="flex items-center gap-2">
            <input type="checkbox" name="exercise" value={x.id} /> {x.title}
          </label>
        ))}
      </fieldset>
      <div className="grid gap-3 sm:grid-cols-2">
        <Field id="release" label="Released (your time; empty: now)">
          <input id="release" name="release" type="datetime-local" className={input} />
        </Field>
        <Field id="due" label="Due (your time)">
          <input id="due" name="due" type="datetime-local" required className={input} />
        </Field>
      </div>
      <Field id="hidden" label="What learners see of hidden tests">
        <select id="hidden" name="hidden" defaultValue="hints" className={input}>
          <option value="points">Points only</option>
          <option value="hints">Points and the author’s hints</option>
          <option value="messages-after-due">
            Hints, and the full messages after the due date (when late work is refused)
          </option>
        </select>
      </Field>
      <div className="grid gap-3 sm:grid-cols-2">
        <Field id="late" label="Late work">
          <select
            id="late"
            value={late}
            onChange={(e) => setLate(e.target.value as typeof late)}
            className={input}
          >
            <option value="none">Accepted, marked late</option>
            <option value="accept">Accepted with a penalty</option>
            <option value="refuse">Refused after the due date</option>
          </select>
        </Field>
        {late === 'accept' && (
          <Field id="penalty" label="Penalty (%)">
            <input
              id="penalty"
              name="penalty"
              type="number"
              min={0}
              max={100}
              defaultValue={10}
              className={input}
            />
          </Field>
        )}
      </div>
    </ActionForm>
  );
}
