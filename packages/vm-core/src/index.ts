export * from './hw/index.ts';
