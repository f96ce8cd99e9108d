/**
 * Typed events: every access, TLB hit/miss/fill/flush, walk step, A/D update
 * and fault. They exist only while someone listens — the MMU checks for a
 * listener before building one, so with none attached the hot path allocates
 * nothing. Events hold plain data (numbers, strings, booleans) so a trace can
 * be serialised, replayed by the UI, or sent across a sandbox boundary.
 */
import type { AccessName, PrivilegeName } from './access.ts';
import type { PageFault } from './fault.ts';

export interface AccessEvent {
  readonly type: 'access';
  readonly cpu: number;
  readonly va: number;
  readonly pa: number;
  readonly access: AccessName;
  readonly privilege: PrivilegeName;
  readonly size: number;
}

export interface TlbHitEvent {
  readonly type: 'tlb-hit';
  readonly cpu: number;
  readonly va: number;
  readonly asid: number;
  readonly index: number;
}

export interface TlbMissEvent {
  readonly type: 'tlb-miss';
  readonly cpu: number;
  readonly va: number;
  readonly asid: number;
  /** True when an entry matched but its cached rights (or clean state) did not allow the access. */
  readonly permissionRecheck: boolean;
}

export interface TlbFillEvent {
  readonly type: 'tlb-fill';
  readonly cpu: number;
  readonly va: number;
  /** Base virtual address of the page now cached. */
  readonly pageVa: number;
  readonly pagePa: number;
  readonly asid: number;
  readonly global: boolean;
  readonly index: number;
  /** Base address of the page whose entry was evicted to make room, or null. */
  readonly evictedPageVa: number | null;
}

export type TlbFlushScope = 'page' | 'asid' | 'non-global' | 'all';

export interface TlbFlushEvent {
  readonly type: 'tlb-flush';
  readonly cpu: number;
  readonly scope: TlbFlushScope;
  readonly va: number | null;
  readonly asid: number | null;
  readonly dropped: number;
}

export interface WalkStepEvent {
  readonly type: 'walk-step';
  readonly cpu: number;
  readonly va: number;
  readonly level: number;
  readonly levelName: string;
  readonly entryPa: number;
  readonly entry: string;
}

export interface AccessedDirtyEvent {
  readonly type: 'ad-update';
  readonly cpu: number;
  readonly va: number;
  readonly level: number;
  readonly entryPa: number;
  readonly before: string;
  readonly after: string;
  readonly accessed: boolean;
  readonly dirty: boolean;
}

export interface FaultEvent {
  readonly type: 'fault';
  readonly cpu: number;
  readonly fault: PageFault;
}

export interface ContextEvent {
  readonly type: 'context';
  readonly cpu: number;
  readonly what: string;
}

export type HwEvent =
  | AccessEvent
  | TlbHitEvent
  | TlbMissEvent
  | TlbFillEvent
  | TlbFlushEvent
  | WalkStepEvent
  | AccessedDirtyEvent
  | FaultEvent
  | ContextEvent;

export type HwEventType = HwEvent['type'];
export type HwListener = (event: HwEvent) => void;
