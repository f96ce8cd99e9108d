/**
 * Recording a run for the picture of it: every event the machine and the
 * kernel report, each hook call, and — at every point where the state can
 * have changed — what the picture draws: each user address space's page
 * tables (decoded with vm-core's side-effect-free `dumpPageTables`, the
 * kernel half listed but not followed) and the frame database (what holds
 * each frame, its refcount and mapcount, whether a PTE mapping it is young
 * or dirty). Nothing here changes the machine: no accessed bit is cleared,
 * no TLB entry filled, no hook run.
 *
 * The state is captured after the events that can change it — a hook
 * returning, a frame allocated or freed, an A/D update, a fault, a flush, a
 * task event, a step ending — and stored only when it differs, as a delta
 * (recording-schema.ts). The events between two captures (an access, a TLB
 * miss, the walk) change nothing, so the picture at any event is exact.
 *
 * Bounded: a recorder keeps the first `maxEvents` events (a scenario for a
 * page: it can stop the run there) or the last ones (a test, where what
 * matters is just before the failure), and a recording's states are never
 * more than its events.
 */
import {
  dumpPageTables,
  type Kernel,
  type Mm,
  narrowAddress,
  PageFlag,
  type TraceEvent,
} from '@faultline/vm-core';
import type { HookCall } from './hooks.ts';
import { recordedFormatOf } from './recording-format.ts';
import {
  type EntryRow,
  type FlatEvent,
  type FrameRow,
  MAX_RECORDING_EVENTS,
  RECORDING_VERSION,
  type RecordedEvent,
  type RecordedFormat,
  type RecordedStep,
  type Recording,
  type SpaceRow,
  type StateDelta,
  type TableRow,
} from './recording-schema.ts';
import {
  bootSession,
  type RunOptions,
  runOn,
  type ScenarioReport,
  type StepObserver,
  type StoppedAt,
} from './run.ts';
import type { Scenario } from './schema.ts';
import type { ScenarioSession } from './session.ts';

export interface RecorderOptions {
  /** Events kept (default 2000; at most MAX_RECORDING_EVENTS). */
  readonly maxEvents?: number;
  /** 'first' (default): the first events, then stop recording; 'last': the most recent ones. */
  readonly keep?: 'first' | 'last';
  /** With keep 'first': end the run itself once the recording is full (throws RecordingFull out of the kernel). */
  readonly stopWhenFull?: boolean;
  readonly title?: string | null;
  /** Address spaces drawn at most (default 8; the focused one always). */
  readonly maxSpaces?: number;
}

/** Thrown out of the kernel by a recorder with `stopWhenFull`: the run ends here. */
export class RecordingFull extends Error {}

/** Events that cannot change what the picture draws (but may move its focus). */
const QUIET = new Set(['access', 'tlb-hit', 'tlb-miss', 'tlb-fill', 'walk-step', 'hook']);
/**
 * Hooks whose own implementations (Linux's, the empty one) only read: their
 * return changes nothing. Any other implementation — a learner's, a file's —
 * may, so the state is captured after it returns, whichever hook it is.
 */
const READ_ONLY_HOOKS = new Set(['reclaimDecision', 'walkPageTable', 'exceptionFixup']);
/** Longest string kept in a flattened event. */
const MAX_FIELD = 2_000;
const MAX_STEPS = 2_000;

const PAGE_FLAG_NAMES: readonly [string, number][] = Object.entries(PageFlag).map(([name, bit]) => [
  name.toLowerCase(),
  bit,
]);

/**
 * A TraceEvent as flat JSON, by the rule the grader's report uses for its
 * trace: `type` becomes `kind` (a field named `kind` becomes `what`), nested
 * objects become dotted fields two levels deep, arrays are comma-joined.
 */
