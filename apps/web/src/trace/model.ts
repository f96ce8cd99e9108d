/**
 * The picture's model, pure: a run's recording (or a grader report's bare
 * trace) → a timeline of stops, one per event, each with the machine state
 * at that moment, what changed since the stop before, and where the current
 * page walk is. The components only draw what this computes; tests check it
 * here.
 *
 * Entries are decoded by the paging format's own descriptor (vm-core's
 * `decodeEntry` and `entryFlags`), so the same code draws x86-64, x86-32,
 * RISC-V Sv39, ARM64 and the teaching formats.
 */
import type {
  EntryRow,
  FlatEvent,
  FrameRow,
  RecordedFormat,
  Recording,
  SpaceRow,
  StateDelta,
  TableRow,
} from '@faultline/scenario';
import { recordedFormatOf } from '@faultline/scenario/recording-format';
import { decodeEntry, formats, type PagingFormat } from '@faultline/vm-core/hw';

export type TraceInput =
  /** A run recorded with its states: everything can be drawn. */
  | { readonly kind: 'recording'; readonly recording: Recording }
  /** A grader report's trace: events only (no page tables or frames between them). */
  | { readonly kind: 'events'; readonly events: readonly FlatEvent[]; readonly title?: string | null };

export interface MachineState {
  /** The address space the machine was using (the picture's default). */
  readonly focus: number | null;
  readonly spaces: readonly SpaceRow[];
  readonly tables: ReadonlyMap<number, TableRow>;
  /** Non-zero entries by `${table pfn}:${index}`. */
  readonly entries: ReadonlyMap<string, EntryRow>;
  /** Frames that are not free. */
  readonly frames: ReadonlyMap<number, FrameRow>;
}

export interface Change {
  readonly entries: ReadonlySet<string>;
  readonly frames: ReadonlySet<number>;
  readonly tables: ReadonlySet<number>;
  readonly spaces: boolean;
}

export type Phase = 'step' | 'access' | 'tlb' | 'walk' | 'fault' | 'handler' | 'kernel' | 'signal' | 'note';

export interface PathEntry {
  readonly level: number;
  readonly levelName: string;
  /** Frame of the table read, and the index in it. */
  readonly table: number;
  readonly index: number;
  readonly key: string;
  readonly raw: string;
}

/** The page walk the machine is in (or has just finished) at a stop. */
export interface WalkMark {
  readonly va: number;
  /** Entries read so far, root first. */
  readonly path: readonly PathEntry[];
  /** The level whose entry made the walk fault, once it has. */
  readonly faultLevel: number | null;
  /** The walk is over (a fault, or a translation the TLB now caches). */
  readonly done: boolean;
}

export interface TimelineFrame {
  readonly index: number;
  /** The step it belongs to, or null. */
  readonly step: number | null;
  readonly event: FlatEvent;
  readonly phase: Phase;
  /** One sentence: what happened. */
  readonly text: string;
  /** Index into `states`, or null without states. */
  readonly state: number | null;
  /** What this event changed (null: nothing, or unknown). */
  readonly changed: Change | null;
  readonly walk: WalkMark | null;
}

export interface StepGroup {
  readonly index: number;
  readonly kind: string;
  readonly summary: string;
  /** Frame indexes of its first and last events. */
  readonly first: number;
  readonly last: number;
}

export interface Timeline {
  readonly title: string | null;
  readonly format: RecordedFormat | null;
  readonly machine: Recording['machine'] | null;
  readonly frames: readonly TimelineFrame[];
  readonly steps: readonly StepGroup[];
  /** Empty for a bare trace. */
  readonly states: readonly MachineState[];
  /** What the reader should know about what is missing. */
  readonly notes: readonly string[];
  readonly stopped: Recording['stopped'];
}

// ───────────────────────── formats and addresses ─────────────────────────

/** The format view of one of vm-core's descriptors (what a recording carries). */
export const formatView: (format: PagingFormat) => RecordedFormat = recordedFormatOf;

