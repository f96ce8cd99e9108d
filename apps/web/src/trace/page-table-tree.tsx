/**
 * One address space's page tables at a stop: each table named as the
 * format's manual names its level, each non-zero entry with its raw bits,
 * its kind and every flag of the format at its bit position; the walk in
 * progress, the entry it faulted on and what this event changed are marked
 * in words as well as colour. Nested lists, so a screen reader reads it as
 * the tree it is.
 */
import { useState } from 'react';
import type { FlagBit, TreeEntry, TreeTable } from './model.ts';
import { hexAddress, hexFrame } from './model.ts';
import { ENTRY_KIND } from './tones.ts';

/** Entries shown before "show all" (the walk's, the faulting one and changed ones always are). */
const SHOWN = 12;

export function PageTableTree({
  tree,
  bits,
  lastLevel,
}: {
  tree: TreeTable;
  bits: 32 | 64;
  lastLevel: number;
}) {
  return (
    <ul className="flex flex-col gap-2" data-testid="page-table-tree">
      <TableNode table={tree} bits={bits} lastLevel={lastLevel} />
    </ul>
  );
}

function TableNode({ table, bits, lastLevel }: { table: TreeTable; bits: 32 | 64; lastLevel: number }) {
  const [all, setAll] = useState(false);
  const important = (e: TreeEntry) => e.onPath || e.faulting || e.changed;
  const shown = all ? table.entries : table.entries.filter((e, i) => i < SHOWN || important(e));
  const hidden = table.entries.length - shown.length;
  return (
    <li
      className={`min-w-0 rounded border bg-white ${table.changed ? 'border-yellow-400' : 'border-slate-300'}`}
      data-level={table.level}
    >
      <p className="flex flex-wrap items-baseline gap-x-2 border-b border-slate-200 bg-slate-50 px-2 py-1 text-sm">
        <span className="font-semibold">{table.levelName}</span>
        <span className="text-slate-600">table in frame {hexFrame(table.pfn)}</span>
        <span className="text-xs text-slate-500">
          each entry covers {spanText(table.span)}
          {table.changed ? ' · new at this step' : ''}
        </span>
      </p>
      <ul className="flex flex-col divide-y divide-slate-100">
        {shown.map((e) => (
          <EntryNode key={e.key} entry={e} level={table.level} bits={bits} lastLevel={lastLevel} />
        ))}
        {table.kernelHalf !== null && (
          <li className="px-2 py-1 text-sm text-slate-600">{kernelHalfText(table.kernelHalf)}</li>
        )}
        {table.entries.length === 0 && table.kernelHalf === null && (
          <li className="px-2 py-1 text-sm text-slate-600">
            No entries: nothing is mapped below this table.
          </li>
        )}
      </ul>
      {(hidden > 0 || all) && (
        <button
          type="button"
          onClick={() => setAll(!all)}
          className="m-1 rounded px-2 py-0.5 text-sm text-indigo-800 underline hover:bg-indigo-50"
        >
          {all ? 'Show fewer entries' : `Show ${hidden} more ${hidden === 1 ? 'entry' : 'entries'}`}
        </button>
      )}
    </li>
  );
}