export function flattenEvent(event: TraceEvent): FlatEvent {
  const out: Record<string, string | number | boolean | null> = { kind: event.type };
  const put = (prefix: string, value: unknown, depth: number): void => {
    if (value === null || typeof value === 'number' || typeof value === 'boolean') out[prefix] = value;
    else if (typeof value === 'bigint') out[prefix] = flatAddress(value);
    else if (typeof value === 'string')
      out[prefix] = value.length > MAX_FIELD ? value.slice(0, MAX_FIELD) : value;
    else if (Array.isArray(value)) out[prefix] = value.map(String).join(',');
    else if (typeof value === 'object' && depth < 2) {
      for (const [k, v] of Object.entries(value as Record<string, unknown>))
        put(`${prefix}.${k}`, v, depth + 1);
    }
  };
  for (const [key, value] of Object.entries(event)) {
    if (key === 'type') continue;
    put(key === 'kind' ? 'what' : key, value, 0);
  }
  return out as FlatEvent;
}

/**
 * A bigint (an exact address, such as a signal's si_addr) in a flat event:
 * the kernel's own number, as every other address in a recording is — signed
 * on 64-bit machines — or, for a non-canonical value no number holds, its
 * exact hex.
 */
function flatAddress(value: bigint): number | string {
  return narrowAddress(value, true) ?? `0x${BigInt.asUintN(64, value).toString(16)}`;
}

/** The paging format as a recording carries it. */
export function recordedFormat(kernel: Kernel): RecordedFormat {
  return recordedFormatOf(kernel.layout.format);
}

// ───────────────────────── the state ─────────────────────────

interface Keyed<T> {
  readonly row: T;
  readonly key: string;
}

/** The whole state at one moment, each row with its JSON as the key it is compared by. */
interface Captured {
  readonly focus: number | null;
  readonly spacesKey: string;
  readonly spaces: SpaceRow[];
  readonly tables: Map<number, Keyed<TableRow>>;
  readonly entries: Map<string, Keyed<EntryRow>>;
  /** Frames that are not free. */
  readonly frames: Map<number, Keyed<FrameRow>>;
}

const keyed = <T>(row: T, key: string): Keyed<T> => ({ row, key });
/** The flags set in a decoded entry (decoded entries are shared between dumps, and so are these). */
const flagsOn = new WeakMap<object, string[]>();
function setFlags(flags: Readonly<Record<string, boolean>>): string[] {
  let on = flagsOn.get(flags);
  if (on === undefined) {
    on = Object.keys(flags).filter((name) => flags[name]);
    flagsOn.set(flags, on);
  }
  return on;
}
const entryKey = (t: number, i: number) => `${t}:${i}`;

/** The address spaces the picture may show: every user process's but init's, and the focused one. */
function userSpaces(
  kernel: Kernel,
  focus: number | null,
  max: number,
  names: ReadonlyMap<number, string>,
): { mm: Mm; pids: number[]; names: string[] }[] {
  const byMm = new Map<Mm, { pids: number[]; names: string[] }>();
  for (const task of kernel.tasks.values()) {
    if (!task.alive || task.kind !== 'user' || task.mm === null) continue;
    if (task.pid <= 2 && task.mm.id !== focus) continue;
    const entry = byMm.get(task.mm) ?? { pids: [], names: [] };
    entry.pids.push(task.pid);
    entry.names.push(names.get(task.pid) ?? task.name);
    byMm.set(task.mm, entry);
  }
  const all = [...byMm].map(([mm, who]) => ({ mm, ...who })).sort((a, b) => a.mm.id - b.mm.id);
  if (all.length <= max) return all;
  const focused = all.filter((s) => s.mm.id === focus);
  return [...focused, ...all.filter((s) => s.mm.id !== focus).slice(0, max - focused.length)].sort(
    (a, b) => a.mm.id - b.mm.id,
  );
}

