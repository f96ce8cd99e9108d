import { describe, expect, it } from 'vitest';
import type { Request } from './budget.ts';
import { admit, type Lifecycle, transition } from './lifecycle.ts';
import { MAX_NESTING } from './limits.ts';
import { SandboxNestingError, SandboxUsageError } from './types.ts';

const request = (outer: Request | null = null): Request => ({
  what: 'call of f()',
  limit: 1_000,
  budget: 'call',
  wallDeadline: 1_000,
  stepLimit: 1_000,
  interrupted: null,
  outer,
  depth: (outer?.depth ?? 0) + 1,
});

describe('the lifecycle', () => {
  it('goes fresh → busy → loaded, and a nested request comes back to its outer one inside the host call', () => {
    const load = request();
    let state: Lifecycle = transition({ kind: 'fresh' }, { kind: 'begin', request: load });
    expect(state).toEqual({ kind: 'busy', request: load, inHostCall: false, broken: null });
    state = transition(state, { kind: 'enter-host' });
    const nested = request(load);
    state = transition(state, { kind: 'begin', request: nested });
    expect(state).toMatchObject({ kind: 'busy', request: nested, inHostCall: false });
    state = transition(state, { kind: 'end' });
    expect(state).toMatchObject({ kind: 'busy', request: load, inHostCall: true });
    state = transition(transition(state, { kind: 'leave-host' }), { kind: 'end' });
    expect(state).toEqual({ kind: 'loaded' });
  });

  it('finishes every request on the chain after a trap, then stays crashed', () => {
    const outer = request();
    let state = transition(transition({ kind: 'loaded' }, { kind: 'begin', request: outer }), {
      kind: 'enter-host',
    });
    state = transition(state, { kind: 'begin', request: request(outer) });
    state = transition(state, { kind: 'trap', broken: { message: 'the engine failed: x', verdict: null } });
    state = transition(state, { kind: 'end' });
    expect(state).toMatchObject({ kind: 'busy', broken: { message: 'the engine failed: x' } });
    expect(admit(state, 'call of g()')).toEqual({ kind: 'crashed', message: 'the engine failed: x' });
    state = transition(transition(state, { kind: 'leave-host' }), { kind: 'end' });
    expect(state).toEqual({ kind: 'crashed', message: 'the engine failed: x' });
    expect(admit(state, 'call of g()')).toEqual({ kind: 'crashed', message: 'the engine failed: x' });
  });

  it('refuses what the state does not allow', () => {
    const running = transition({ kind: 'loaded' }, { kind: 'begin', request: request() });
    // A second request from the host while one runs, outside any host call.
    expect(() => admit(running, 'call of g()')).toThrow(SandboxUsageError);
    expect(() => transition(running, { kind: 'begin', request: request() })).toThrow(/a bug in the engine/);
    expect(() => transition(running, { kind: 'dispose' })).toThrow(/dispose is not possible while busy/);
    expect(() => transition({ kind: 'loaded' }, { kind: 'end' })).toThrow(/end is not possible while loaded/);
    expect(() => transition({ kind: 'disposed' }, { kind: 'begin', request: request() })).toThrow();
    expect(() => admit({ kind: 'disposed' }, 'load')).toThrow(/used after dispose/);
  });

  it('refuses a request nested MAX_NESTING deep', () => {
    let outer: Request | null = null;
    let state: Lifecycle = { kind: 'loaded' };
    for (let depth = 1; depth <= MAX_NESTING; depth++) {
      expect(admit(state, 'call of f()')).toEqual({ kind: 'run', outer });
      const next = request(outer);
      state = transition(transition(state, { kind: 'begin', request: next }), { kind: 'enter-host' });
      outer = next;
    }
    expect(() => admit(state, 'call of f()')).toThrow(SandboxNestingError);
  });
});
