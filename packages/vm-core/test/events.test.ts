import { describe, expect, test } from 'vitest';
import { Access, type HwEvent, Privilege, x86_64 } from '../src/index.ts';
import { machine } from './machine.ts';

const { Read, Write } = Access;
const { User } = Privilege;

describe('hardware events', () => {
  test('a miss tells the whole story: miss, four walk steps, A/D updates, fill, access; then a hit', () => {
    const { mmu, editor, root } = machine(x86_64);
    editor.map(root, 0x1000, { pfn: 9, user: true, writable: true });
    const events: HwEvent[] = [];
    const stop = mmu.subscribe((e) => events.push(e));
    mmu.translate(0x1000, Write, User);
    expect(events.map((e) => e.type)).toEqual([
      'tlb-miss',
      'walk-step',
      'walk-step',
      'walk-step',
      'walk-step',
      'ad-update',
      'ad-update',
      'ad-update',
      'ad-update',
      'tlb-fill',
      'access',
    ]);
    expect(events[4]).toMatchObject({ type: 'walk-step', levelName: 'PT', entry: '0x8000000000009007' });
    expect(events[8]).toMatchObject({
      type: 'ad-update',
      level: 3,
      dirty: true,
      after: '0x8000000000009067',
    });
    events.length = 0;
    mmu.translate(0x1000, Read, User);
    expect(events.map((e) => e.type)).toEqual(['tlb-hit', 'access']);
    stop();
    events.length = 0;
    mmu.translate(0x1000, Read, User);
    expect(events).toEqual([]);
  });

  test('faults and flushes are events too', () => {
    const { mmu } = machine(x86_64);
    const events: HwEvent[] = [];
    mmu.subscribe((e) => events.push(e));
    mmu.translate(0x5000, Read, User);
    mmu.invalidateAll();
    const fault = events.find((e) => e.type === 'fault');
    expect(fault).toMatchObject({ type: 'fault', fault: { kind: 'not-present', level: 0 } });
    expect(events.at(-1)).toMatchObject({ type: 'tlb-flush', scope: 'all', dropped: 0 });
    // Events are plain data: they survive JSON.
    expect(JSON.parse(JSON.stringify(events))).toEqual(events);
  });
});

describe('inspect: the walk without side effects', () => {
  test('reports every step and the outcome, and changes nothing', () => {
    const { mmu, editor, root, memory } = machine(x86_64);
    const pte = editor.map(root, 0x1000, { pfn: 9, user: true, writable: true });
    const before = memory.read64(pte);
    const seen: HwEvent[] = [];
    mmu.subscribe((e) => seen.push(e));
    const result = mmu.inspect(0x1abc, Write, User);
    expect(result.steps.map((s) => s.levelName)).toEqual(['PML4', 'PDPT', 'PD', 'PT']);
    expect(result.steps[3]!.entry.summary).toBe('0x8000000000009007 leaf pfn 0x9 P W U NX');
    expect(result.outcome).toEqual({
      kind: 'translated',
      pa: 9 * 4096 + 0xabc,
      pageSize: 4096,
      global: false,
      rights: { read: true, write: true, user: true, userExec: false, supervisorExec: false, dirty: false },
    });
    expect(memory.read64(pte)).toBe(before);
    expect(mmu.tlb!.snapshot()).toEqual([]);
    expect(seen).toEqual([]);
  });

  test('a failed inspection carries the same fault the access would raise', () => {
    const { mmu } = machine(x86_64);
    const result = mmu.inspect(0x1000, Read, User);
    expect(result.outcome.kind).toBe('fault');
    expect(result.outcome).toEqual({ kind: 'fault', fault: mmu.translate(0x1000, Read, User) });
  });
});
