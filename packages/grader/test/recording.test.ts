// Recordings of failed tests (GradeOptions.record): what a UI needs to draw the
// page tables and frames at each event of a failure, opt-in, verdicts unchanged.
import { RecordingSchema } from '@faultline/scenario';
import { describe, expect, test } from 'vitest';
import {
  type Exercise,
  gradeSubmission as grade,
  loadExercise,
  type Report,
  ReportSchema,
  viewFor,
  withoutDurations,
} from '../src/index.ts';
import { FIXTURE_DIR } from './fixture-exercise.ts';

const exercise: Exercise = await loadExercise(FIXTURE_DIR);
const gradeSubmission = (options: Parameters<typeof grade>[0]) => grade({ clock: () => 0, ...options });
const mutant = (name: string) => exercise.mutants.find((m) => m.name === name)!.source;

const withoutRecordings = (r: Report): Report => ({
  ...r,
  tests: r.tests.map(({ recording: _recording, ...t }) => t),
});

/** Events that are the machine's (what the trace holds), not the recorder's own markers. */
const MARKERS = new Set(['step', 'step-end', 'hook', 'hook-return', 'hook-throw']);

describe('recording failed tests', () => {
  test('without `record` no test has a recording; with it, the verdicts, messages and traces are the same', async () => {
    const source = mutant('always-allocate');
    const plain = await gradeSubmission({ exercise, learnerSource: source });
    expect(plain.tests.every((t) => t.recording === undefined)).toBe(true);
    const recorded = await gradeSubmission({ exercise, learnerSource: source, record: 'all' });
    expect(withoutDurations(withoutRecordings(recorded))).toEqual(withoutDurations(plain));
    expect(ReportSchema.parse(recorded)).toEqual(recorded);
    for (const t of recorded.tests)
      expect(t.recording !== undefined, `${t.name}: ${t.status}`).toBe(t.status !== 'pass');
  });

  test('a failed visible test’s recording: steps named as the test wrote them, the trace’s events, and states', async () => {
    const report = await gradeSubmission({
      exercise,
      learnerSource: mutant('always-allocate'),
      visibleOnly: true,
      record: 'visible',
    });
    const failed = report.tests.find((t) => t.status !== 'pass' && t.visibility === 'visible')!;
    expect(failed).toBeDefined();
    const recording = RecordingSchema.parse(failed.recording);
    expect(recording.machine).toMatchObject({ arch: 'x86-64', frames: 256 });
    expect(recording.steps.map((s) => s.kind)).toContain('t.spawn("app")');
    expect(recording.steps.some((s) => /^t\.read\(\d+, 0x[0-9a-f]{16}\) → /.test(s.summary))).toBe(true);
    // The learner's hook is "other": neither Linux's nor the empty one.
    expect(
      recording.events.some(
        (e) => e.event.kind === 'hook' && e.event.hook === 'anonymousFault' && e.event.impl === 'other',
      ),
    ).toBe(true);
    // The machine's events end as the trace does.
    const machine = recording.events.map((e) => e.event).filter((e) => !MARKERS.has(e.kind));
    const trace = failed.trace!.filter((e) => e.kind !== 'truncated');
    const n = Math.min(machine.length, trace.length);
    expect(machine.slice(-n)).toEqual(trace.slice(-n));
    expect(recording.states.length).toBeGreaterThan(1);
    expect(recording.states[0]!.frames!.length).toBeGreaterThan(0);
  });

  test('record: visible leaves hidden tests unrecorded; a learner’s view drops a withheld test’s recording', async () => {
    const source = mutant('always-allocate');
    const visible = await gradeSubmission({ exercise, learnerSource: source, record: 'visible' });
    expect(
      visible.tests.filter((t) => t.visibility !== 'visible').every((t) => t.recording === undefined),
    ).toBe(true);
    const all = await gradeSubmission({ exercise, learnerSource: source, record: 'all' });
    const hiddenFailed = all.tests.filter((t) => t.visibility === 'hidden' && t.status !== 'pass');
    expect(hiddenFailed.length).toBeGreaterThan(0);
    expect(hiddenFailed.every((t) => t.recording !== undefined)).toBe(true);
    const learner = viewFor(all, { audience: 'learner', dueDatePassed: false });
    for (const t of learner.tests) {
      if (t.visibility === 'hidden') expect(t.recording).toBeUndefined();
      else expect(t.recording !== undefined).toBe(t.status !== 'pass');
    }
    expect(viewFor(all, { audience: 'staff' })).toEqual(all);
  });
});