const DESCRIPTORS = formats as Readonly<Record<string, PagingFormat>>;

/** vm-core's descriptor for a format view, when this build knows it. */
function descriptorOf(format: RecordedFormat): PagingFormat | null {
  return Object.hasOwn(DESCRIPTORS, format.id) ? DESCRIPTORS[format.id]! : null;
}

/** Which format a bare trace's walk steps come from: the root level's name and the entry width. */
export function guessFormat(events: readonly FlatEvent[]): RecordedFormat | null {
  const root = events.find((e) => e.kind === 'walk-step' && e.level === 0);
  if (root === undefined || typeof root.levelName !== 'string' || typeof root.entry !== 'string') return null;
  const digits = root.entry.length - 2;
  const match = Object.values(DESCRIPTORS).find(
    (f) => f.levels[0]!.name === root.levelName && f.entryBytes * 2 === digits,
  );
  return match === undefined ? null : formatView(match);
}

/** Address width for display: 32-bit formats print 8 digits, the rest 16. */
function addressBits(format: RecordedFormat | null): 32 | 64 {
  if (format === null) return 64;
  const bits = format.levels.reduce((sum, l) => sum + l.indexBits, format.pageShift);
  return bits <= 32 ? 32 : 64;
}

export function hexAddress(va: number, bits: 32 | 64 = 64): string {
  if (!Number.isSafeInteger(va)) return String(va);
  return `0x${BigInt.asUintN(bits, BigInt(va))
    .toString(16)
    .padStart(bits / 4, '0')}`;
}

export const hexFrame = (pfn: number) => `0x${pfn.toString(16)}`;

export interface FlagBit {
  readonly name: string;
  readonly bit: number;
  readonly on: boolean;
}

/** An entry's flags, each read at the bit the descriptor says. */
export function flagBits(format: RecordedFormat, raw: string): FlagBit[] {
  let value = 0n;
  try {
    value = BigInt(raw);
  } catch {
    // Not hex: every flag reads as clear.
  }
  return format.flags.map((f) => ({ name: f.name, bit: f.bit, on: ((value >> BigInt(f.bit)) & 1n) === 1n }));
}

/** Kind and frame of a raw entry, decoded as the walk would (or from the flags, for an unknown format). */
export function decodeRaw(
  format: RecordedFormat,
  level: number,
  raw: string,
): { kind: EntryRow['kind']; pfn: number; summary: string } {
  const d = descriptorOf(format);
  let value: bigint;
  try {
    value = BigInt(raw);
  } catch {
    return { kind: 'invalid', pfn: 0, summary: raw };
  }
  if (d !== null && level >= 0 && level < d.levels.length) {
    const e = decodeEntry(d, level, value);
    return { kind: e.kind, pfn: e.pfn, summary: e.summary };
  }
  return {
    kind: value === 0n ? 'invalid' : 'leaf',
    pfn: Number(value >> BigInt(format.pageShift)),
    summary: raw,
  };
}

// ───────────────────────── states ─────────────────────────

const entryKey = (table: number, index: number) => `${table}:${index}`;

/** Every state of a recording in full. */
export function materialize(deltas: readonly StateDelta[]): MachineState[] {
  const out: MachineState[] = [];
  let focus: number | null = null;
  let spaces: readonly SpaceRow[] = [];
  let tables = new Map<number, TableRow>();
  let entries = new Map<string, EntryRow>();
  let frames = new Map<number, FrameRow>();
  for (const d of deltas) {
    if (d.focus !== undefined) focus = d.focus;
    if (d.spaces !== undefined) spaces = d.spaces;
    if (d.tables !== undefined || d.tablesGone !== undefined) {
      tables = new Map(tables);
      for (const pfn of d.tablesGone ?? []) tables.delete(pfn);
      for (const t of d.tables ?? []) tables.set(t.pfn, t);
    }
    if (d.entries !== undefined || d.entriesGone !== undefined) {
      entries = new Map(entries);
      for (const [t, i] of d.entriesGone ?? []) entries.delete(entryKey(t, i));
      for (const e of d.entries ?? []) entries.set(entryKey(e.t, e.i), e);
    }
    if (d.frames !== undefined) {
      frames = new Map(frames);
      for (const f of d.frames) {
        if (f.use === 'free') frames.delete(f.pfn);
        else frames.set(f.pfn, f);
      }
    }
    out.push({ focus, spaces, tables, entries, frames });
  }
  return out;
}

