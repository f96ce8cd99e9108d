/**
 * What the pool (host thread) and a sandbox worker say to each other: plain
 * data only, through postMessage. A job carries the learner's compiled code
 * and either a list of calls (the built-in driver) or the URL of a trusted
 * driver module that runs inside the worker, builds the host API and calls
 * the hooks itself (a grader needs this: host API functions cannot cross
 * threads, so they must live beside the engine).
 */
import type { CallResult, LoadResult, Sandbox, SandboxLimits, SandboxOptions } from './engine.ts';
import type { PlainValue } from './plain.ts';

export interface CallRequest {
  export: string;
  args: PlainValue[];
}

/** What the built-in driver returns: the load verdict, one verdict per call (none after a failed load), the console. */
export interface CallsReport {
  load: LoadResult;
  calls: CallResult[];
  output: { text: string; truncated: boolean };
}

/** Given to a driver module's default export, inside the worker. */
export interface DriverEnv {
  code: string;
  input: PlainValue;
  /** Creates a sandbox with the job's limits and the worker's compiled engine. */
  createSandbox(options?: Omit<SandboxOptions, 'wasmModule'>): Promise<Sandbox>;
  /** The worker's compiled QuickJS module (compiled once per worker), for a driver that builds its own sandboxes. */
  wasmModule: WebAssembly.Module;
  /**
   * Tells the host how far the job got (structured-cloneable data), as it
   * happens: if the watchdog later stops the job, what was reported survives.
   */
  progress(value: unknown): void;
}

/** A driver module's default export. Its result must be structured-cloneable plain data. */
export type Driver = (env: DriverEnv) => unknown;

export type JobRequest = {
  type: 'job';
  code: string;
  limits: Partial<SandboxLimits>;
} & ({ driver: null; calls: CallRequest[] } | { driver: string; input: PlainValue });

export type JobMessage = JobRequest & { id: number };

export type WorkerMessage =
  | { type: 'ready' }
  | { type: 'progress'; id: number; value: unknown }
  | { type: 'done'; id: number; value: unknown }
  | { type: 'failed'; id: number; message: string };
