import { describe, expect, test } from 'vitest';
import { AddressNamer, CaseObserver, describePage, FrameNamer, type RawResult } from './observation.ts';

describe('addresses named the same way on both kernels', () => {
  test('inside a labelled mapping: the label and the offset; the newest mapping wins', () => {
    const n = new AddressNamer();
    n.mapped('buf', 0x7f0000000000n, 8192);
    expect(n.name(0x7f0000000000n)).toBe('buf');
    expect(n.name(0x7f0000001010n)).toBe('buf+0x1010');
    n.mapped('again', 0x7f0000000000n, 4096);
    expect(n.name(0x7f0000000010n)).toBe('again+0x10');
    expect(n.name(0x7f0000001000n)).toBe('buf+0x1000');
  });

  test('below the stack and above the break: relative to them; anything else: the address', () => {
    const n = new AddressNamer();
    n.builtin('stack', 0x7ffffffde000n);
    n.builtin('brk', 0x4c1000n);
    expect(n.name(0x7ffffffdd000n)).toBe('stack-0x1000');
    expect(n.name(0x7ffffffde100n)).toBe('stack+0x100');
    // The stack's top is the same on both kernels; its lowest page is not.
    expect(n.name(0x7ffffffff000n)).toBe('0x7ffffffff000');
    expect(n.name(0x4c3000n)).toBe('brk+0x2000');
    expect(n.name(0x1000n)).toBe('0x1000');
    expect(n.name(-0x778000000000n)).toBe('0xffff888000000000');
  });
});

describe('frames named by first appearance', () => {
  test('the same sharing gives the same names, whatever the frame numbers', () => {
    const linux = new FrameNamer();
    const sim = new FrameNamer();
    const page = (pfn: number, mapcount: number) => ({
      state: 'present' as const,
      pfn,
      zero: false,
      mapcount,
    });
    expect([
      describePage(page(9123, 2), linux),
      describePage(page(9123, 1), linux),
      describePage(page(40, 1), linux),
    ]).toEqual([describePage(page(7, 2), sim), describePage(page(7, 1), sim), describePage(page(8, 1), sim)]);
    expect(describePage(page(40, 1), linux)).toBe('frame B, mapcount 1');
  });

  test('the zero page by name, with its map count (Linux keeps none: 0), and the other states in words', () => {
    const f = new FrameNamer();
    expect(describePage({ state: 'present', pfn: 1, zero: true, mapcount: 0 }, f)).toBe(
      'zero page, mapcount 0',
    );
    expect(describePage({ state: 'none' }, f)).toBe('not present');
    expect(describePage({ state: 'unknown' }, f)).toBe('unknown');
  });
});

test('a fault at the step’s own target is named as the case wrote the target', () => {
  const n = new AddressNamer();
  n.builtin('stack', 0x7ffffffde000n);
  n.mapped('buf', 0x7f0000000000n, 4096);
  expect(n.name(0x7fffff7fe000n, 0x7fffff7fe000)).toBe('0x7fffff7fe000');
  expect(n.name(0x7fffff7fe000n)).toBe('stack-0x7e0000');
  expect(n.name(0x7ffffffdd000n, 'stack - 0x1000')).toBe('stack-0x1000');
  expect(n.name(0x7f0000000010n, 'buf+16')).toBe('buf+16');
  expect(n.name(0x7f0000000020n, 'buf+16')).toBe('buf+0x20');
  expect(n.evaluate('nolabel+1')).toBeNull();
});

describe('what a signal frame says, per architecture', () => {
  const read = { kind: 'read', args: { task: 'a', addr: 'buf' } } as unknown as Parameters<
    CaseObserver['step']
  >[1];
  const signal = (addr: bigint, esr: number | null, err: number | null, trap: number | null): RawResult => ({
    kind: 'signal',
    signal: 'SIGSEGV',
    code: 'SEGV_ACCERR',
    addr,
    err,
    trap,
    esr,
  });
  const observe = (arch: 'x86-64' | 'arm64', raw: RawResult) => {
    const o = new CaseObserver(arch);
    o.step(1, read, raw, { minflt: null, pages: [] });
    return o.steps[0]!;
  };

  test('x86-64: the error code and trap number', () => {
    expect(observe('x86-64', signal(0x1000n, null, 0x7, 14)).fields).toMatchObject({
      error_code: '0x7',
      trap: 14,
    });
  });

  test('arm64: a permission fault is compared whole, decoded (class, WnR, status and level)', () => {
    const step = observe('arm64', signal(0x1000n, 0x9200004f, null, null));
    expect(step.fields.esr).toBe('0x9200004f (DABT (lower EL), WnR 1, level 3 permission fault)');
    expect(step.fields).not.toHaveProperty('error_code');
    expect(step.aside).toBeUndefined();
  });

  test('arm64: a translation fault at a user address keeps its level aside, since it tells which tables the program has', () => {
    const step = observe('arm64', signal(0x1000n, 0x92000006, null, null));
    expect(step.fields.esr).toBe('DABT (lower EL), WnR 0, translation fault (level aside)');
    expect(step.aside).toEqual({ esr: '0x92000006 (DABT (lower EL), WnR 0, level 2 translation fault)' });
  });

  test('arm64: at or above TASK_SIZE the level is compared: Linux always says level 0 there', () => {
    const step = observe('arm64', signal(0xffff000000010000n, 0x92000004, null, null));
    expect(step.fields.esr).toBe('0x92000004 (DABT (lower EL), WnR 0, level 0 translation fault)');
    expect(step.aside).toBeUndefined();
  });

  test('arm64: no esr_context record is none', () => {
    expect(observe('arm64', signal(0x1000n, null, null, null)).fields.esr).toBeNull();
  });
});