function capture(
  kernel: Kernel,
  focus: number | null,
  maxSpaces: number,
  names: ReadonlyMap<number, string>,
): Captured {
  const format = kernel.layout.format;
  const pageSize = kernel.memory.pageSize;
  const last = format.levels.length - 1;
  const spaces = userSpaces(kernel, focus, maxSpaces, names);
  const spaceRows: SpaceRow[] = spaces.map((s) => ({
    mm: s.mm.id,
    root: s.mm.pgdPfn,
    pids: s.pids,
    names: s.names,
  }));
  const tables = new Map<number, Keyed<TableRow>>();
  const entries = new Map<string, Keyed<EntryRow>>();
  for (const { mm } of spaces) {
    const dump = dumpPageTables(format, kernel.memory, mm.pgdPfn * pageSize, {
      from: 0,
      to: kernel.layout.userEnd,
    });
    for (const table of dump.tables) {
      tables.set(
        table.pfn,
        keyed(
          { pfn: table.pfn, mm: mm.id, level: table.level, va: table.va },
          `${mm.id}|${table.level}|${table.va}`,
        ),
      );
      for (const e of table.entries) {
        const row: { -readonly [K in keyof EntryRow]: EntryRow[K] } = {
          t: table.pfn,
          i: e.index,
          va: e.va,
          raw: e.entry.raw,
          kind: e.entry.kind,
          pfn: e.entry.pfn,
          on: setFlags(e.entry.flags),
          next: e.next === null ? null : Math.floor(e.next / pageSize),
        };
        if (e.unfollowed !== undefined) row.unfollowed = e.unfollowed;
        if (e.entry.kind === 'invalid' && table.level === last) {
          // Software's reading of a non-present PTE that still holds bits.
          const sw = kernel.api.readTableEntry(e.entryPa, last);
          if (sw.kind === 'swap') row.swapSlot = sw.slot;
          else if (sw.kind === 'leaf') row.protNone = true;
        }
        const key = `${row.raw}|${row.va}|${row.next}|${row.unfollowed}|${row.swapSlot}|${row.protNone}`;
        entries.set(entryKey(table.pfn, e.index), keyed(row, key));
      }
    }
  }
  return {
    focus,
    spacesKey: JSON.stringify(spaceRows),
    spaces: spaceRows,
    tables,
    entries,
    frames: captureFrames(kernel, new Set(spaces.map((x) => x.mm.id)), names),
  };
}

