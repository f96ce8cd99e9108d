import Link from 'next/link';
import { redirect } from 'next/navigation';
import { currentUser } from '../server/session.ts';

export default async function Home() {
  if ((await currentUser()) !== null) redirect('/exercises');
  return (
    <main className="mx-auto max-w-3xl px-4 py-16">
      <h1 className="text-4xl font-bold tracking-tight">Learn how Linux virtual memory really works.</h1>
      <p className="mt-4 text-lg text-slate-700">
        Write the kernel’s memory-management code yourself — the page-fault handler, copy-on-write, the
        exception-table fixup behind <code className="font-mono">copy_from_user</code>, swap and reclaim — and
        watch a faithful simulation of the MMU, the TLB and a Linux-like kernel run it.
      </p>
      <ul className="mt-6 list-disc pl-6 text-slate-700">
        <li>Why is a write to a copy-on-write page a fault the process never sees?</li>
        <li>What do the bits of a page-fault error code mean?</li>
        <li>Why do kernel threads fault only in the vmalloc area?</li>
        <li>Why does copy_from_user exist, and what did SMAP and PAN change?</li>
      </ul>
      <div className="mt-8 flex gap-4">
        <Link
          href="/signup"
          className="rounded bg-indigo-700 px-4 py-2 font-medium text-white hover:bg-indigo-800"
        >
          Start learning
        </Link>
        <Link href="/signin" className="rounded border border-slate-300 px-4 py-2 font-medium hover:bg-white">
          Sign in
        </Link>
      </div>
    </main>
  );
}
