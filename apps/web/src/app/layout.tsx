import Link from 'next/link';
import type { ReactNode } from 'react';
import { SignOutButton } from '../components/sign-out-button.tsx';
import { currentUser } from '../server/session.ts';
import './globals.css';

export const metadata = {
  title: { default: 'Faultline', template: '%s · Faultline' },
  description: 'Learn how Linux virtual memory really works by writing the kernel’s memory-management code.',
};

export default async function RootLayout({ children }: { children: ReactNode }) {
  const user = await currentUser();
  const instructor = user !== null && user.role !== 'learner';
  return (
    <html lang="en">
      <body className="min-h-screen bg-slate-50 text-slate-900 antialiased">
        <a href="#main" className="sr-only focus:not-sr-only focus:absolute focus:p-2">
          Skip to content
        </a>
        <header className="border-b border-slate-200 bg-white">
          <nav
            aria-label="Main"
            className="mx-auto flex max-w-6xl flex-wrap items-center gap-x-6 gap-y-2 px-4 py-3"
          >
            <Link href="/" className="font-mono text-lg font-bold tracking-tight text-indigo-700">
              faultline
            </Link>
            {user !== null && (
              <>
                <Link href="/exercises" className="hover:underline">
                  Exercises
                </Link>
                <Link href="/courses" className="hover:underline">
                  Courses
                </Link>
                <Link href="/submissions" className="hover:underline">
                  History
                </Link>
                <Link href="/trace" className="hover:underline">
                  Scenarios
                </Link>
                {instructor && (
                  <Link href="/instructor" className="hover:underline">
                    Teach
                  </Link>
                )}
              </>
            )}
            <span className="ml-auto flex items-center gap-4 text-sm">
              {user === null ? (
                <>
                  <Link href="/signin" className="hover:underline">
                    Sign in
                  </Link>
                  <Link
                    href="/signup"
                    className="rounded bg-indigo-700 px-3 py-1.5 font-medium text-white hover:bg-indigo-800"
                  >
                    Sign up
                  </Link>
                </>
              ) : (
                <>
                  <span data-testid="signed-in-as" className="text-slate-600">
                    {user.displayName}
                    {instructor && (
                      <span className="ml-1 rounded bg-amber-100 px-1.5 text-xs text-amber-900">
                        {user.role}
                      </span>
                    )}
                  </span>
                  <SignOutButton />
                </>
              )}
            </span>
          </nav>
        </header>
        <div id="main">{children}</div>
      </body>
    </html>
  );
}