function captureFrames(
  kernel: Kernel,
  drawn: ReadonlySet<number>,
  names: ReadonlyMap<number, string>,
): Map<number, Keyed<FrameRow>> {
  // Who uses an address space the picture does not draw (init's, say), for its tables' notes.
  const users = new Map<number, string[]>();
  for (const task of kernel.tasks.values()) {
    if (!task.alive || task.mm === null || drawn.has(task.mm.id)) continue;
    const list = users.get(task.mm.id) ?? [];
    list.push(`${names.get(task.pid) ?? task.name} (pid ${task.pid})`);
    users.set(task.mm.id, list);
  }
  const db = kernel.frames;
  const zero = kernel.api.zeroPfn();
  const tableOwner = new Map<number, number>();
  for (const mm of kernel.mms.values()) {
    tableOwner.set(mm.pgdPfn, mm.id);
    for (const pfn of mm.tablePages) tableOwner.set(pfn, mm.id);
  }
  const filePage = new Map<number, string>();
  for (const file of kernel.files.values())
    for (const [index, pfn] of file.cache) filePage.set(pfn, `${file.name}, page ${index}`);

  const out = new Map<number, Keyed<FrameRow>>();
  for (let pfn = 0; pfn < db.frames; pfn++) {
    const refcount = db.refcount[pfn]!;
    if (refcount === 0) continue;
    const bits = db.flags[pfn]!;
    const has = (flag: number) => (bits & flag) !== 0;
    const flags = PAGE_FLAG_NAMES.filter(([, bit]) => (bits & bit) !== 0).map(([name]) => name);
    const mms = new Set<number>();
    let accessed = false;
    let dirty = has(PageFlag.Dirty);
    for (const { mm, va } of kernel.rmap.mappings(pfn)) {
      mms.add(mm.id);
      // The PTE, or a huge page's PMD read as the PTE of this page.
      const pte = kernel.tables.readPte(mm.pgdPfn, va);
      if (!kernel.arch.pte.mapsFrame(pte)) continue;
      accessed ||= kernel.arch.pte.young(pte);
      dirty ||= kernel.arch.pte.dirty(pte);
    }
    let use: FrameRow['use'];
    if (pfn === zero) use = 'zero-page';
    else if (has(PageFlag.Reserved)) use = 'reserved';
    else if (has(PageFlag.PageTable)) {
      use = 'page-table';
      const owner = tableOwner.get(pfn);
      if (owner !== undefined && !kernel.kernelTables.has(pfn)) mms.add(owner);
    } else if (has(PageFlag.Kernel)) use = 'kernel';
    else if (has(PageFlag.File)) use = 'file';
    else if (has(PageFlag.Anon)) use = 'anon';
    else if (has(PageFlag.SwapCache)) use = 'swap-cache';
    else use = 'allocated';
    const notes: string[] = [];
    const file = filePage.get(pfn);
    if (file !== undefined) notes.push(file);
    if (use === 'page-table' && kernel.kernelTables.has(pfn)) notes.push('the kernel’s, shared');
    if (use === 'page-table') {
      const owner = tableOwner.get(pfn);
      const who = owner === undefined || drawn.has(owner) ? undefined : users.get(owner);
      if (who !== undefined) notes.push(`of ${who.join(', ')}`);
    }
    const slot = db.swapSlot[pfn]!;
    if (slot >= 0) notes.push(`swap slot ${slot & 0xffffff}`);
    const row: FrameRow = {
      pfn,
      use,
      refcount,
      mapcount: db.mapcount[pfn]!,
      mms: [...mms].sort((a, b) => a - b),
      accessed,
      dirty,
      flags,
      note: notes.length === 0 ? null : notes.join('; '),
    };
    const key = `${use}|${refcount}|${row.mapcount}|${row.mms.join(',')}|${accessed}|${dirty}|${bits}|${row.note}`;
    out.set(pfn, keyed(row, key));
  }
  return out;
}

/** What changed from `prev` to `cur`, or null when nothing did. */
function diff(prev: Captured, cur: Captured): StateDelta | null {
  const d: { -readonly [K in keyof StateDelta]: StateDelta[K] } = {};
  if (prev.focus !== cur.focus) d.focus = cur.focus;
  if (prev.spacesKey !== cur.spacesKey) d.spaces = cur.spaces;
  const tables = changed(prev.tables, cur.tables);
  if (tables.length > 0) d.tables = tables;
  const tablesGone = [...prev.tables.keys()].filter((k) => !cur.tables.has(k));
  if (tablesGone.length > 0) d.tablesGone = tablesGone;
  const entries = changed(prev.entries, cur.entries);
  if (entries.length > 0) d.entries = entries;
  const entriesGone = [...prev.entries.values()]
    .filter(({ row }) => !cur.entries.has(entryKey(row.t, row.i)))
    .map(({ row }) => [row.t, row.i] as [number, number]);
  if (entriesGone.length > 0) d.entriesGone = entriesGone;
  const frames = changed(prev.frames, cur.frames);
  for (const pfn of prev.frames.keys()) if (!cur.frames.has(pfn)) frames.push(freeFrame(pfn));
  if (frames.length > 0) d.frames = frames.sort((a, b) => a.pfn - b.pfn);
  return Object.keys(d).length === 0 ? null : d;
}

function changed<K, T>(prev: Map<K, Keyed<T>>, cur: Map<K, Keyed<T>>): T[] {
  const out: T[] = [];
  for (const [k, v] of cur) if (prev.get(k)?.key !== v.key) out.push(v.row);
  return out;
}

function freeFrame(pfn: number): FrameRow {
  return {
    pfn,
    use: 'free',
    refcount: 0,
    mapcount: 0,
    mms: [],
    accessed: false,
    dirty: false,
    flags: [],
    note: null,
  };
}