function EntryNode({
  entry: e,
  level,
  bits,
  lastLevel,
}: {
  entry: TreeEntry;
  level: number;
  bits: 32 | 64;
  lastLevel: number;
}) {
  const kind = ENTRY_KIND[e.kind];
  const huge = e.kind === 'leaf' && level < lastLevel;
  const marks = [
    e.faulting ? 'the walk faulted here' : e.onPath ? 'on the walk' : null,
    e.changed ? 'changed' : null,
  ]
    .filter((m) => m !== null)
    .join(', ');
  const ring = e.faulting
    ? 'bg-red-50 border-l-4 border-l-red-600'
    : e.onPath
      ? 'bg-indigo-50 border-l-4 border-l-indigo-600'
      : e.changed
        ? 'bg-yellow-50 border-l-4 border-l-yellow-500'
        : 'border-l-4 border-l-transparent';
  return (
    <li className={`min-w-0 ${ring}`} data-entry={e.key} data-on-path={e.onPath} data-faulting={e.faulting}>
      <div className="flex flex-wrap items-center gap-x-3 gap-y-1 px-2 py-1.5 text-sm">
        <span className="w-12 shrink-0 font-mono tabular-nums text-slate-700">
          <span className="sr-only">entry </span>[{e.index}]
        </span>
        <span className="font-mono text-xs text-slate-600" title="first virtual address this entry covers">
          {Number.isFinite(e.va) ? hexAddress(e.va, bits) : ''}
        </span>
        <span className={`rounded px-1.5 text-xs font-medium ${kind.tone}`}>
          {huge ? `huge page (${spanText(e.span)})` : kind.word}
        </span>
        {e.kind === 'leaf' && <span className="text-slate-800">→ frame {hexFrame(e.pfn)}</span>}
        {e.kind === 'table' && <span className="text-slate-800">→ table in frame {hexFrame(e.pfn)}</span>}
        {marks !== '' && (
          <span
            className={`rounded px-1.5 text-xs font-semibold ${
              e.faulting
                ? 'bg-red-600 text-white'
                : e.onPath
                  ? 'bg-indigo-700 text-white'
                  : 'bg-yellow-300 text-yellow-950'
            }`}
          >
            {e.faulting ? '⚠ ' : ''}
            {marks}
          </span>
        )}
      </div>
      {e.kind !== 'none' && (
        <div className="flex flex-wrap items-center gap-x-3 gap-y-1 px-2 pb-1.5 pl-[4.25rem]">
          <code className="font-mono text-xs text-slate-800">{e.raw}</code>
          <Flags flags={e.flags} />
        </div>
      )}
      {e.note !== null && <p className="px-2 pb-1.5 pl-[4.25rem] text-xs text-slate-700">{e.note}</p>}
      {e.child !== null && (
        <ul className="ml-4 border-l-2 border-slate-200 py-1 pl-2 sm:ml-8">
          <TableNode table={e.child} bits={bits} lastLevel={lastLevel} />
        </ul>
      )}
    </li>
  );
}

/** The format's flags at their bit positions: set ones dark, clear ones pale and struck through. */
export function Flags({ flags }: { flags: readonly FlagBit[] }) {
  const set = flags.filter((f) => f.on).map((f) => f.name);
  const clear = flags.filter((f) => !f.on).map((f) => f.name);
  return (
    <>
      <span className="sr-only">
        flags set: {set.length === 0 ? 'none' : set.join(' ')}; clear:{' '}
        {clear.length === 0 ? 'none' : clear.join(' ')}.
      </span>
      <span aria-hidden="true" className="flex flex-wrap gap-0.5">
        {flags.map((f) => (
          <span
            key={f.name}
            title={`bit ${f.bit}: ${f.name} ${f.on ? 'set' : 'clear'}`}
            className={`rounded border px-1 font-mono text-[0.7rem] leading-4 ${
              f.on
                ? 'border-slate-800 bg-slate-800 text-white'
                : 'border-slate-300 text-slate-600 line-through'
            }`}
          >
            {f.name}
          </span>
        ))}
      </span>
    </>
  );
}

function kernelHalfText(k: NonNullable<TreeTable['kernelHalf']>): string {
  const which = k.first === k.last ? `Entry ${k.first}` : `Entries ${k.first}–${k.last}`;
  return `${which}: the kernel half (${k.count} present), shared by every process and not drawn.`;
}

function spanText(bytes: number): string {
  const units: [number, string][] = [
    [2 ** 40, 'TiB'],
    [2 ** 30, 'GiB'],
    [2 ** 20, 'MiB'],
    [2 ** 10, 'KiB'],
  ];
  for (const [size, unit] of units) if (bytes >= size && bytes % size === 0) return `${bytes / size} ${unit}`;
  return `${bytes} bytes`;
}
