/**
 * A sandbox's lifecycle as one state, changed only by `transition`.
 *
 *   fresh ──begin──▶ busy ──end──▶ loaded ──begin──▶ busy …
 *                     │  ▲                            │
 *            enter-host  leave-host          trap (the instance broke)
 *                     ▼  │                            ▼
 *                   (busy, in a host call)   busy, broken ──end──▶ crashed
 *
 *   fresh | loaded | crashed ──dispose──▶ disposed
 *
 * `busy` holds the innermost running request; the requests it is nested in
 * wait in host functions (their `outer` chain). A nested request may start
 * only while the running one is inside a host call. Once the instance has
 * trapped, the requests still on the chain finish with the verdict of the
 * one that broke it, and the sandbox is `crashed` from then on.
 *
 * The first request to run is the load, so every state after `fresh` has the
 * learner's module loaded (whatever its verdict was): a load refused before
 * it ran (no budget left) leaves the sandbox fresh.
 */
import type { Request } from './budget.ts';
import { MAX_NESTING } from './limits.ts';
import { type Failure, SandboxNestingError, SandboxUsageError } from './types.ts';

/** Why the instance can no longer be trusted, and the verdict of the request whose trap broke it (null when that request had timed out first). */
export interface Broken {
  readonly message: string;
  readonly verdict: Failure | null;
}

export type Lifecycle =
  | { readonly kind: 'fresh' }
  | { readonly kind: 'loaded' }
  | {
      readonly kind: 'busy';
      readonly request: Request;
      /** The running request is inside a host function the guest called (a nested request may start). */
      readonly inHostCall: boolean;
      readonly broken: Broken | null;
    }
  | { readonly kind: 'crashed'; readonly message: string }
  | { readonly kind: 'disposed' };

export type LifecycleEvent =
  | { readonly kind: 'begin'; readonly request: Request }
  | { readonly kind: 'enter-host' }
  | { readonly kind: 'leave-host' }
  | { readonly kind: 'trap'; readonly broken: Broken }
  | { readonly kind: 'end' }
  | { readonly kind: 'dispose' };

/** The one place where the lifecycle changes. An event the state does not allow is a bug in the engine. */
export function transition(state: Lifecycle, event: LifecycleEvent): Lifecycle {
  switch (event.kind) {
    case 'begin':
      if (state.kind === 'fresh' || state.kind === 'loaded')
        return { kind: 'busy', request: event.request, inHostCall: false, broken: null };
      if (state.kind === 'busy' && state.inHostCall && event.request.outer === state.request)
        return { ...state, request: event.request, inHostCall: false };
      return illegal(state, event);
    case 'enter-host':
    case 'leave-host':
      if (state.kind !== 'busy') return illegal(state, event);
      return { ...state, inHostCall: event.kind === 'enter-host' };
    case 'trap':
      if (state.kind !== 'busy') return illegal(state, event);
      return { ...state, broken: event.broken };
    case 'end': {
      if (state.kind !== 'busy') return illegal(state, event);
      const outer = state.request.outer;
      if (outer !== null) return { ...state, request: outer, inHostCall: true };
      return state.broken === null ? { kind: 'loaded' } : { kind: 'crashed', message: state.broken.message };
    }
    case 'dispose':
      if (state.kind === 'busy') return illegal(state, event);
      return { kind: 'disposed' };
    default: {
      const _: never = event;
      return _;
    }
  }
}

function illegal(state: Lifecycle, event: LifecycleEvent): never {
  throw new Error(`sandbox engine: ${event.kind} is not possible while ${state.kind} (a bug in the engine)`);
}

/**
 * Whether a request may start now: the request it would be nested in (null:
 * a request from the host), or the `crashed` answer it gets without running.
 * Throws a usage error where the host misused the sandbox.
 */
export function admit(
  state: Lifecycle,
  what: string,
): { kind: 'run'; outer: Request | null } | { kind: 'crashed'; message: string } {
  switch (state.kind) {
    case 'disposed':
      throw new SandboxUsageError('sandbox: used after dispose()');
    case 'busy':
      if (!state.inHostCall) throw new SandboxUsageError(`sandbox: ${what} while another request is running`);
      if (state.request.depth >= MAX_NESTING) {
        throw new SandboxNestingError(
          `sandbox: ${what} refused — guest code and host functions called each other ${MAX_NESTING} levels deep`,
        );
      }
      if (state.broken !== null) return { kind: 'crashed', message: state.broken.message };
      return { kind: 'run', outer: state.request };
    case 'crashed':
      return { kind: 'crashed', message: state.message };
    case 'fresh':
    case 'loaded':
      return { kind: 'run', outer: null };
    default: {
      const _: never = state;
      return _;
    }
  }
}

/** The innermost running request, if any. */
export function runningRequest(state: Lifecycle): Request | null {
  return state.kind === 'busy' ? state.request : null;
}

/** The running request broke the instance under a request it is nested in (or itself, seen from a nested one). */
export function brokenDuring(state: Lifecycle): Broken | null {
  return state.kind === 'busy' ? state.broken : null;
}
