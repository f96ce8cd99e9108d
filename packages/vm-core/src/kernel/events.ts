/**
 * Kernel events join the hardware ones so that one trace tells the whole
 * story of a step: which fault, how it was resolved, which frames came and
 * went, which signal or oops ended it. Plain data, like the hardware events.
 */
import type { HwEvent } from '../hw/events.ts';
import type { DeliveredSignal } from './abi.ts';
import type { Resolution } from './hooks.ts';
import type { SignalDisposition } from './signal.ts';

export type KernelEvent =
  | { readonly type: 'frame-alloc'; readonly pfn: number; readonly order: number; readonly purpose: string }
  | { readonly type: 'frame-free'; readonly pfn: number; readonly order: number }
  /** A huge PMD became a table of 512 PTEs (split_huge_pmd): the huge page's own pages, or the small zero page for the huge zero page. */
  | { readonly type: 'thp-split'; readonly mm: number; readonly address: number; readonly zero: boolean }
  | {
      readonly type: 'fault-resolved';
      readonly cpu: number;
      readonly pid: number;
      readonly address: number;
      readonly errorCode: number;
      readonly resolution: Resolution;
    }
  | {
      readonly type: 'cow';
      readonly pid: number;
      readonly address: number;
      readonly action: 'copy' | 'reuse';
    }
  /** A signal sent to `pid`: `killed` by its default action, or delivered to its `handler`. */
  | {
      readonly type: 'signal';
      readonly pid: number;
      readonly signal: DeliveredSignal;
      readonly disposition: SignalDisposition;
    }
  /** The handler returned (rt_sigreturn) or jumped out (siglongjmp): `frames` left on the stack. */
  | {
      readonly type: 'signal-return';
      readonly pid: number;
      readonly how: 'sigreturn' | 'siglongjmp';
      readonly frames: number;
    }
  | { readonly type: 'oops'; readonly cpu: number; readonly pid: number; readonly report: string }
  | {
      readonly type: 'tlb-shootdown';
      readonly fromCpu: number;
      readonly cpus: readonly number[];
      readonly address: number | null;
    }
  | {
      readonly type: 'task';
      readonly pid: number;
      /** `exited`: do_exit ran (the task is a zombie, or reaped at once); `reaped`: it left the task list. */
      readonly what: 'created' | 'exited' | 'reaped' | 'switched-in';
      readonly cpu?: number;
    }
  | {
      readonly type: 'reclaim';
      readonly who: 'kswapd' | 'direct' | 'manual';
      readonly scanned: number;
      readonly freed: number;
    }
  | { readonly type: 'swap-out'; readonly pfn: number; readonly slot: number }
  | {
      readonly type: 'swap-in';
      readonly pid: number;
      readonly address: number;
      readonly slot: number;
      readonly fromCache: boolean;
    }
  | { readonly type: 'oom-kill'; readonly pid: number; readonly score: number }
  | { readonly type: 'writeback'; readonly file: string; readonly page: number }
  /** do_fault_around mapped a cached file page next to a read fault, in address space `mm`. */
  | {
      readonly type: 'fault-around';
      readonly mm: number;
      readonly address: number;
      readonly file: string;
      readonly page: number;
    };

export type TraceEvent = HwEvent | KernelEvent;
export type TraceListener = (event: TraceEvent) => void;