/** A full state as plain rows, folded forward by deltas (for a recording whose first events were dropped). */
interface PlainState {
  focus: number | null;
  spaces: SpaceRow[];
  tables: Map<number, TableRow>;
  entries: Map<string, EntryRow>;
  frames: Map<number, FrameRow>;
}

function plain(c: Captured): PlainState {
  const rows = <K, T>(m: Map<K, Keyed<T>>) => new Map([...m].map(([k, v]) => [k, v.row]));
  return {
    focus: c.focus,
    spaces: c.spaces,
    tables: rows(c.tables),
    entries: rows(c.entries),
    frames: rows(c.frames),
  };
}

function fold(s: PlainState, d: StateDelta): void {
  if (d.focus !== undefined) s.focus = d.focus;
  if (d.spaces !== undefined) s.spaces = d.spaces;
  for (const pfn of d.tablesGone ?? []) s.tables.delete(pfn);
  for (const t of d.tables ?? []) s.tables.set(t.pfn, t);
  for (const [t, i] of d.entriesGone ?? []) s.entries.delete(entryKey(t, i));
  for (const e of d.entries ?? []) s.entries.set(entryKey(e.t, e.i), e);
  for (const f of d.frames ?? []) {
    if (f.use === 'free') s.frames.delete(f.pfn);
    else s.frames.set(f.pfn, f);
  }
}

function whole(s: PlainState): StateDelta {
  return {
    focus: s.focus,
    spaces: s.spaces,
    tables: [...s.tables.values()],
    entries: [...s.entries.values()],
    frames: [...s.frames.values()].sort((a, b) => a.pfn - b.pfn),
  };
}

// ───────────────────────── the recorder ─────────────────────────

/**
 * Records a session from now on. Mark steps with `stepObserver` (or
 * `beginStep`/`endStep`), read the result with `recording()`, and call
 * `dispose()` when done.
 */
export class Recorder {
  private readonly kernel: Kernel;
  private readonly maxEvents: number;
  private readonly keep: 'first' | 'last';
  private readonly stopWhenFull: boolean;
  private readonly maxSpaces: number;
  private readonly title: string | null;
  private readonly stops: (() => void)[] = [];

  /** The state at `baseIndex` in full; `deltas[k]` takes state baseIndex + k to baseIndex + k + 1. */
  private base: PlainState;
  private baseIndex = 0;
  private readonly deltas: StateDelta[] = [];
  private latest: Captured;
  private events: RecordedEvent[] = [];
  private droppedEvents = 0;
  private full = false;
  private readonly steps: RecordedStep[] = [];
  private step: RecordedStep | null = null;
  private stepMarker: Record<string, unknown> | null = null;
  private focus: number | null = null;
  private stopped: StoppedAt | null = null;
  private readonly names = new Map<number, string>();

  constructor(session: ScenarioSession, options: RecorderOptions = {}) {
    this.kernel = session.kernel;
    this.maxEvents = Math.min(options.maxEvents ?? 2_000, MAX_RECORDING_EVENTS);
    if (!Number.isInteger(this.maxEvents) || this.maxEvents < 1)
      throw new RangeError(`maxEvents must be a whole number from 1 to ${MAX_RECORDING_EVENTS}`);
    this.keep = options.keep ?? 'first';
    this.stopWhenFull = options.stopWhenFull ?? false;
    this.maxSpaces = options.maxSpaces ?? 8;
    this.title = options.title ?? null;
    this.focus = this.loadedUserMm(0);
    this.latest = capture(this.kernel, this.focus, this.maxSpaces, this.names);
    this.base = plain(this.latest);
    this.stops.push(this.kernel.subscribe((e) => this.onEvent(flattenEvent(e), e)));
    this.stops.push(session.hooks.observe((call) => this.onHook(call)));
  }

  /** Steps of a scenario run (`runOn`'s observer). */
  readonly stepObserver: StepObserver = {
    begin: (_index, kind) => this.beginStep(kind),
    end: (summary, cpu) => this.endStep(summary, cpu),
    named: (name, pid) => this.nameTask(pid, name),
  };

