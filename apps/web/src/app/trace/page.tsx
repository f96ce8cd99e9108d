/**
 * /trace — the picture of a scenario, public (it shows scenarios, never
 * anyone's work): `?scenario=cow-fork` opens a bundled scenario,
 * `?src=<YAML or JSON>` one's own text (size-capped), `&at=N` a moment of
 * it. Without either, the list of scenarios and a box to paste one. Bad
 * input is a message saying what is wrong. `data-trace-ready="true"` marks
 * the page ready for end-to-end tests, on a picture and on a message alike.
 */

import { headers } from 'next/headers';
import Link from 'next/link';
import type { ReactNode } from 'react';
import { getDb } from '../../server/db.ts';
import { rateLimited } from '../../server/limits.ts';
import { listScenarios, openBundled, scenarioTitle } from '../../trace/bundled.ts';
import { type Opened, openScenarioText, TRACE_LIMITS } from '../../trace/open.ts';
import { TraceView } from '../../trace/trace-view.tsx';

export const metadata = { title: 'What the machine did' };

type Search = Record<string, string | string[] | undefined>;

const first = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);

export default async function TracePage({ searchParams }: { searchParams: Promise<Search> }) {
  const params = await searchParams;
  const name = first(params.scenario);
  const src = first(params.src);
  const atText = first(params.at);
  const at = atText !== undefined && /^\d{1,6}$/.test(atText) ? Number(atText) : undefined;

  if (name === undefined && src === undefined) return <ScenarioIndex />;

  let opened: Opened;
  let title: string;
  let description: string | null = null;
  let text: string | null = null;
  if (src !== undefined) {
    const db = await getDb();
    const request = { headers: await headers() };
    const limited =
      (await rateLimited(db, request, 'traceSource')) ??
      (await rateLimited(db, request, 'traceSourceEveryone', 'everyone'));
    if (limited !== null)
      return <Problem title="Your scenario">{((await limited.json()) as { error: string }).error}</Problem>;
    opened = safely(() => openScenarioText(src));
    title = opened.kind === 'ok' ? (opened.recording.title ?? 'Your scenario') : 'Your scenario';
    text = src;
  } else {
    const bundled = await openBundled(name!);
    if (bundled === null) {
      const known = (await listScenarios()).map((s) => s.name);
      return (
        <Problem title="No such scenario">
          There is no bundled scenario called “{name}”.{' '}
          {known.length > 0 ? `The scenarios are: ${known.join(', ')}.` : ''}
        </Problem>
      );
    }
    opened = bundled.opened;
    title = bundled.title ?? name!;
    description = bundled.description;
    text = bundled.text;
  }
  if (opened.kind === 'err') return <Problem title={title}>{opened.message}</Problem>;

  return (
    <main
      className="mx-auto flex max-w-[100rem] flex-col gap-4 px-4 py-6"
      data-recorded-ms={opened.ms.toFixed(1)}
    >
      <nav aria-label="Breadcrumb" className="text-sm">
        <Link href="/trace" className="text-indigo-800 underline">
          Scenarios
        </Link>
      </nav>
      <TraceView
        input={{ kind: 'recording', recording: opened.recording }}
        start={at ?? 'start'}
        keys="page"
        syncUrl
        heading={title}
        headingLevel={1}
        {...(description !== null ? { subtitle: description } : {})}
      />
      {text !== null && (
        <details className="rounded border border-slate-200 bg-white p-3 text-sm">
          <summary className="cursor-pointer font-medium">The scenario’s text</summary>
          <pre className="mt-2 overflow-x-auto whitespace-pre font-mono text-xs">{text}</pre>
          {text.length <= TRACE_LIMITS.srcChars && (
            <Link
              href={`/trace?src=${encodeURIComponent(text)}`}
              className="mt-2 inline-block text-indigo-800 underline"
            >
              Open it as your own scenario, to edit
            </Link>
          )}
        </details>
      )}
    </main>
  );
}

/** A failure of ours (not the scenario's) is still a message, not a crash; the server log has it. */
function safely(open: () => Opened): Opened {
  try {
    return open();
  } catch (error) {
    console.error('faultline web: /trace could not record a scenario', error);
    return {
      kind: 'err',
      status: 422,
      message: 'The simulator failed on this scenario (a problem on our side, not in the scenario).',
    };
  }
}

function Problem({ title, children }: { title: string; children: ReactNode }) {
  return (
    <main
      className="mx-auto flex max-w-3xl flex-col gap-3 px-4 py-10"
      data-trace-ready="true"
      data-trace-error="true"
    >
      <h1 className="text-2xl font-semibold">{title}</h1>
      <p
        role="alert"
        className="whitespace-pre-wrap rounded border border-red-300 bg-red-50 p-3 text-red-950"
      >
        {children}
      </p>
      <p>
        <Link href="/trace" className="text-indigo-800 underline">
          See the bundled scenarios
        </Link>
      </p>
    </main>
  );
}

async function ScenarioIndex() {
  const scenarios = await listScenarios();
  const titled = await Promise.all(scenarios.map(async (s) => ({ ...s, title: await scenarioTitle(s) })));
  return (
    <main className="mx-auto flex max-w-3xl flex-col gap-6 px-4 py-8" data-trace-ready="true">
      <header>
        <h1 className="text-3xl font-bold tracking-tight">What the machine did</h1>
        <p className="mt-2 text-slate-700">
          Step through a run of the simulated machine: each access, TLB miss, page walk, fault and handler,
          with the process’s page tables and the physical frames redrawn at every step.
        </p>
      </header>
      <section aria-labelledby="bundled">
        <h2 id="bundled" className="text-lg font-semibold">
          Scenarios
        </h2>
        {titled.length === 0 ? (
          <p className="text-slate-700">No scenarios are installed.</p>
        ) : (
          <ul className="mt-2 flex flex-col divide-y divide-slate-200 rounded border border-slate-200 bg-white">
            {titled.map((s) => (
              <li key={s.name}>
                <Link
                  href={`/trace?scenario=${s.name}`}
                  className="flex flex-col px-3 py-2 hover:bg-slate-50"
                >
                  <span className="font-mono text-sm text-indigo-800">{s.name}</span>
                  {s.title !== null && <span className="text-sm text-slate-700">{s.title}</span>}
                </Link>
              </li>
            ))}
          </ul>
        )}
      </section>
      <section aria-labelledby="own">
        <h2 id="own" className="text-lg font-semibold">
          Your own scenario
        </h2>
        <form method="get" action="/trace" className="mt-2 flex flex-col gap-2">
          <label htmlFor="src" className="text-sm text-slate-700">
            A scenario in YAML or JSON (at most {TRACE_LIMITS.srcChars} characters, {TRACE_LIMITS.frames}{' '}
            frames, {TRACE_LIMITS.steps} steps; the step vocabulary is the CLI’s).
          </label>
          <textarea
            id="src"
            name="src"
            rows={10}
            maxLength={TRACE_LIMITS.srcChars}
            className="rounded border border-slate-300 bg-white p-2 font-mono text-sm"
            defaultValue={EXAMPLE}
          />
          <button
            type="submit"
            className="self-start rounded bg-indigo-700 px-4 py-1.5 font-medium text-white hover:bg-indigo-800"
          >
            Show what the machine does
          </button>
        </form>
      </section>
    </main>
  );
}

const EXAMPLE = `title: my first fault
steps:
  - spawn: { name: app }
  - mmap: { task: app, length: 8192, prot: rw-, as: buf }
  - read: { task: app, addr: buf }
  - write: { task: app, addr: buf, value: 1 }
`;
