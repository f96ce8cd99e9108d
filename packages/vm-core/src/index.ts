export * from './hw/index.ts';
export * from './policies/index.ts';
