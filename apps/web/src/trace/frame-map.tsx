/**
 * The frame database at a stop: every frame in use as a card — what holds
 * it, who owns it, its refcount and mapcount, whether a PTE mapping it is
 * accessed or dirty — and the free frames between as runs. What this event
 * changed, and the frames the current walk touches, are marked in words.
 */
import type { FrameCell } from './model.ts';
import { hexFrame } from './model.ts';
import { FRAME_USE } from './tones.ts';

export function FrameMap({ cells, total }: { cells: readonly FrameCell[]; total: number }) {
  const used = cells.filter((c) => c.kind === 'frame').length;
  return (
    <div className="flex flex-col gap-2">
      <p className="text-sm text-slate-700">
        {used} of {total} frames in use.
      </p>
      <ul className="grid grid-cols-[repeat(auto-fill,minmax(8.5rem,1fr))] gap-1.5" data-testid="frame-map">
        {cells.map((c) =>
          c.kind === 'free' ? (
            <FreeRun key={`free-${c.from}`} cell={c} />
          ) : (
            <Frame key={c.row.pfn} cell={c} />
          ),
        )}
      </ul>
    </div>
  );
}

function Frame({ cell }: { cell: Extract<FrameCell, { kind: 'frame' }> }) {
  const { row } = cell;
  const use = FRAME_USE[row.use];
  const marks = [cell.onPath ? 'on the walk' : null, cell.changed ? 'changed' : null].filter(
    (m) => m !== null,
  );
  const ring = cell.changed ? 'ring-2 ring-yellow-400' : cell.onPath ? 'ring-2 ring-indigo-500' : '';
  return (
    <li
      className={`flex min-w-0 flex-col gap-0.5 rounded border p-1.5 text-xs ${use.tone} ${ring}`}
      data-pfn={row.pfn}
      data-use={row.use}
    >
      <span className="flex items-baseline justify-between gap-1">
        <span className="font-mono font-semibold">
          <span className="sr-only">frame </span>
          {hexFrame(row.pfn)}
        </span>
        <span className="flex gap-0.5">
          {row.accessed && (
            <span title="accessed" className="rounded bg-slate-700 px-1 font-mono text-white">
              A
            </span>
          )}
          {row.dirty && (
            <span title="dirty" className="rounded bg-orange-700 px-1 font-mono text-white">
              D
            </span>
          )}
        </span>
      </span>
      <span className="font-medium">{use.word}</span>
      {cell.owners !== '' && (
        <span className="truncate text-slate-700" title={cell.owners}>
          {cell.owners}
        </span>
      )}
      {row.note !== null && (
        <span className="truncate text-slate-700" title={row.note}>
          {row.note}
        </span>
      )}
      <span className="tabular-nums text-slate-700">
        ref {row.refcount} · map {row.mapcount}
        <span className="sr-only">
          {row.accessed ? ', accessed' : ''}
          {row.dirty ? ', dirty' : ''}
        </span>
      </span>
      {marks.length > 0 && (
        <span
          className={`self-start rounded px-1 font-semibold ${cell.changed ? 'bg-yellow-300 text-yellow-950' : 'bg-indigo-700 text-white'}`}
        >
          {marks.join(', ')}
        </span>
      )}
    </li>
  );
}

function FreeRun({ cell }: { cell: Extract<FrameCell, { kind: 'free' }> }) {
  const n = cell.to - cell.from + 1;
  return (
    <li
      className={`flex flex-col justify-center rounded border border-dashed border-slate-300 bg-white p-1.5 text-xs text-slate-600 ${
        cell.changed ? 'ring-2 ring-yellow-400' : ''
      }`}
    >
      <span className="font-mono">
        {n === 1 ? hexFrame(cell.from) : `${hexFrame(cell.from)}–${hexFrame(cell.to)}`}
      </span>
      <span>
        free{n > 1 ? ` (${n})` : ''}
        {cell.changed ? ', freed at this step' : ''}
      </span>
    </li>
  );
}

export function FrameLegend() {
  const shown = ['anon', 'page-table', 'zero-page', 'file', 'kernel', 'allocated'] as const;
  return (
    <ul className="flex flex-wrap gap-1.5 text-xs" aria-label="Legend">
      {shown.map((u) => (
        <li key={u} className={`rounded border px-1.5 ${FRAME_USE[u].tone}`}>
          {FRAME_USE[u].word}
        </li>
      ))}
      <li className="rounded border border-dashed border-slate-300 bg-white px-1.5">free</li>
      <li className="rounded bg-slate-700 px-1 font-mono text-white">A</li>
      <li className="text-slate-700">accessed</li>
      <li className="rounded bg-orange-700 px-1 font-mono text-white">D</li>
      <li className="text-slate-700">dirty</li>
    </ul>
  );
}