function changeOf(deltas: readonly StateDelta[]): Change {
  const entries = new Set<string>();
  const frames = new Set<number>();
  const tables = new Set<number>();
  let spaces = false;
  for (const d of deltas) {
    for (const e of d.entries ?? []) entries.add(entryKey(e.t, e.i));
    for (const [t, i] of d.entriesGone ?? []) entries.add(entryKey(t, i));
    for (const f of d.frames ?? []) frames.add(f.pfn);
    for (const t of d.tables ?? []) tables.add(t.pfn);
    for (const t of d.tablesGone ?? []) tables.add(t);
    if (d.spaces !== undefined) spaces = true;
  }
  return { entries, frames, tables, spaces };
}

// ───────────────────────── events in words ─────────────────────────

const str = (v: unknown) => (typeof v === 'string' ? v : v === null || v === undefined ? '' : String(v));
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

const PHASES: Readonly<Record<string, Phase>> = {
  step: 'step',
  'step-end': 'step',
  access: 'access',
  'tlb-hit': 'tlb',
  'tlb-miss': 'tlb',
  'tlb-fill': 'tlb',
  'tlb-flush': 'tlb',
  'tlb-shootdown': 'tlb',
  'walk-step': 'walk',
  'ad-update': 'walk',
  fault: 'fault',
  hook: 'handler',
  'hook-return': 'handler',
  'hook-throw': 'handler',
  'fault-resolved': 'handler',
  cow: 'handler',
  'frame-alloc': 'kernel',
  'frame-free': 'kernel',
  task: 'kernel',
  context: 'kernel',
  reclaim: 'kernel',
  'swap-out': 'kernel',
  'swap-in': 'kernel',
  writeback: 'kernel',
  signal: 'signal',
  oops: 'signal',
  'oom-kill': 'signal',
  truncated: 'note',
};

const IMPL: Readonly<Record<string, string>> = {
  reference: 'Linux’s',
  empty: 'an empty hook',
  other: 'replaced: your code',
};

