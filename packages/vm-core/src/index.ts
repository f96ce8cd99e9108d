export * from './hw/index.ts';
export * from './kernel/index.ts';
export * from './policies/index.ts';
