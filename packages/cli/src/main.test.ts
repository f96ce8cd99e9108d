import { describe, expect, test } from 'vitest';
import { describeAddressSpace, runDemo } from './commands/demo.ts';
import { main } from './main.ts';

function capture() {
  let out = '';
  let err = '';
  return {
    io: { out: { write: (t: string) => (out += t) }, err: { write: (t: string) => (err += t) } },
    out: () => out,
    err: () => err,
  };
}

describe('faultline', () => {
  test('help and no arguments print the usage', async () => {
    const c = capture();
    expect(await main([], c.io)).toBe(0);
    expect(c.out()).toContain('usage: faultline');
  });

  test('an unknown command is a usage error (exit 2)', async () => {
    const c = capture();
    expect(await main(['frobnicate'], c.io)).toBe(2);
    expect(c.err()).toContain('unknown command "frobnicate"');
  });

  test('demo rejects unknown options', async () => {
    const c = capture();
    expect(await main(['demo', '--nope'], c.io)).toBe(2);
    expect(c.err()).toMatch(/Unknown option '--nope'/);
  });
});

describe('faultline demo', () => {
  const steps = runDemo();

  test('the first read misses, walks two levels and fills the TLB; the second hits', () => {
    expect(steps[0]!.trace[0]).toBe('TLB miss');
    expect(steps[0]!.trace.filter((l) => l.startsWith('read PD') || l.startsWith('read PT'))).toHaveLength(2);
    expect(steps[0]!.outcome).toBe('read 0x25');
    expect(steps[1]!.trace[0]).toMatch(/^TLB hit/);
  });

  test('fault outcomes carry the x86 error codes', () => {
    expect(steps[3]!.outcome).toContain('error code 0x5 (P=1 W=0 U=1');
    expect(steps[4]!.outcome).toContain('error code 0x6 (P=0 W=1 U=1');
    expect(steps[5]!.outcome).toContain('error code 0x7 (P=1 W=1 U=1');
  });

  test('the stale TLB entry lets a write through until invlpg', () => {
    expect(steps[6]!.outcome).toBe('the write went through');
    expect(steps[7]!.outcome).toContain('error code 0x7');
  });

  test('the x86-64 walk reads four levels of a kernel address', () => {
    const walk = steps[8]!.trace.filter((l) => l.includes(' entry at physical '));
    expect(walk.map((l) => l.split(' ')[1])).toEqual(['PML4', 'PDPT', 'PD', 'PT']);
    expect(steps[8]!.outcome).toBe('read 0x5a');
    expect(steps[9]!.outcome).toContain('error code 0x5');
  });

  test('the address-space map comes from a side-effect-free walk of every page', () => {
    const map = describeAddressSpace();
    expect(map).toHaveLength(16);
    expect(map[0]).toBe('page  0 (0x000): frame 5, user, read-write');
    expect(map[1]).toBe('page  1 (0x020): frame 6, kernel, read-only');
    expect(map[2]).toBe('page  2 (0x040): not mapped (PT entry not present)');
    expect(map[8]).toBe('page  8 (0x100): not mapped (PD entry not present)');
  });

  test('--json prints the steps as data', async () => {
    const c = { out: '', io: { out: { write: (t: string) => (c.out += t) }, err: { write: () => 0 } } };
    expect(await main(['demo', '--json'], c.io)).toBe(0);
    expect(JSON.parse(c.out).steps).toHaveLength(steps.length);
  });
});