  /**
   * What to call a task in the picture (its name in the file or the test):
   * a forked child keeps its parent's name in the kernel, as in Linux.
   */
  nameTask(pid: number, name: string): void {
    this.names.set(pid, name);
  }

  /** Marks the start of a step: what the events until `endStep` belong to. */
  beginStep(kind: string): void {
    if (this.steps.length >= MAX_STEPS) return;
    const step = { index: this.steps.length + 1, kind, summary: '', cpu: null };
    this.steps.push(step);
    this.step = step;
    const marker: Record<string, unknown> = { kind: 'step', name: kind, summary: '' };
    this.stepMarker = marker;
    this.push(marker as FlatEvent, false);
  }

  /** Ends the current step, with the line that says what it did. */
  endStep(summary: string, cpu: number | null): void {
    const step = this.step;
    if (step === null) return;
    const text = summary.length > 4_000 ? `${summary.slice(0, 4_000)}…` : summary;
    (step as { summary: string }).summary = text;
    (step as { cpu: number | null }).cpu = cpu;
    if (this.stepMarker !== null) this.stepMarker.summary = text;
    if (cpu !== null) this.focusOn(cpu);
    // The state after the step, when it differs from the last event's: mmap, fork and
    // mprotect change tables without an event of their own at the end.
    const before = this.deltas.length;
    this.checkpoint();
    if (this.deltas.length !== before) this.push({ kind: 'step-end', summary: text } as FlatEvent, false);
    this.step = null;
    this.stepMarker = null;
  }

  /** The kernel stopped the run at a step (recorded with the recording). */
  noteStopped(stopped: StoppedAt | null): void {
    this.stopped = stopped;
  }

  /** Stops listening. */
  dispose(): void {
    for (const stop of this.stops.splice(0)) stop();
  }

  /** What has been recorded so far, as plain JSON. */
  recording(extra: { invariants?: readonly string[] } = {}): Recording {
    this.compact(this.maxEvents);
    const k = this.kernel;
    return {
      version: RECORDING_VERSION,
      title: this.title,
      machine: {
        arch: k.layout.arch,
        frames: k.memory.frameCount,
        cpus: k.cpus.length,
        userEnd: k.layout.userEnd,
        linux: k.linux,
      },
      format: recordedFormat(k),
      steps: this.steps.map((s) => ({ ...s })),
      events: this.events.map((e) => ({ ...e, state: e.state - this.baseIndex, event: { ...e.event } })),
      states: [whole(this.base), ...this.deltas],
      droppedEvents: this.droppedEvents,
      cut: this.full ? 'events' : null,
      stopped:
        this.stopped === null
          ? null
          : { index: this.stopped.index, step: this.stopped.step, reason: this.stopped.reason },
      invariants: [...(extra.invariants ?? [])],
    };
  }

  // ── events ──

  private onEvent(flat: FlatEvent, event: TraceEvent): void {
    if ('cpu' in event && typeof event.cpu === 'number' && event.cpu >= 0) this.focusOn(event.cpu);
    this.push(flat, !QUIET.has(flat.kind));
  }

  private onHook(call: HookCall): void {
    switch (call.phase) {
      case 'call':
        this.push({ kind: 'hook', hook: call.hook, impl: call.impl }, false);
        return;
      case 'return': {
        const changes =
          call.impl === 'other' || (call.impl === 'reference' && !READ_ONLY_HOOKS.has(call.hook));
        this.push(
          { kind: 'hook-return', hook: call.hook, impl: call.impl, result: describe(call.result) },
          changes,
        );
        return;
      }
      case 'throw': {
        const why = call.error instanceof Error ? call.error.message : String(call.error);
        this.push(
          { kind: 'hook-throw', hook: call.hook, impl: call.impl, error: why.slice(0, MAX_FIELD) },
          true,
        );
        return;
      }
    }
  }

