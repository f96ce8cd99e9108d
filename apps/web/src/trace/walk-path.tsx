/**
 * The page walk at a stop, level by level: which entry of which table it
 * read, the raw entry and what its bits say, and where it faulted. With a
 * recording this sits above the tree; for a bare trace it is the picture.
 */
import type { RecordedFormat } from '@faultline/scenario';
import { decodeRaw, flagBits, hexAddress, hexFrame, type WalkMark } from './model.ts';
import { Flags } from './page-table-tree.tsx';
import { ENTRY_KIND } from './tones.ts';

export function WalkPath({
  walk,
  format,
  bits,
  detailed,
}: {
  walk: WalkMark;
  format: RecordedFormat | null;
  bits: 32 | 64;
  detailed: boolean;
}) {
  const state =
    walk.faultLevel !== null
      ? 'faulted'
      : walk.done
        ? 'translated'
        : walk.path.length === 0
          ? 'starting'
          : 'walking';
  return (
    <section
      aria-label="The page walk"
      className="rounded border border-indigo-200 bg-indigo-50/60 p-2"
      data-testid="walk-path"
    >
      <p className="text-sm">
        <span className="font-semibold">Walk of {hexAddress(walk.va, bits)}</span>{' '}
        <span className="text-slate-700">
          {state === 'faulted'
            ? `— faulted at the ${walk.path.find((p) => p.level === walk.faultLevel)?.levelName ?? `level ${walk.faultLevel}`} entry`
            : state === 'translated'
              ? '— translated'
              : state === 'starting'
                ? '— starting at the root'
                : `— ${walk.path.length} of ${format?.levels.length ?? '?'} levels read`}
        </span>
      </p>
      <ol className={`mt-1 flex ${detailed ? 'flex-col gap-1' : 'flex-wrap items-center gap-1'}`}>
        {walk.path.map((p, i) => {
          const faulted = p.level === walk.faultLevel;
          const d = format === null ? null : decodeRaw(format, p.level, p.raw);
          const kind =
            d === null
              ? null
              : ENTRY_KIND[d.kind === 'invalid' && BigInt(p.raw || '0') === 0n ? 'none' : d.kind];
          return (
            <li
              key={`${p.level}:${p.key}`}
              className={`flex flex-wrap items-center gap-x-2 gap-y-0.5 rounded border px-1.5 py-0.5 text-xs ${
                faulted ? 'border-red-500 bg-red-50' : 'border-indigo-300 bg-white'
              }`}
            >
              {!detailed && i > 0 && (
                <span aria-hidden="true" className="text-slate-400">
                  →
                </span>
              )}
              <span className="font-semibold">
                {p.levelName}[{p.index}]
              </span>
              {detailed && <code className="font-mono">{p.raw}</code>}
              {kind !== null && <span className={`rounded px-1 ${kind.tone}`}>{kind.word}</span>}
              {detailed && d !== null && (d.kind === 'table' || d.kind === 'leaf') && (
                <span>→ frame {hexFrame(d.pfn)}</span>
              )}
              {detailed && format !== null && <Flags flags={flagBits(format, p.raw || '0')} />}
              {faulted && (
                <span className="rounded bg-red-600 px-1 font-semibold text-white">⚠ fault here</span>
              )}
            </li>
          );
        })}
      </ol>
    </section>
  );
}
