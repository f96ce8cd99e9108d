import { parseScenarioText, type Recording, recordScenario } from '@faultline/scenario';
import { describe, expect, test } from 'vitest';
import {
  buildTimeline,
  flagBits,
  framesAt,
  guessFormat,
  hexAddress,
  initialStop,
  move,
  spacesAt,
  type Timeline,
  type TreeEntry,
  type TreeTable,
  treeAt,
} from './model.ts';

const record = (yaml: string): Recording => recordScenario(parseScenarioText(yaml, 'yaml')).recording;

const COW = `
title: fork and copy-on-write
steps:
  - spawn: { name: parent }
  - mmap: { task: parent, length: 8192, prot: rw-, as: data }
  - write: { task: parent, addr: data, value: 1 }
  - fork: { task: parent, name: child }
  - write: { task: child, addr: data, value: 2 }
  - read: { task: parent, addr: data }
`;

const timeline = (yaml: string) => buildTimeline({ kind: 'recording', recording: record(yaml) });

function entries(table: TreeTable | null): TreeEntry[] {
  if (table === null) return [];
  return table.entries.flatMap((e) => [e, ...entries(e.child)]);
}

const mmNamed = (t: Timeline, at: number, name: string) =>
  spacesAt(t, at).spaces.find((s) => s.names.includes(name))!.mm;

/** The first stop of `step` whose event is `kind`. */
const stopOf = (t: Timeline, step: number, kind: string, nth = 0) =>
  t.frames.filter((f) => f.step === step && f.event.kind === kind)[nth]!.index;

