/**
 * The timeline as a list: the steps, and inside the current one its events
 * (a window around the current event when there are many). Every line is a
 * button that goes there; the current event is marked with aria-current.
 */
import { useEffect, useRef } from 'react';
import type { StepGroup, Timeline, TimelineFrame } from './model.ts';
import { PHASE } from './tones.ts';

/** Events listed around the current one in a long step. */
const BEFORE = 20;
const AFTER = 40;

export function TimelineList({
  timeline,
  at,
  onGo,
}: {
  timeline: Timeline;
  at: number;
  onGo: (index: number) => void;
}) {
  const box = useRef<HTMLDivElement>(null);
  // Keep the current line in view inside the list's own scroll box (not the page's).
  useEffect(() => {
    const container = box.current;
    const current = container?.querySelector<HTMLElement>(`[data-index="${at}"]`);
    if (container === null || current == null || container.scrollHeight <= container.clientHeight) return;
    const top = current.offsetTop - container.offsetTop;
    if (
      top < container.scrollTop ||
      top + current.offsetHeight > container.scrollTop + container.clientHeight
    )
      container.scrollTop = Math.max(0, top - container.clientHeight / 3);
  }, [at]);

  const steps: StepGroup[] =
    timeline.steps.length > 0
      ? [...timeline.steps]
      : [
          {
            index: 0,
            kind: 'events',
            summary: 'What the machine did',
            first: 0,
            last: timeline.frames.length - 1,
          },
        ];
  const current = steps.find((s) => s.first <= at && at <= s.last);
  return (
    <nav aria-label="Timeline" className="min-w-0">
      <div
        ref={box}
        className="max-h-[32rem] overflow-y-auto rounded border border-slate-200 bg-white lg:max-h-[calc(100vh-12rem)]"
      >
        <ol className="flex flex-col">
          {outside(timeline, steps).map((f) => (
            <EventLine key={f.index} frame={f} current={f.index === at} onGo={onGo} />
          ))}
          {steps.map((s) => (
            <li key={s.index} className="border-b border-slate-100 last:border-b-0">
              <button
                type="button"
                onClick={() => onGo(s.first)}
                data-index={s.first}
                aria-current={s === current && at === s.first ? 'true' : undefined}
                className={`w-full px-2 py-1.5 text-left text-sm hover:bg-slate-50 ${
                  s === current ? 'bg-slate-100 font-semibold' : ''
                } ${s === current && at === s.first ? 'outline-2 -outline-offset-2 outline-indigo-600' : ''}`}
              >
                {timeline.steps.length > 0 && <span className="text-slate-600">{s.index}. </span>}
                <span>{s.summary || s.kind}</span>
              </button>
              {s === current && <StepEvents timeline={timeline} step={s} at={at} onGo={onGo} />}
            </li>
          ))}
        </ol>
      </div>
    </nav>
  );
}

/** Events outside every step (a recording that began mid-step): listed first. */
function outside(t: Timeline, steps: readonly StepGroup[]): TimelineFrame[] {
  if (t.steps.length === 0) return [];
  const first = steps[0]?.first ?? t.frames.length;
  return t.frames.slice(0, first).filter((f) => f.step === null);
}

function StepEvents({
  timeline,
  step,
  at,
  onGo,
}: {
  timeline: Timeline;
  step: StepGroup;
  at: number;
  onGo: (index: number) => void;
}) {
  // The step's own marker line is the step's button; its events follow.
  const start = timeline.steps.length > 0 ? step.first + 1 : step.first;
  const from = Math.max(start, at - BEFORE);
  const to = Math.min(step.last, Math.max(at, from) + AFTER);
  const frames = timeline.frames.slice(from, to + 1);
  return (
    <ol className="flex flex-col pb-1">
      {from > start && (
        <li>
          <button
            type="button"
            onClick={() => onGo(from - 1)}
            className="px-4 py-0.5 text-xs text-indigo-800 underline"
          >
            {from - start} earlier events
          </button>
        </li>
      )}
      {frames.map((f) => (
        <EventLine key={f.index} frame={f} current={f.index === at} onGo={onGo} />
      ))}
      {to < step.last && (
        <li>
          <button
            type="button"
            onClick={() => onGo(to + 1)}
            className="px-4 py-0.5 text-xs text-indigo-800 underline"
          >
            {step.last - to} later events
          </button>
        </li>
      )}
    </ol>
  );
}

function EventLine({
  frame,
  current,
  onGo,
}: {
  frame: TimelineFrame;
  current: boolean;
  onGo: (i: number) => void;
}) {
  const phase = PHASE[frame.phase];
  return (
    <li>
      <button
        type="button"
        onClick={() => onGo(frame.index)}
        data-index={frame.index}
        aria-current={current ? 'true' : undefined}
        className={`flex w-full gap-2 px-3 py-0.5 text-left text-xs hover:bg-slate-50 ${
          current ? 'bg-indigo-100 outline-2 -outline-offset-2 outline-indigo-600' : ''
        }`}
      >
        <span aria-hidden="true" className={`w-3 shrink-0 text-center ${phase.tone}`}>
          {phase.glyph}
        </span>
        <span className={`min-w-0 break-words ${phase.tone}`}>
          <span className="sr-only">{phase.word}: </span>
          {frame.text}
        </span>
      </button>
    </li>
  );
}