/** One sentence for an event (the timeline's line and the live region's announcement). */
export function describeEvent(
  e: FlatEvent,
  ctx: { format: RecordedFormat | null; steps?: ReadonlyMap<number, StepGroup>; step?: number | null },
): string {
  const bits = addressBits(ctx.format);
  const at = (v: unknown) => (typeof v === 'number' ? hexAddress(v, bits) : str(v));
  const shift = ctx.format?.pageShift ?? 12;
  switch (e.kind) {
    case 'step': {
      const n = ctx.step ?? null;
      const summary = str(e.summary);
      return `Step ${n ?? '?'} (${str(e.name)})${summary ? `: ${summary}` : ''}`;
    }
    case 'step-end':
      return `After step ${ctx.step ?? '?'}: the state it left`;
    case 'access':
      return `${str(e.privilege) === 'user' ? 'User' : 'Kernel'} ${str(e.access)} of ${at(e.va)} completes: physical ${hexFrame(num(e.pa) ?? 0)}`;
    case 'tlb-hit':
      return `TLB hit for ${at(e.va)}: no walk needed`;
    case 'tlb-miss':
      return e.permissionRecheck === true
        ? `TLB entry for ${at(e.va)} does not allow this access: the MMU walks the tables again`
        : `TLB miss for ${at(e.va)}: the MMU walks the page tables`;
    case 'walk-step': {
      const level = num(e.level) ?? 0;
      const raw = str(e.entry);
      if (ctx.format === null) return `Walk reads the ${str(e.levelName)} entry: ${raw}`;
      const d = decodeRaw(ctx.format, level, raw);
      const what =
        d.kind === 'invalid'
          ? BigInt(raw || '0') === 0n
            ? 'empty: not present'
            : 'not present'
          : d.kind === 'table'
            ? `points to the next table (frame ${hexFrame(d.pfn)})`
            : d.kind === 'leaf'
              ? `maps frame ${hexFrame(d.pfn)}`
              : 'a reserved encoding';
      return `Walk reads ${str(e.levelName)} entry ${indexIn(ctx.format, num(e.entryPa) ?? 0)} = ${raw}: ${what}`;
    }
    case 'tlb-fill':
      return `TLB caches ${at(e.pageVa)} → frame ${hexFrame(Math.floor((num(e.pagePa) ?? 0) / 2 ** shift))}`;
    case 'tlb-flush': {
      const scope = str(e.scope);
      const what =
        scope === 'page'
          ? `the entry for ${at(e.va)}`
          : scope === 'asid'
            ? `address space ${str(e.asid)}`
            : scope;
      return `TLB flush on CPU ${str(e.cpu)} (${what}): ${str(e.dropped)} entries dropped`;
    }
    case 'tlb-shootdown':
      return `TLB shootdown: IPI to CPU ${str(e.cpus)}${e.address === null ? '' : ` for ${at(e.address)}`}`;
    case 'ad-update':
      return `The MMU sets ${e.dirty === true ? 'Accessed and Dirty' : 'Accessed'} in the level ${str(e.level)} entry (${str(e.before)} → ${str(e.after)})`;
    case 'fault':
      return `Fault: ${str(e['fault.message']) || `${str(e['fault.kind'])} at ${str(e['fault.address'])}`}`;
    case 'context':
      return str(e.what).includes('root')
        ? `CPU ${str(e.cpu)} loads another page-table root (CR3)`
        : `CPU ${str(e.cpu)} control state changes (${str(e.what)})`;
    case 'hook':
      return `The kernel calls ${str(e.hook)} (${IMPL[str(e.impl)] ?? str(e.impl)})`;
    case 'hook-return':
      return `${str(e.hook)} returns: ${str(e.result)}`;
    case 'hook-throw':
      return `${str(e.hook)} threw: ${str(e.error)}`;
    case 'fault-resolved': {
      const r = str(e.resolution);
      const retry =
        r === 'signal' || r === 'oops' || r === 'exception-fixup' ? '' : ': the access is retried';
      return `Fault at ${at(e.address)} handled: ${r}${retry}`;
    }
    case 'cow':
      return e.action === 'copy'
        ? `Copy-on-write: the page at ${at(e.address)} is copied to a new frame`
        : `Copy-on-write: the last user of ${at(e.address)} reuses its frame`;
    case 'frame-alloc':
      return `Frame ${hexFrame(num(e.pfn) ?? 0)} allocated${e.order ? ` (order ${str(e.order)})` : ''} for ${str(e.purpose)}`;
    case 'frame-free':
      return `Frame ${hexFrame(num(e.pfn) ?? 0)} freed`;
    case 'signal':
      return `pid ${str(e.pid)} gets ${str(e['signal.signal'])} (${str(e['signal.code'])}) at ${at(e['signal.address'])}`;
    case 'oops':
      return `Kernel oops: ${str(e.report).split('\n')[0]}`;
    case 'oom-kill':
      return `The OOM killer kills pid ${str(e.pid)}`;
    case 'task':
      return `pid ${str(e.pid)} ${str(e.what)}${e.cpu === undefined || e.cpu === null ? '' : ` on CPU ${str(e.cpu)}`}`;
    case 'reclaim':
      return `Reclaim (${str(e.who)}): ${str(e.scanned)} pages scanned, ${str(e.freed)} freed`;
    case 'swap-out':
      return `Frame ${hexFrame(num(e.pfn) ?? 0)} written to swap slot ${str(e.slot)}`;
    case 'swap-in':
      return `Swap slot ${str(e.slot)} read back for ${at(e.address)}${e.fromCache === true ? ' (from the swap cache)' : ''}`;
    case 'writeback':
      return `Page ${str(e.page)} of ${str(e.file)} written back`;
    case 'truncated':
      return `${str(e.dropped)} earlier events were not kept`;
    default:
      return e.kind;
  }
}