describe('the timeline of a recording', () => {
  test('one stop per event, grouped by step, each said in words', () => {
    const r = record(COW);
    const t = buildTimeline({ kind: 'recording', recording: r });
    expect(t.frames).toHaveLength(r.events.length);
    expect(t.title).toBe('fork and copy-on-write');
    expect(t.steps.map((s) => s.kind)).toEqual(['spawn', 'mmap', 'write', 'fork', 'write', 'read']);
    for (const [i, s] of t.steps.entries()) {
      expect(t.frames[s.first]!.event.kind).toBe('step');
      expect(t.frames[s.last]!.step).toBe(s.index);
      // Steps tile the timeline: each ends where the next begins.
      expect(s.last + 1).toBe(t.steps[i + 1]?.first ?? t.frames.length);
    }
    const fault = t.frames[stopOf(t, 5, 'fault')]!;
    expect(fault.phase).toBe('fault');
    expect(fault.text).toMatch(
      /^Fault: #PF error code 0x7 \(P=1 W=1 U=1 .*\) at 0x00007f[0-9a-f]+: user write/,
    );
    expect(t.frames[stopOf(t, 5, 'step')]!.text).toMatch(
      /^Step 5 \(write\): child: write 0x[0-9a-f]+ = 2 → 2$/,
    );
    expect(t.frames[stopOf(t, 5, 'hook')]!.text).toBe('The kernel calls pageFault (Linux’s)');
    expect(t.frames[stopOf(t, 5, 'walk-step')]!.text).toMatch(
      /^Walk reads PML4 entry 255 = 0x[0-9a-f]{16}: points to the next table \(frame 0x[0-9a-f]+\)$/,
    );
    expect(t.frames[stopOf(t, 5, 'fault-resolved')]!.text).toMatch(
      /handled: cow-copy: the access is retried$/,
    );
  });

  test('a walk step by step: the path grows root first, the fault marks its entry until the retry', () => {
    const t = timeline(COW);
    const miss = stopOf(t, 5, 'tlb-miss');
    expect(t.frames[miss]!.walk).toMatchObject({ path: [], done: false });
    const walkSteps = t.frames.filter((f) => f.step === 5 && f.event.kind === 'walk-step').slice(0, 4);
    expect(walkSteps.map((f) => f.walk!.path.map((p) => p.levelName))).toEqual([
      ['PML4'],
      ['PML4', 'PDPT'],
      ['PML4', 'PDPT', 'PD'],
      ['PML4', 'PDPT', 'PD', 'PT'],
    ]);
    const fault = stopOf(t, 5, 'fault');
    expect(t.frames[fault]!.walk).toMatchObject({ faultLevel: 3, done: true });
    const child = mmNamed(t, fault, 'child');
    const tree = treeAt(t, fault, child)!;
    const onPath = entries(tree).filter((e) => e.onPath);
    expect(onPath).toHaveLength(4);
    const pte = onPath.find((e) => e.faulting)!;
    // The child's COW page: present, user, read-only (W clear at the bit the descriptor names), old (fork's pte_mkold).
    expect(pte.flags.filter((f) => f.on).map((f) => f.name)).toEqual(['P', 'U', 'D', 'NX']);
    expect(pte.flags.find((f) => f.name === 'W')).toEqual({ name: 'W', bit: 1, on: false });
    // During the handler the faulting entry stays marked; the retry starts a new walk.
    const resolved = stopOf(t, 5, 'fault-resolved');
    expect(entries(treeAt(t, resolved, child)).some((e) => e.faulting)).toBe(true);
    const retry = stopOf(t, 5, 'tlb-miss', 1);
    expect(t.frames[retry]!.walk!.faultLevel).toBeNull();
  });

  test('what changed: the copy-on-write gives the child a new, writable frame; the old one drops to one user', () => {
    const t = timeline(COW);
    const cowReturn = t.frames.find(
      (f) => f.step === 5 && f.event.kind === 'hook-return' && f.event.hook === 'cowBreak',
    )!.index;
    const child = mmNamed(t, cowReturn, 'child');
    const before = entries(treeAt(t, stopOf(t, 5, 'fault'), child)).find((e) => e.faulting)!;
    const after = entries(treeAt(t, cowReturn, child)).find((e) => e.key === before.key)!;
    expect(after.pfn).not.toBe(before.pfn);
    expect(after.flags.find((f) => f.name === 'W')!.on).toBe(true);
    // The change is marked at the stop where it happened, not later.
    const changedAt = t.frames.filter((f) => f.changed?.entries.has(before.key) && f.step === 5);
    expect(changedAt.map((f) => f.event.kind)).toContain('hook-return');
    const cells = framesAt(t, cowReturn);
    const copy = cells.find((c) => c.kind === 'frame' && c.row.pfn === after.pfn);
    expect(copy).toMatchObject({ kind: 'frame', row: { use: 'anon', refcount: 1, mapcount: 1 } });
    const old = cells.find((c) => c.kind === 'frame' && c.row.pfn === before.pfn);
    expect(old).toMatchObject({ row: { refcount: 1, mapcount: 1 } });
    expect(old?.kind === 'frame' && old.owners).toBe('parent (pid 3)');
  });

  test('the tree folds the shared kernel half of the root into one line; page tables show as their owner’s frames', () => {
    const t = timeline(COW);
    const end = t.frames.length - 1;
    const parent = mmNamed(t, end, 'parent');
    const tree = treeAt(t, end, parent)!;
    expect(tree.levelName).toBe('PML4');
    expect(tree.kernelHalf).not.toBeNull();
    expect(tree.kernelHalf!.first).toBeGreaterThanOrEqual(256);
    expect(tree.entries.every((e) => e.index < 256)).toBe(true);
    const levels = new Set<string>();
    const visit = (x: TreeTable | null) => {
      if (x === null) return;
      levels.add(x.levelName);
      for (const e of x.entries) visit(e.child);
    };
    visit(tree);
    expect([...levels]).toEqual(['PML4', 'PDPT', 'PD', 'PT']);
    const root = framesAt(t, end).find((c) => c.kind === 'frame' && c.row.pfn === tree.pfn);
    expect(root).toMatchObject({ row: { use: 'page-table' }, owners: 'parent (pid 3)' });
  });

  test('the frame map accounts for every frame exactly once: frames in use, free runs between', () => {
    const t = timeline(COW);
    for (const at of [0, Math.floor(t.frames.length / 2), t.frames.length - 1]) {
      let count = 0;
      let next = 0;
      for (const c of framesAt(t, at)) {
        const from = c.kind === 'frame' ? c.row.pfn : c.from;
        const to = c.kind === 'frame' ? c.row.pfn : c.to;
        expect(from).toBe(next);
        count += to - from + 1;
        next = to + 1;
      }
      expect(count).toBe(t.machine!.frames);
    }
  });

  test('a walk that stops at an empty entry draws that entry, marked as the fault', () => {
    const t = timeline(`
steps:
  - spawn: { name: app }
  - read: { task: app, addr: 0x10000000 }
`);
    const fault = stopOf(t, 2, 'fault');
    const app = spacesAt(t, fault).focus!;
    const marked = entries(treeAt(t, fault, app)).filter((e) => e.onPath);
    const stop = marked.find((e) => e.faulting)!;
    expect(stop.kind).toBe('none');
    expect(stop.note).toBe('empty: nothing mapped here');
    expect(stop.flags.every((f) => !f.on)).toBe(true);
    expect(t.frames.some((f) => f.event.kind === 'signal' && /SIGSEGV \(SEGV_MAPERR\)/.test(f.text))).toBe(
      true,
    );
  });

  test('x86-32: two levels named PD and PT, 4-byte entries, no NX', () => {
    const t = timeline(`
arch: x86-32
steps:
  - spawn: { name: app }
  - mmap: { task: app, length: 4096, prot: rw-, as: buf }
  - write: { task: app, addr: buf, value: 1 }
`);
    const end = t.frames.length - 1;
    const tree = treeAt(t, end, spacesAt(t, end).focus!)!;
    expect(tree.levelName).toBe('PD');
    const leaf = entries(tree).find((e) => e.kind === 'leaf' && e.va < 0xc000_0000)!;
    expect(leaf.raw).toMatch(/^0x[0-9a-f]{8}$/);
    expect(leaf.flags.map((f) => f.name)).toEqual(['P', 'W', 'U', 'A', 'D', 'PS', 'G']);
    expect(hexAddress(leaf.va, 32)).toMatch(/^0x[0-9a-f]{8}$/);
  });
});

