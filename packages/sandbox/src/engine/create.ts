/** `createSandbox`: a sandbox on an instance of its own, booted for it and freed with it. */
import type { GuestAnswer, HostSide, InstanceSetup } from './instance.ts';
import { bootInstance } from './instance.ts';
import { resolveLimits, type SandboxLimits, stepBudgets } from './limits.ts';
import { openSession, type Session } from './session.ts';
import type { HostFunction, Sandbox, SandboxOptions } from './types.ts';

const performanceClock = (): number => performance.now();

/** The fixed part of an instance for these options (what the prelude is told). */
export function instanceSetup(
  limits: SandboxLimits,
  options: Pick<SandboxOptions, 'hostApiName' | 'wasmModule'>,
  apiNames: readonly string[],
): InstanceSetup {
  return {
    memoryBytes: limits.memoryBytes,
    stackBytes: limits.stackBytes,
    maxOutputLength: limits.maxOutputLength,
    values: limits.values,
    hostApiName: options.hostApiName ?? 'kernel',
    apiNames,
    wasmModule: options.wasmModule,
  };
}

/**
 * What answers while the prelude boots: it calls no host function, and its
 * polls read the clock as a session's idle polls would, stopping nothing.
 */
export function bootSide(clock: () => number): HostSide {
  const unexpected = (): GuestAnswer => {
    throw new Error('sandbox engine: the prelude called the host while booting (a bug in the engine)');
  };
  return {
    poll() {
      clock();
      return false;
    },
    log: unexpected,
    now: unexpected,
    call: unexpected,
    callFast: unexpected,
  };
}

/** Boots an instance for `options` and opens a session on it; disposing the sandbox frees the instance. */
export async function sessionOnNewInstance(options: SandboxOptions): Promise<Session> {
  const limits = resolveLimits(options.limits);
  const hostApi: Readonly<Record<string, HostFunction>> = options.hostApi ?? {};
  const clock = options.clock ?? performanceClock;
  const instance = await bootInstance(instanceSetup(limits, options, Object.keys(hostApi)), bootSide(clock));
  return openSession(instance, {
    budgets: stepBudgets(limits),
    clock,
    hostApi,
    start: { kind: 'fresh' },
    onDispose: () => instance.dispose(),
  });
}

export async function createSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  return (await sessionOnNewInstance(options)).sandbox;
}
