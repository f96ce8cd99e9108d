// Cost of scrubbing and rendering on this machine, at the output cap and beyond.
// Run: pnpm --filter @faultline/grader bench

import { scrubHostText } from '@faultline/sandbox/scrub';
import { Bench } from 'tinybench';
import { buildReport, MAX_OUTPUT_LENGTH, renderJUnit } from '../src/index.ts';

const frame =
  '    at walk (/tmp/faultline-job/learner.ts:14:22)\n    at run (/work/main/packages/grader/src/run.ts:40:3)\n';
const log = 'walk va=0x1000 /dev/zero ok\n'.repeat(MAX_OUTPUT_LENGTH / 28);
const hostile = `${'/a'.repeat(100_000)}${'x/'.repeat(100_000)}`;
const report = buildReport({
  exercise: 'page-walk',
  tests: Array.from({ length: 50 }, (_, i) => ({
    name: `test ${i}`,
    status: i % 3 === 0 ? ('fail' as const) : ('pass' as const),
    points: i % 3 === 0 ? 0 : 1,
    maxPoints: 1,
    message: i % 3 === 0 ? `Error: boom\n${frame}` : '',
    durationMs: i,
    visibility: 'visible' as const,
    output: log,
  })),
});

const bench = new Bench({ time: 300 });
bench
  .add('scrub a capped log (16 KiB)', () => scrubHostText(log))
  .add('scrub a stack trace', () => scrubHostText(`Error: boom\n${frame.repeat(20)}`))
  .add('scrub 400 KB of path-like noise', () => scrubHostText(hostile))
  .add('render JUnit for 50 tests', () => renderJUnit(report, { audience: 'staff' }));
await bench.run();
console.table(bench.table());
