'use client';

import { useRouter } from 'next/navigation';
import { callApi } from '../client/api.ts';

export function SignOutButton() {
  const router = useRouter();
  return (
    <button
      type="button"
      className="text-slate-600 hover:underline"
      onClick={async () => {
        await callApi('/api/auth/signout', { method: 'POST' });
        router.push('/');
        router.refresh();
      }}
    >
      Sign out
    </button>
  );
}
