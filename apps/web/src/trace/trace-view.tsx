'use client';

/**
 * The picture of a run: a step-through timeline of what the machine did —
 * access, TLB miss, walk, fault, handler, retry — with the page-table tree
 * of an address space and the frame map redrawn at each stop. Back/Forward
 * buttons, a slider and the keyboard (← → events, Shift+← → steps, F / Shift+F
 * faults, Home / End) move through it; a live region says each event.
 *
 * Drawn from the paging format's descriptor, so it serves every format the
 * kernel runs on. With a bare trace (a report without states) it draws the
 * walks only and says so.
 */
import {
  type KeyboardEvent as ReactKeyboardEvent,
  type ReactNode,
  useCallback,
  useEffect,
  useMemo,
  useRef,
  useState,
} from 'react';
import { FrameLegend, FrameMap } from './frame-map.tsx';
import {
  buildTimeline,
  framesAt,
  initialStop,
  type Move,
  move,
  spaceName,
  spacesAt,
  type TraceInput,
  treeAt,
} from './model.ts';
import { PageTableTree } from './page-table-tree.tsx';
import { TimelineList } from './timeline-list.tsx';
import { WalkPath } from './walk-path.tsx';

export interface TraceViewProps {
  readonly input: TraceInput;
  /** The first stop: an event index, the start, or the last fault (a failed test's). */
  readonly start?: number | 'start' | 'last-fault';
  /** 'page': the arrow keys work anywhere on the page but in fields; 'focus': only inside the view. */
  readonly keys?: 'page' | 'focus';
  /** Keep `?at=` in the address bar in step with the current event (links to a moment). */
  readonly syncUrl?: boolean;
  readonly heading: string;
  readonly headingLevel?: 1 | 2 | 3;
  readonly subtitle?: string;
}

const KEY_MOVES: Readonly<Record<string, [Move, Move]>> = {
  ArrowRight: ['forward', 'next-step'],
  ArrowLeft: ['back', 'previous-step'],
  Home: ['first', 'first'],
  End: ['last', 'last'],
  f: ['next-fault', 'previous-fault'],
  F: ['next-fault', 'previous-fault'],
};