function indexIn(format: RecordedFormat, entryPa: number): number {
  const page = 2 ** format.pageShift;
  return (entryPa - Math.floor(entryPa / page) * page) / format.entryBytes;
}

// ───────────────────────── the timeline ─────────────────────────

export function buildTimeline(input: TraceInput): Timeline {
  if (input.kind === 'recording') return fromRecording(input.recording);
  return fromEvents(input.events, input.title ?? null);
}

function fromRecording(r: Recording): Timeline {
  const states = materialize(r.states);
  const notes: string[] = [];
  if (r.droppedEvents > 0)
    notes.push(
      `The first ${r.droppedEvents} events are not shown; the picture starts from the machine as they left it.`,
    );
  if (r.cut === 'events')
    notes.push(`The recording stops after ${r.events.length} events; the rest of the run is not shown.`);
  if (r.stopped !== null)
    notes.push(`The kernel stopped the run at step ${r.stopped.index}: ${r.stopped.reason}`);
  for (const problem of r.invariants) notes.push(`Invariant violated at the end: ${problem}`);
  const frames = buildFrames(
    r.events.map((e) => e.event),
    r.events.map((e) => e.step),
    r.events.map((e) => e.state),
    r.format,
    r.states,
  );
  return {
    title: r.title,
    format: r.format,
    machine: r.machine,
    frames,
    steps: groupSteps(frames, r.steps),
    states,
    notes,
    stopped: r.stopped,
  };
}

function fromEvents(events: readonly FlatEvent[], title: string | null): Timeline {
  const format = guessFormat(events);
  const frames = buildFrames(
    events,
    events.map(() => null),
    null,
    format,
    null,
  );
  return {
    title,
    format,
    machine: null,
    frames,
    steps: [],
    states: [],
    notes: [
      'This trace has the machine’s events but not its page tables or frames, so only the walks it made can be drawn.',
    ],
    stopped: null,
  };
}

function buildFrames(
  events: readonly FlatEvent[],
  steps: readonly (number | null)[],
  stateOf: readonly number[] | null,
  format: RecordedFormat | null,
  deltas: readonly StateDelta[] | null,
): TimelineFrame[] {
  const frames: TimelineFrame[] = [];
  let walk: WalkMark | null = null;
  let previousState: number | null = null;
  const pageSize = 2 ** (format?.pageShift ?? 12);
  const entryBytes = format?.entryBytes ?? 8;
  for (const [index, event] of events.entries()) {
    const step = steps[index] ?? null;
    const state = stateOf?.[index] ?? null;
    walk = nextWalk(walk, event, pageSize, entryBytes);
    let changed: Change | null = null;
    if (deltas !== null && state !== null && previousState !== null && state > previousState)
      changed = changeOf(deltas.slice(previousState + 1, state + 1));
    previousState = state;
    frames.push({
      index,
      step,
      event,
      phase: PHASES[event.kind] ?? 'kernel',
      text: describeEvent(event, { format, step }),
      state,
      changed,
      walk,
    });
  }
  return frames;
}

