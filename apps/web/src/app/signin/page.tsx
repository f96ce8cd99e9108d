import { Suspense } from 'react';
import { AuthForm } from '../../components/auth-form.tsx';

export const metadata = { title: 'Sign in' };

export default function Page() {
  return (
    <main className="mx-auto max-w-sm px-4 py-12">
      <h1 className="mb-6 text-2xl font-bold">Sign in</h1>
      <Suspense>
        <AuthForm mode="signin" />
      </Suspense>
    </main>
  );
}
