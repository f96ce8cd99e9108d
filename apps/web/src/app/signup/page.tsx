import { Suspense } from 'react';
import { AuthForm } from '../../components/auth-form.tsx';

export const metadata = { title: 'Create your account' };

export default function Page() {
  return (
    <main className="mx-auto max-w-sm px-4 py-12">
      <h1 className="mb-6 text-2xl font-bold">Create your account</h1>
      <Suspense>
        <AuthForm mode="signup" />
      </Suspense>
    </main>
  );
}