describe('moving through it', () => {
  test('back and forward clamp; steps jump to a step’s first event; faults to the next fault', () => {
    const t = timeline(COW);
    const last = t.frames.length - 1;
    expect(move(t, 0, 'back')).toBe(0);
    expect(move(t, last, 'forward')).toBe(last);
    expect(move(t, 3, 'forward')).toBe(4);
    expect(move(t, 0, 'next-step')).toBe(t.steps[1]!.first);
    expect(move(t, t.steps[2]!.first + 2, 'previous-step')).toBe(t.steps[2]!.first);
    expect(move(t, t.steps[2]!.first, 'previous-step')).toBe(t.steps[1]!.first);
    const firstFault = t.frames.find((f) => f.event.kind === 'fault')!.index;
    expect(move(t, 0, 'next-fault')).toBe(firstFault);
    expect(move(t, firstFault, 'previous-fault')).toBe(firstFault);
    expect(move(t, 0, 'last')).toBe(last);
    expect(initialStop(t, 'last-fault')).toBe(t.frames.findLast((f) => f.event.kind === 'fault')!.index);
    expect(initialStop(t, 'start')).toBe(0);
  });
});

describe('a bare trace (a report without states)', () => {
  test('finds the format from the walk, draws the walks, and says what it cannot draw', () => {
    const r = record(COW);
    const events = r.events.map((e) => e.event);
    expect(guessFormat(events)?.id).toBe('x86-64');
    const t = buildTimeline({ kind: 'events', events, title: 'a test' });
    expect(t.states).toEqual([]);
    expect(t.notes[0]).toMatch(/not its page tables or frames/);
    const fault = t.frames.find((f) => f.event.kind === 'fault' && f.walk?.path.length === 4)!;
    expect(fault.walk!.faultLevel).toBe(3);
    expect(treeAt(t, fault.index, 0)).toBeNull();
    expect(framesAt(t, fault.index)).toEqual([]);
    const trace32 = [
      { kind: 'walk-step', level: 0, levelName: 'PD', entry: '0x00000000', entryPa: 0, va: 0 },
    ];
    expect(guessFormat(trace32)?.id).toBe('x86-32');
    expect(guessFormat([{ kind: 'access' }])).toBeNull();
  });
});

describe('flag bits', () => {
  test('read at the descriptor’s positions, high bits included', () => {
    const t = timeline(COW);
    const nx = flagBits(t.format!, '0x8000000000000067');
    expect(nx.filter((f) => f.on).map((f) => f.name)).toEqual(['P', 'W', 'U', 'A', 'D', 'NX']);
    expect(flagBits(t.format!, 'nonsense').every((f) => !f.on)).toBe(true);
  });
});