/** How a walk goes on from one event to the next. */
function nextWalk(
  walk: WalkMark | null,
  e: FlatEvent,
  pageSize: number,
  entryBytes: number,
): WalkMark | null {
  switch (e.kind) {
    case 'tlb-miss':
      return { va: num(e.va) ?? 0, path: [], faultLevel: null, done: false };
    case 'walk-step': {
      const va = num(e.va) ?? 0;
      const base =
        walk === null || walk.done || walk.va !== va ? { va, path: [], faultLevel: null, done: false } : walk;
      const entryPa = num(e.entryPa) ?? 0;
      const table = Math.floor(entryPa / pageSize);
      const index = (entryPa - table * pageSize) / entryBytes;
      const step: PathEntry = {
        level: num(e.level) ?? base.path.length,
        levelName: str(e.levelName),
        table,
        index,
        key: entryKey(table, index),
        raw: str(e.entry),
      };
      return { ...base, path: [...base.path, step] };
    }
    case 'fault': {
      if (walk === null) return null;
      const level = num(e['fault.level']);
      return { ...walk, faultLevel: level !== null && level >= 0 ? level : null, done: true };
    }
    case 'tlb-fill':
    case 'access':
      return walk === null ? null : { ...walk, done: true };
    case 'tlb-hit':
    case 'step':
      return null;
    default:
      return walk;
  }
}

/**
 * Steps and the stops they span: from a step's first event to the event
 * before the next step's, so events between steps (a test reading a PTE
 * with a helper that is no step) belong to the step before them.
 */
function groupSteps(frames: readonly TimelineFrame[], steps: Recording['steps']): StepGroup[] {
  const firsts: { step: Recording['steps'][number]; first: number }[] = [];
  for (const s of steps) {
    const first = frames.find((f) => f.step === s.index);
    if (first !== undefined) firsts.push({ step: s, first: first.index });
  }
  return firsts.map(({ step, first }, i) => ({
    index: step.index,
    kind: step.kind,
    summary: step.summary,
    first,
    last: (firsts[i + 1]?.first ?? frames.length) - 1,
  }));
}

// ───────────────────────── navigation ─────────────────────────

export type Move =
  | 'back'
  | 'forward'
  | 'previous-step'
  | 'next-step'
  | 'first'
  | 'last'
  | 'next-fault'
  | 'previous-fault';

/** Where a move from `at` lands (clamped; a step move goes to a step's first event). */
export function move(t: Timeline, at: number, how: Move): number {
  const last = t.frames.length - 1;
  const clamp = (i: number) => Math.max(0, Math.min(last, i));
  switch (how) {
    case 'back':
      return clamp(at - 1);
    case 'forward':
      return clamp(at + 1);
    case 'first':
      return 0;
    case 'last':
      return Math.max(0, last);
    case 'next-step': {
      const next = t.steps.find((s) => s.first > at);
      return next === undefined ? Math.max(0, last) : next.first;
    }
    case 'previous-step': {
      const here = t.steps.findLast((s) => s.first <= at);
      if (here !== undefined && here.first < at) return here.first;
      const before = t.steps.findLast((s) => s.first < at);
      return before === undefined ? 0 : before.first;
    }
    case 'next-fault': {
      const f = t.frames.find((x) => x.index > at && x.event.kind === 'fault');
      return f === undefined ? at : f.index;
    }
    case 'previous-fault': {
      const f = t.frames.findLast((x) => x.index < at && x.event.kind === 'fault');
      return f === undefined ? at : f.index;
    }
    default: {
      const unreachable: never = how;
      return unreachable;
    }
  }
}

/** The stop a learner should see first: the last fault of a failed test, else the start. */
export function initialStop(t: Timeline, prefer: 'start' | 'last-fault'): number {
  if (prefer === 'start' || t.frames.length === 0) return 0;
  const fault = t.frames.findLast((f) => f.event.kind === 'fault');
  return fault?.index ?? t.frames.length - 1;
}

// ───────────────────────── the page-table tree ─────────────────────────

export interface TreeEntry {
  readonly key: string;
  readonly index: number;
  readonly va: number;
  readonly span: number;
  readonly raw: string;
  /** 'none': an empty entry the walk read (it is not in the tables otherwise). */
  readonly kind: EntryRow['kind'] | 'none';
  readonly pfn: number;
  readonly flags: readonly FlagBit[];
  readonly child: TreeTable | null;
  /** A sentence about it beyond its bits: swap entry, kernel half, broken pointer. */
  readonly note: string | null;
  readonly onPath: boolean;
  readonly faulting: boolean;
  readonly changed: boolean;
}