  private push(event: FlatEvent, changes: boolean): void {
    if (this.full) return;
    if (this.keep === 'first' && this.events.length >= this.maxEvents) {
      this.full = true;
      if (this.stopWhenFull) throw new RecordingFull(`the recording is full (${this.maxEvents} events)`);
      return;
    }
    if (changes || this.latest.focus !== this.focus) this.checkpoint();
    this.events.push({ step: this.step?.index ?? null, state: this.baseIndex + this.deltas.length, event });
    if (this.keep === 'last' && this.events.length >= 2 * this.maxEvents) this.compact(this.maxEvents);
  }

  /** Captures the state; stores it when it differs from the last one. */
  private checkpoint(): void {
    if (this.full) return;
    const cur = capture(this.kernel, this.focus, this.maxSpaces, this.names);
    const d = diff(this.latest, cur);
    if (d === null) return;
    this.deltas.push(d);
    this.latest = cur;
  }

  /** Keeps the last `max` events, folding the states only dropped events used into the base. */
  private compact(max: number): void {
    const drop = this.events.length - max;
    if (drop <= 0) return;
    this.events = this.events.slice(drop);
    this.droppedEvents += drop;
    const first = this.events[0]!.state;
    while (this.baseIndex < first) {
      fold(this.base, this.deltas.shift()!);
      this.baseIndex++;
    }
  }

  private focusOn(cpu: number): void {
    const mm = this.loadedUserMm(cpu);
    if (mm !== null) this.focus = mm;
  }

  /** The user address space loaded on a CPU, if it is one some live task still uses. */
  private loadedUserMm(cpu: number): number | null {
    const mm = this.kernel.cpus[cpu]?.loadedMm;
    if (mm === undefined || !this.kernel.mms.has(mm.id)) return null;
    for (const task of this.kernel.tasks.values())
      if (task.alive && task.kind === 'user' && task.mm === mm) return mm.id;
    return null;
  }
}

/** A hook's answer in a few words, for the timeline. */
function describe(result: unknown): string {
  if (result === undefined) return 'done';
  if (result === null || typeof result !== 'object') return String(result);
  const r = result as Record<string, unknown>;
  if (r.kind === 'resolved') return `resolved: ${String(r.resolution)}`;
  if (r.kind === 'signal' && typeof r.signal === 'object' && r.signal !== null) {
    const s = r.signal as Record<string, unknown>;
    return `signal ${String(s.signal)} (${String(s.code)})`;
  }
  if (r.kind === 'fixup') return 'fixup';
  if (r.kind === 'present' && typeof r.pfn === 'number') return `present: pfn ${r.pfn}`;
  if (typeof r.kind === 'string') return r.kind;
  if ('notCopied' in r)
    return `${String(r.notCopied)} bytes not copied${r.errno ? `, -${String(r.errno)}` : ''}`;
  const text = JSON.stringify(result) ?? '';
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}

// ───────────────────────── scenarios ─────────────────────────

export interface RecordScenarioOptions extends RunOptions, Omit<RecorderOptions, 'keep' | 'title'> {}

export interface RecordedRun {
  /** The scenario's report, or null when the recording filled up and stopped the run (`stopWhenFull`). */
  readonly report: ScenarioReport | null;
  readonly recording: Recording;
}

/**
 * Runs a scenario as `runScenario` does, recording it. A bad scenario throws
 * ScenarioError (as runScenario); a step the kernel refuses ends the run, and
 * the recording says where (`stopped`).
 */
export function recordScenario(scenario: Scenario, options: RecordScenarioOptions = {}): RecordedRun {
  const session = bootSession(scenario, options);
  const recorder = new Recorder(session, { ...options, keep: 'first', title: scenario.title ?? null });
  let report: ScenarioReport | null = null;
  try {
    report = runOn(session, scenario, options, recorder.stepObserver);
    recorder.noteStopped(report.stopped);
  } catch (error) {
    if (!(error instanceof RecordingFull)) throw error;
  } finally {
    recorder.dispose();
  }
  return { report, recording: recorder.recording({ invariants: report?.invariants ?? [] }) };
}
