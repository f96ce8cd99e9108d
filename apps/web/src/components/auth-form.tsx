'use client';

import Link from 'next/link';
import { useRouter, useSearchParams } from 'next/navigation';
import { type FormEvent, useState } from 'react';
import { callApi } from '../client/api.ts';
import { safeNextPath } from '../client/next-path.ts';

type Mode = 'signin' | 'signup';
type Fields = Partial<Record<'email' | 'password' | 'displayName' | 'form', string>>;

export function AuthForm({ mode }: { mode: Mode }) {
  const router = useRouter();
  const next = safeNextPath(
    useSearchParams().get('next'),
    '/exercises',
    typeof window === 'undefined' ? undefined : window.location.origin,
  );
  const [problems, setProblems] = useState<Fields>({});
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const data = new FormData(event.currentTarget);
    setBusy(true);
    const result = await callApi(`/api/auth/${mode}`, {
      body: {
        email: data.get('email'),
        password: data.get('password'),
        ...(mode === 'signup' ? { displayName: data.get('displayName') } : {}),
      },
    });
    setBusy(false);
    if (result.kind === 'ok') {
      router.push(next);
      router.refresh();
      return;
    }
    const fields = (result.body.fields ?? {}) as Fields;
    setProblems({ ...fields, form: result.message });
  }

  const field = (
    name: 'email' | 'password' | 'displayName',
    label: string,
    type: string,
    autoComplete: string,
  ) => (
    <div className="flex flex-col gap-1">
      <label htmlFor={name} className="font-medium">
        {label}
      </label>
      <input
        id={name}
        name={name}
        type={type}
        required
        autoComplete={autoComplete}
        aria-invalid={problems[name] !== undefined}
        aria-describedby={problems[name] === undefined ? undefined : `${name}-problem`}
        className="rounded border border-slate-300 px-3 py-2 focus:border-indigo-600 focus:outline-none focus:ring-2 focus:ring-indigo-200"
      />
      {problems[name] !== undefined && (
        <p id={`${name}-problem`} className="text-sm text-red-700">
          {label} {problems[name]}
        </p>
      )}
    </div>
  );

  return (
    <form onSubmit={submit} className="flex flex-col gap-4" noValidate>
      {mode === 'signup' && field('displayName', 'Name', 'text', 'name')}
      {field('email', 'Email', 'email', 'email')}
      {field('password', 'Password', 'password', mode === 'signup' ? 'new-password' : 'current-password')}
      {problems.form !== undefined && (
        <p role="alert" className="rounded bg-red-50 p-3 text-sm text-red-800">
          {problems.form}
        </p>
      )}
      <button
        type="submit"
        disabled={busy}
        className="rounded bg-indigo-700 px-4 py-2 font-medium text-white hover:bg-indigo-800 disabled:opacity-60"
      >
        {mode === 'signup' ? 'Create account' : 'Sign in'}
      </button>
      <p className="text-sm text-slate-600">
        {mode === 'signup' ? (
          <>
            Have an account?{' '}
            <Link href={`/signin?next=${encodeURIComponent(next)}`} className="text-indigo-700 underline">
              Sign in
            </Link>
          </>
        ) : (
          <>
            New here?{' '}
            <Link href={`/signup?next=${encodeURIComponent(next)}`} className="text-indigo-700 underline">
              Create an account
            </Link>
          </>
        )}
      </p>
    </form>
  );
}