export interface TreeTable {
  readonly pfn: number;
  readonly level: number;
  readonly levelName: string;
  readonly va: number;
  /** Bytes one entry of this table covers. */
  readonly span: number;
  readonly entries: readonly TreeEntry[];
  /** Root entries of the shared kernel half, folded into one line (those not on the walk). */
  readonly kernelHalf: { readonly count: number; readonly first: number; readonly last: number } | null;
  readonly changed: boolean;
}

const UNFOLLOWED: Readonly<Record<NonNullable<EntryRow['unfollowed']>, string>> = {
  'outside-range': 'the shared kernel half (the same in every process)',
  'beyond-memory': 'points beyond physical memory: the walk faults here',
  'reserved-bits': 'reserved bits are set: the walk faults here',
  seen: 'points to a table already shown',
  limit: 'not followed (too many tables to draw)',
};

/** The tree of one address space at a stop (null without states or when the space is gone). */
export function treeAt(t: Timeline, at: number, mm: number): TreeTable | null {
  const frame = t.frames[at];
  const format = t.format;
  if (frame === undefined || frame.state === null || format === null) return null;
  const state = t.states[frame.state]!;
  const space = state.spaces.find((s) => s.mm === mm);
  if (space === undefined) return null;
  const byTable = new Map<number, EntryRow[]>();
  for (const e of state.entries.values()) {
    const list = byTable.get(e.t);
    if (list === undefined) byTable.set(e.t, [e]);
    else list.push(e);
  }
  const walk = frame.walk;
  const pathKeys = new Map<string, PathEntry>((walk?.path ?? []).map((p) => [p.key, p]));
  const faultKey =
    walk?.faultLevel !== null && walk?.faultLevel !== undefined
      ? walk.path.find((p) => p.level === walk.faultLevel)?.key
      : undefined;
  const changed = frame.changed;
  const seen = new Set<number>();

  const build = (pfn: number, level: number, va: number): TreeTable => {
    seen.add(pfn);
    const rows = [...(byTable.get(pfn) ?? [])];
    // Empty entries the walk read are drawn too: that is where it stopped.
    for (const p of walk?.path ?? [])
      if (p.table === pfn && !rows.some((r) => r.i === p.index)) rows.push(ghost(p, walk!.va, format, level));
    rows.sort((a, b) => a.i - b.i);
    const span = format.levels[level]?.span ?? 0;
    const entries: TreeEntry[] = [];
    let kernel: { count: number; first: number; last: number } | null = null;
    for (const row of rows) {
      const key = entryKey(row.t, row.i);
      const onPath = pathKeys.has(key);
      if (row.unfollowed === 'outside-range' && !onPath) {
        kernel =
          kernel === null
            ? { count: 1, first: row.i, last: row.i }
            : { count: kernel.count + 1, first: kernel.first, last: row.i };
        continue;
      }
      const childPfn = row.next;
      const child =
        childPfn !== null && state.tables.has(childPfn) && !seen.has(childPfn)
          ? build(childPfn, level + 1, row.va)
          : null;
      entries.push({
        key,
        index: row.i,
        va: row.va,
        span,
        raw: row.raw,
        kind: row.raw === '' ? 'none' : row.kind,
        pfn: row.pfn,
        flags: flagBits(format, row.raw || '0'),
        child,
        note: noteOf(row),
        onPath,
        faulting: key === faultKey,
        changed: changed?.entries.has(key) ?? false,
      });
    }
    return {
      pfn,
      level,
      levelName: format.levels[level]?.name ?? `level ${level}`,
      va,
      span,
      entries,
      kernelHalf: kernel,
      changed: changed?.tables.has(pfn) ?? false,
    };
  };
  const rootRow = state.tables.get(space.root);
  return build(space.root, 0, rootRow?.va ?? 0);
}

