/**
 * Page-replacement policies on a reference string — the textbook exercise
 * (FIFO, LRU, OPT, Clock), independent of the simulated hardware.
 */
export * from './replacement.ts';
