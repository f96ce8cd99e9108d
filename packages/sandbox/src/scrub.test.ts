import { describe, expect, it } from 'vitest';
import { scrubHostPaths, scrubHostText } from './scrub.ts';

describe('scrubHostText on real stack traces', () => {
  it('keeps learner frames from a V8 trace and drops every host frame', () => {
    const trace = [
      "TypeError: Cannot read properties of undefined (reading 'present')",
      '    at walk (/tmp/faultline-job-8Zq1/learner.ts:14:22)',
      '    at handleFault (/tmp/faultline-job-8Zq1/learner.ts:31:10)',
      '    at Mmu.translate (/work/main/packages/vm-core/src/hw/mmu.ts:88:17)',
      '    at runScenario (file:///work/main/packages/grader/src/run.ts:40:3)',
      '    at Array.map (<anonymous>)',
      '    at new Promise (<anonymous>)',
      '    at async Promise.all (index 0)',
      '    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)',
      '    at async ModuleJob.run (node:internal/modules/esm/module_job:234:25)',
      '    at file:///home/ada/.cache/node_modules/tsx/dist/loader.mjs:1:1',
    ].join('\n');
    expect(scrubHostText(trace)).toBe(
      [
        "TypeError: Cannot read properties of undefined (reading 'present')",
        '    at walk (learner.ts:14:22)',
        '    at handleFault (learner.ts:31:10)',
      ].join('\n'),
    );
  });

  it('keeps anonymous learner frames and file:// learner frames', () => {
    const trace = [
      'Error: frame 7 is not free',
      '    at file:///tmp/job/learner.ts:3:9',
      '    at Object.<anonymous> (file:///tmp/job/learner.ts:20:1)',
      '    at Module._compile (node:internal/modules/cjs/loader:1256:14)',
    ].join('\n');
    expect(scrubHostText(trace)).toBe(
      [
        'Error: frame 7 is not free',
        '    at learner.ts:3:9',
        '    at Object.<anonymous> (learner.ts:20:1)',
      ].join('\n'),
    );
  });

  it('keeps QuickJS frames of the transpiled learner module (line only)', () => {
    const trace = ['Error: boom', '    at handleFault (learner.js:5)', '    at <eval> (prelude.js:40)'].join(
      '\n',
    );
    expect(scrubHostText(trace)).toBe(['Error: boom', '    at handleFault (learner.js:5)'].join('\n'));
  });

  it('rewrites the code frame Node prints above an uncaught error', () => {
    const uncaught = [
      '/work/main/.tmp/job-3/learner.ts:3',
      "    throw new Error('boom');",
      '    ^',
      '',
      'Error: boom',
      '    at Object.<anonymous> (/work/main/.tmp/job-3/learner.ts:3:11)',
      '    at Module._compile (node:internal/modules/cjs/loader:1358:14)',
      '',
      'Node.js v20.19.0',
    ].join('\n');
    expect(scrubHostText(uncaught)).toBe(
      [
        'learner.ts:3',
        "    throw new Error('boom');",
        '    ^',
        '',
        'Error: boom',
        '    at Object.<anonymous> (learner.ts:3:11)',
        '',
        'Node.js v20.19.0',
      ].join('\n'),
    );
  });

  it('scrubs paths inside messages of host errors', () => {
    expect(
      scrubHostText(
        "Error [ERR_MODULE_NOT_FOUND]: Cannot find package 'zod' imported from /work/main/packages/grader/src/report.ts",
      ),
    ).toBe("Error [ERR_MODULE_NOT_FOUND]: Cannot find package 'zod' imported from <host path>");
    expect(scrubHostText("ENOENT: no such file or directory, open '/tmp/x/out.json'")).toBe(
      "ENOENT: no such file or directory, open '<host path>'",
    );
    expect(scrubHostText('loaded node_modules/.pnpm/zod@4.6.7/node_modules/zod/index.js')).toBe(
      'loaded <host path>',
    );
    expect(
      scrubHostText('see ~/faultline/notes.md and C:\\Users\\ada\\learner.ts:4:2 or C:\\Users\\ada\\x.ts'),
    ).toBe('see <host path> and learner.ts:4:2 or <host path>');
    expect(scrubHostText('in /srv/grader now /usr/share/node_modules/foo')).toBe(
      'in <host path> now <host path>',
    );
  });

  it('treats extra host roots as host paths', () => {
    expect(scrubHostText('read /data/faultline/exercises/cow', { hostRoots: ['/data/faultline/'] })).toBe(
      'read <host path>',
    );
  });

  it('leaves teaching text alone: kernel paths, fractions, relative paths, URLs', () => {
    const text =
      'map /dev/zero like /proc/self/maps shows; 1/2 of frames; see src/mm/walk.ts or https://man7.org/linux/man-pages/man2/mmap.2.html';
    expect(scrubHostText(text)).toBe(text);
  });

  it("keeps a learner's own lines that merely start with 'at'", () => {
    const text = 'at address 0x1000: not present\n  at level 2 the entry was 0x0';
    expect(scrubHostText(text)).toBe(text);
  });

  it('is idempotent', () => {
    const text =
      'at /tmp/a/learner.ts:1:2 and /work/x.ts\n    at f (/work/y.ts:1:1)\n    at g (learner.ts:3:4)';
    const once = scrubHostText(text);
    expect(scrubHostText(once)).toBe(once);
  });

  it('gets through long hostile input (a scrubber that backtracks would hang here)', () => {
    // Its speed is measured by `pnpm --filter @faultline/grader bench:scrub`, not here.
    const hostile = `${'/a'.repeat(50_000)}!${'/'.repeat(50_000)}${'x/'.repeat(50_000)}`;
    const scrubbed = scrubHostText(hostile);
    expect(scrubbed.length).toBeLessThanOrEqual(hostile.length);
  });
});

describe('scrubHostPaths', () => {
  it('scrubs paths but keeps stack-frame lines', () => {
    expect(scrubHostPaths('    at f (/work/y.ts:1:1)')).toBe('    at f (<host path>)');
  });

  it('removes absolute host paths and file URLs, keeps relative fragments', () => {
    expect(
      scrubHostPaths('ENOENT: /work/main/packages/x.ts at file:///home/u/a.js:3:1 and C:\\Users\\u\\a.ts'),
    ).toBe('ENOENT: <host path> at <host path> and <host path>');
    expect(scrubHostPaths('expected 1/2, got a/b/c')).toBe('expected 1/2, got a/b/c');
  });
});