/** An entry the walk read that the tables do not list: an empty one (or one the picture could not keep). */
function ghost(p: PathEntry, walkVa: number, format: RecordedFormat, level: number): EntryRow {
  const span = format.levels[level]?.span ?? 1;
  const d = decodeRaw(format, level, p.raw);
  const empty = safeBig(p.raw) === 0n;
  return {
    t: p.table,
    i: p.index,
    // The entry covers the walked address's span-aligned block (floor keeps the upper half right).
    va: Math.floor(walkVa / span) * span,
    raw: empty ? '' : p.raw,
    kind: d.kind,
    pfn: d.pfn,
    on: [],
    next: null,
  };
}

function safeBig(raw: string): bigint {
  try {
    return BigInt(raw);
  } catch {
    return 0n;
  }
}

function noteOf(row: EntryRow): string | null {
  if (row.raw === '') return 'empty: nothing mapped here';
  if (row.swapSlot !== undefined) return `not present: a swap entry (slot ${row.swapSlot})`;
  if (row.protNone === true) return `not present: PROT_NONE (the frame ${hexFrame(row.pfn)} is kept)`;
  if (row.unfollowed !== undefined) return UNFOLLOWED[row.unfollowed];
  if (row.kind === 'reserved') return 'a reserved encoding: the walk faults here';
  if (row.kind === 'invalid') return 'not present';
  return null;
}

// ───────────────────────── the frame map ─────────────────────────

export type FrameCell =
  | {
      readonly kind: 'frame';
      readonly row: FrameRow;
      /** Who holds it, in words: "parent (pid 3), child (pid 4)". */
      readonly owners: string;
      readonly changed: boolean;
      /** The frame the current walk's leaf maps, or a table it read. */
      readonly onPath: boolean;
    }
  | { readonly kind: 'free'; readonly from: number; readonly to: number; readonly changed: boolean };

/** The frame database at a stop: every frame in use, and the free ones between as runs. */
export function framesAt(t: Timeline, at: number): FrameCell[] {
  const frame = t.frames[at];
  if (frame === undefined || frame.state === null || t.machine === null) return [];
  const state = t.states[frame.state]!;
  const names = new Map(state.spaces.map((s) => [s.mm, spaceName(s)]));
  const pathFrames = new Set<number>();
  for (const p of frame.walk?.path ?? []) {
    pathFrames.add(p.table);
    if (t.format !== null) {
      const d = decodeRaw(t.format, p.level, p.raw);
      if (d.kind === 'leaf' && p === frame.walk?.path.at(-1)) pathFrames.add(d.pfn);
    }
  }
  const changed = frame.changed?.frames ?? new Set<number>();
  const out: FrameCell[] = [];
  const used = [...state.frames.keys()].sort((a, b) => a - b);
  let next = 0;
  const free = (from: number, to: number) => {
    if (from > to) return;
    let touched = false;
    for (const pfn of changed) if (pfn >= from && pfn <= to) touched = true;
    out.push({ kind: 'free', from, to, changed: touched });
  };
  for (const pfn of used) {
    free(next, pfn - 1);
    const row = state.frames.get(pfn)!;
    out.push({
      kind: 'frame',
      row,
      // Spaces the picture does not draw (init's) are named in the frame's note instead.
      owners: row.mms
        .map((mm) => names.get(mm))
        .filter((n) => n !== undefined)
        .join(', '),
      changed: changed.has(pfn),
      onPath: pathFrames.has(pfn),
    });
    next = pfn + 1;
  }
  free(next, t.machine.frames - 1);
  return out;
}

export function spaceName(s: SpaceRow): string {
  const who = s.pids.map((pid, i) => `${s.names[i] ?? 'task'} (pid ${pid})`);
  return who.length === 0 ? `mm ${s.mm}` : who.join(', ');
}

/** The spaces at a stop, and the one the machine was using. */
export function spacesAt(t: Timeline, at: number): { spaces: readonly SpaceRow[]; focus: number | null } {
  const frame = t.frames[at];
  if (frame === undefined || frame.state === null) return { spaces: [], focus: null };
  const state = t.states[frame.state]!;
  return { spaces: state.spaces, focus: state.focus };
}