export function TraceView(props: TraceViewProps) {
  const { input, keys = 'focus', syncUrl = false, headingLevel = 2 } = props;
  const timeline = useMemo(() => buildTimeline(input), [input]);
  const count = timeline.frames.length;
  const [at, setAt] = useState(() => {
    const s = props.start ?? 'start';
    if (typeof s === 'number') return Math.max(0, Math.min(count - 1, Math.trunc(s)));
    return initialStop(timeline, s);
  });
  const [pinned, setPinned] = useState<number | null>(null);
  const [ready, setReady] = useState(false);
  const root = useRef<HTMLElement>(null);
  useEffect(() => setReady(true), []);

  const go = useCallback(
    (how: Move | number) => {
      setAt((now) =>
        typeof how === 'number' ? Math.max(0, Math.min(count - 1, how)) : move(timeline, now, how),
      );
    },
    [count, timeline],
  );

  const onKey = useCallback(
    (e: KeyboardEvent | ReactKeyboardEvent) => {
      if (e.defaultPrevented || e.altKey || e.ctrlKey || e.metaKey) return;
      const target = e.target as HTMLElement | null;
      if (target?.closest('input, textarea, select, [contenteditable="true"], .monaco-editor') != null)
        return;
      const moves = KEY_MOVES[e.key];
      if (moves === undefined) return;
      e.preventDefault();
      go(e.shiftKey || e.key === 'F' ? moves[1] : moves[0]);
    },
    [go],
  );
  useEffect(() => {
    if (keys !== 'page') return;
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [keys, onKey]);

  useEffect(() => {
    if (!syncUrl || !ready) return;
    const url = new URL(window.location.href);
    url.searchParams.set('at', String(at));
    window.history.replaceState(window.history.state, '', url);
  }, [at, syncUrl, ready]);

  const Heading = `h${headingLevel}` as 'h1' | 'h2' | 'h3';
  const Sub = `h${headingLevel + 1}` as 'h2' | 'h3' | 'h4';
  if (count === 0) {
    return (
      <section aria-label={props.heading} data-trace-ready={ready ? 'true' : 'false'} data-trace-events={0}>
        <Heading className="text-xl font-semibold">{props.heading}</Heading>
        <p className="mt-2 text-slate-700">
          Nothing was recorded: the machine did nothing that could be drawn.
        </p>
      </section>
    );
  }

  const frame = timeline.frames[at]!;
  const bits = addressBits(timeline);
  const { spaces, focus } = spacesAt(timeline, at);
  const shown =
    pinned !== null && spaces.some((s) => s.mm === pinned) ? pinned : (focus ?? spaces[0]?.mm ?? null);
  const tree = shown === null ? null : treeAt(timeline, at, shown);
  const cells = framesAt(timeline, at);
  const hasStates = timeline.states.length > 0;
  const stepOf = timeline.steps.find((s) => s.index === frame.step);
  const format = timeline.format;

  return (
    <section
      ref={root}
      aria-label={props.heading}
      className="flex min-w-0 flex-col gap-3"
      data-trace-ready={ready ? 'true' : 'false'}
      data-trace-events={count}
      data-trace-at={at}
      data-trace-kind={frame.event.kind}
      onKeyDown={keys === 'focus' ? onKey : undefined}
    >
      <header className="flex flex-col gap-1">
        <Heading className="text-xl font-semibold tracking-tight">{props.heading}</Heading>
        {props.subtitle !== undefined && <p className="text-slate-700">{props.subtitle}</p>}
        {format !== null && (
          <p className="text-sm text-slate-600">
            {format.title}
            {timeline.machine !== null &&
              ` · ${timeline.machine.frames} frames of ${2 ** format.pageShift} bytes · ${timeline.machine.cpus} CPU${timeline.machine.cpus === 1 ? '' : 's'}`}
          </p>
        )}
        {timeline.notes.length > 0 && (
          <ul className="mt-1 list-disc rounded border border-amber-300 bg-amber-50 py-1.5 pr-2 pl-6 text-sm text-amber-950">
            {timeline.notes.map((n) => (
              <li key={n}>{n}</li>
            ))}
          </ul>
        )}
      </header>

      <div className="sticky top-0 z-10 flex flex-col gap-2 rounded border border-slate-300 bg-white/95 p-2 shadow-sm backdrop-blur">
        <div className="flex flex-wrap items-center gap-1.5">
          {timeline.steps.length > 0 && (
            <Control
              label="Previous step"
              keys="Shift+ArrowLeft"
              onClick={() => go('previous-step')}
              disabled={at === 0}
            >
              «<span className="hidden sm:inline"> Step</span>
            </Control>
          )}
          <Control label="Back one event" keys="ArrowLeft" onClick={() => go('back')} disabled={at === 0}>
            ◀ Back
          </Control>
          <Control
            label="Forward one event"
            keys="ArrowRight"
            onClick={() => go('forward')}
            disabled={at === count - 1}
          >
            Forward ▶
          </Control>
          {timeline.steps.length > 0 && (
            <Control
              label="Next step"
              keys="Shift+ArrowRight"
              onClick={() => go('next-step')}
              disabled={at === count - 1}
            >
              <span className="hidden sm:inline">Step </span>»
            </Control>
          )}
          <Control label="Next fault" keys="F" onClick={() => go('next-fault')}>
            ⚠<span className="hidden sm:inline"> Next fault</span>
          </Control>
          <span className="ml-auto text-sm tabular-nums text-slate-700">
            Event {at + 1} of {count}
            {stepOf !== undefined && ` · step ${stepOf.index} of ${timeline.steps.length}`}
          </span>
        </div>
        <input
          type="range"
          min={0}
          max={count - 1}
          value={at}
          onChange={(e) => go(Number(e.target.value))}
          aria-label="Event"
          aria-valuetext={`Event ${at + 1} of ${count}: ${frame.text}`}
          className="w-full accent-indigo-700"
        />
        <p
          role="status"
          aria-live="polite"
          aria-atomic="true"
          className="min-h-[2.5rem] text-sm"
          data-testid="current-event"
        >
          <span className="sr-only">
            Event {at + 1} of {count}
            {stepOf !== undefined ? `, step ${stepOf.index}` : ''}:{' '}
          </span>
          <span
            className={frame.phase === 'fault' || frame.phase === 'signal' ? 'font-medium text-red-800' : ''}
          >
            {frame.text}
          </span>
        </p>
        <p className="hidden text-xs text-slate-500 sm:block">
          Keys: ← → one event{timeline.steps.length > 0 ? ' · Shift+← → one step' : ''} · F next fault,
          Shift+F previous · Home / End
          {keys === 'focus' ? ' (with the focus in this view)' : ''}
        </p>
      </div>

      <div className="grid min-w-0 gap-4 lg:grid-cols-[minmax(17rem,24rem)_minmax(0,1fr)]">
        <div className="order-last min-w-0 lg:order-first">
          <Sub className="mb-1 text-sm font-semibold text-slate-700">Timeline</Sub>
          <TimelineList timeline={timeline} at={at} onGo={go} />
        </div>

        <div className="flex min-w-0 flex-col gap-4">
          {frame.walk !== null && (
            <WalkPath walk={frame.walk} format={format} bits={bits} detailed={!hasStates} />
          )}

          {hasStates && (
            <section aria-labelledby="trace-tables" className="flex min-w-0 flex-col gap-2">
              <div className="flex flex-wrap items-baseline gap-x-3 gap-y-1">
                <Sub id="trace-tables" className="text-sm font-semibold text-slate-700">
                  Page tables{shown !== null ? ` of ${spaceName(spaces.find((s) => s.mm === shown)!)}` : ''}
                </Sub>
                {spaces.length > 1 && (
                  <fieldset className="flex flex-wrap items-center gap-1 text-sm">
                    <legend className="sr-only">Whose page tables</legend>
                    <button
                      type="button"
                      aria-pressed={pinned === null}
                      onClick={() => setPinned(null)}
                      className={pill(pinned === null)}
                    >
                      Follow the CPU
                    </button>
                    {spaces.map((s) => (
                      <button
                        key={s.mm}
                        type="button"
                        aria-pressed={pinned === s.mm}
                        onClick={() => setPinned(s.mm)}
                        className={pill(pinned === s.mm)}
                      >
                        {spaceName(s)}
                        {s.mm === focus ? <span className="sr-only"> (the CPU is using it)</span> : null}
                        {s.mm === focus ? ' ●' : ''}
                      </button>
                    ))}
                  </fieldset>
                )}
              </div>
              {tree !== null && format !== null ? (
                <div className="min-w-0 overflow-x-auto">
                  <PageTableTree tree={tree} bits={bits} lastLevel={format.levels.length - 1} />
                </div>
              ) : (
                <p className="text-sm text-slate-600">No user process has an address space at this point.</p>
              )}
            </section>
          )}

          {hasStates && timeline.machine !== null && (
            <section aria-labelledby="trace-frames" className="flex min-w-0 flex-col gap-2">
              <div className="flex flex-wrap items-baseline justify-between gap-2">
                <Sub id="trace-frames" className="text-sm font-semibold text-slate-700">
                  Physical frames
                </Sub>
                <FrameLegend />
              </div>
              <FrameMap cells={cells} total={timeline.machine.frames} />
            </section>
          )}
        </div>
      </div>
    </section>
  );
}

function Control(props: {
  label: string;
  keys?: string;
  onClick: () => void;
  disabled?: boolean;
  children: ReactNode;
}) {
  return (
    <button
      type="button"
      aria-label={props.label}
      aria-keyshortcuts={props.keys}
      title={props.label}
      onClick={props.onClick}
      disabled={props.disabled}
      className="rounded border border-slate-300 bg-white px-2.5 py-1 text-sm font-medium text-slate-900 hover:bg-slate-100 disabled:opacity-40"
    >
      {props.children}
    </button>
  );
}

const pill = (on: boolean) =>
  `rounded-full border px-2 py-0.5 ${on ? 'border-indigo-700 bg-indigo-700 text-white' : 'border-slate-300 bg-white hover:bg-slate-100'}`;

function addressBits(t: {
  format: { pageShift: number; levels: readonly { indexBits: number }[] } | null;
}): 32 | 64 {
  if (t.format === null) return 64;
  return t.format.levels.reduce((sum, l) => sum + l.indexBits, t.format.pageShift) <= 32 ? 32 : 64;
}
