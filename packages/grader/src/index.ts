export * from './json-schema.ts';
export * from './junit.ts';
export * from './limits.ts';
export * from './report.ts';
export * from './runner/index.ts';
export * from './scrub.ts';
export * from './text.ts';
export * from './view.ts';
