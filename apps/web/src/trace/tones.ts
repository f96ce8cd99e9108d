/**
 * How the picture marks things: a glyph, a word and a colour for each kind of
 * event, frame and entry. The word is always drawn (or read out): colour
 * only repeats what the text says.
 */
import type { EntryRow, FrameRow } from '@faultline/scenario';
import type { Phase } from './model.ts';

export const PHASE: Readonly<Record<Phase, { glyph: string; word: string; tone: string }>> = {
  step: { glyph: '▸', word: 'step', tone: 'text-slate-900 font-semibold' },
  access: { glyph: '✓', word: 'access', tone: 'text-emerald-800' },
  tlb: { glyph: '⇄', word: 'TLB', tone: 'text-sky-800' },
  walk: { glyph: '↓', word: 'walk', tone: 'text-indigo-800' },
  fault: { glyph: '⚠', word: 'fault', tone: 'text-red-800 font-medium' },
  handler: { glyph: 'ƒ', word: 'handler', tone: 'text-violet-800' },
  kernel: { glyph: '·', word: 'kernel', tone: 'text-slate-700' },
  signal: { glyph: '✖', word: 'signal', tone: 'text-red-800 font-medium' },
  note: { glyph: '…', word: 'note', tone: 'text-slate-500' },
};

export const FRAME_USE: Readonly<Record<FrameRow['use'], { word: string; tone: string }>> = {
  anon: { word: 'anonymous page', tone: 'bg-sky-50 border-sky-300' },
  file: { word: 'file page', tone: 'bg-violet-50 border-violet-300' },
  'page-table': { word: 'page table', tone: 'bg-amber-50 border-amber-300' },
  kernel: { word: 'kernel memory', tone: 'bg-slate-100 border-slate-300' },
  'zero-page': { word: 'shared zero page', tone: 'bg-teal-50 border-teal-300' },
  reserved: { word: 'reserved', tone: 'bg-stone-100 border-stone-300' },
  'swap-cache': { word: 'swap cache', tone: 'bg-rose-50 border-rose-300' },
  allocated: { word: 'allocated, not mapped', tone: 'bg-orange-50 border-orange-400' },
  free: { word: 'free', tone: 'bg-white border-slate-300 border-dashed' },
};

export const ENTRY_KIND: Readonly<Record<EntryRow['kind'] | 'none', { word: string; tone: string }>> = {
  table: { word: 'table', tone: 'bg-amber-100 text-amber-950' },
  leaf: { word: 'page', tone: 'bg-sky-100 text-sky-950' },
  invalid: { word: 'not present', tone: 'bg-rose-100 text-rose-950' },
  reserved: { word: 'reserved', tone: 'bg-red-200 text-red-950' },
  none: { word: 'empty', tone: 'bg-slate-100 text-slate-700' },
};
