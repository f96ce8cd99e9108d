'use client';

/** An author uploads an exercise folder as a ZIP; a refusal lists each problem by file. */
import { useRouter } from 'next/navigation';
import { type FormEvent, useState } from 'react';
import { CSRF_HEADER } from '../client/api.ts';

type Outcome =
  | { kind: 'accepted'; exerciseId: string; changed: boolean }
  | { kind: 'rejected'; message: string; problems: { path: string; message: string }[] };

export function UploadForm() {
  const router = useRouter();
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<Outcome | null>(null);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const file = new FormData(event.currentTarget).get('archive');
    if (!(file instanceof File) || file.size === 0) {
      setOutcome({ kind: 'rejected', message: 'Choose a .zip of the exercise folder first.', problems: [] });
      return;
    }
    setBusy(true);
    setOutcome(null);
    try {
      const response = await fetch('/api/exercises/upload', {
        method: 'POST',
        headers: { 'content-type': 'application/zip', [CSRF_HEADER]: '1' },
        body: file,
      });
      const body = (await response.json().catch(() => ({}))) as Record<string, unknown>;
      if (response.ok) {
        setOutcome({ kind: 'accepted', exerciseId: String(body.exerciseId), changed: body.changed === true });
        router.refresh();
      } else
        setOutcome({
          kind: 'rejected',
          message: typeof body.error === 'string' ? body.error : `The server answered ${response.status}.`,
          problems: Array.isArray(body.problems)
            ? (body.problems as { path: string; message: string }[])
            : [],
        });
    } catch {
      setOutcome({ kind: 'rejected', message: 'The server could not be reached.', problems: [] });
    }
    setBusy(false);
  }

  return (
    <form onSubmit={submit} className="flex flex-col gap-3">
      <label htmlFor="archive" className="text-sm font-medium">
        Exercise folder as a .zip (validated like <code className="font-mono">faultline validate</code> before
        it is installed)
      </label>
      <input id="archive" name="archive" type="file" accept=".zip,application/zip" className="text-sm" />
      <button
        type="submit"
        disabled={busy}
        className="self-start rounded bg-indigo-700 px-4 py-2 font-medium text-white hover:bg-indigo-800 disabled:opacity-60"
      >
        {busy ? 'Validating…' : 'Upload and validate'}
      </button>
      <div aria-live="polite">
        {outcome?.kind === 'accepted' && (
          <p className="rounded bg-emerald-50 p-3 text-emerald-900">
            Installed {outcome.exerciseId}
            {outcome.changed ? ' as its new current version.' : ' (this exact version was already current).'}
          </p>
        )}
        {outcome?.kind === 'rejected' && (
          <div role="alert" className="rounded bg-red-50 p-3 text-red-900">
            <p>{outcome.message}</p>
            {outcome.problems.length > 0 && (
              <ul className="mt-2 list-disc pl-5 font-mono text-sm">
                {outcome.problems.map((p) => (
                  <li key={`${p.path}:${p.message}`}>
                    {p.path}: {p.message}
                  </li>
                ))}
              </ul>
            )}
          </div>
        )}
      </div>
    </form>
  );
}
