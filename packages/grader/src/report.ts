/**
 * The grader's report: one versioned JSON shape, parsed with zod at every
 * boundary and published as a JSON Schema (schema/report.schema.json,
 * generated from `ReportSchema`). Bump `REPORT_SCHEMA_VERSION` on any change
 * a consumer could notice — a new status, a renamed or newly required field.
 *
 * The overall status and score are never set by hand: `summarize` derives
 * them from the per-test results and the run's outcome, so the rules live in
 * one place (below) and every report obeys them.
 */
import { scrubHostText } from '@faultline/sandbox/scrub';
import { type Recording, RecordingSchema } from '@faultline/scenario/recording';
import { z } from 'zod';
import { type GradingLimits, GradingLimitsSchema, MAX_OUTPUT_LENGTH, StoppingLimitSchema } from './limits.ts';

/** 2: `limits` (what the submission was graded under) and a test's `limit` (what stopped it). */
export const REPORT_SCHEMA_VERSION = 3;
/** Longest learner log kept per test, in UTF-16 code units, marker included (owned by limits.ts). */
export { MAX_OUTPUT_LENGTH };
/** Most trace events kept per test, truncation marker included. */
export const MAX_TRACE_EVENTS = 500;
/**
 * Longest recording kept per test, as JSON characters: a recording over it
 * is left out (the trace stays). The recorder's own caps keep the
 * workspace's tests far below it.
 */
export const MAX_RECORDING_CHARS = 1_000_000;
/** Longest message kept (per test, per compile error, overall). */
export const MAX_MESSAGE_LENGTH = 4_096;
/** Longest hint an exercise's test may give (defineTests refuses longer). */
export const MAX_HINT_LENGTH = 500;

export const ReportStatusSchema = z
  .enum(['pass', 'fail', 'error', 'compile-error', 'timeout', 'memory-limit'])
  .describe(
    'Overall outcome. pass: every test that ran passed, at least one ran, and the full score was earned. fail: tests ran and at least one did not pass. error: nothing could run (grader or sandbox failure, or zero tests ran). compile-error: the submission did not compile; no test ran. timeout: a test exceeded its time limit. memory-limit: a test exceeded its memory limit.',
  );
export type ReportStatus = z.infer<typeof ReportStatusSchema>;

export const TestStatusSchema = z
  .enum(['pass', 'fail', 'error', 'timeout', 'memory-limit', 'skipped'])
  .describe(
    "One test's outcome. pass/fail: the test's assertions held or did not. error: the test could not finish (the learner's code threw, or returned something the harness cannot read). timeout / memory-limit: the sandbox stopped it at a limit. skipped: it never started (earns no points).",
  );
export type TestStatus = z.infer<typeof TestStatusSchema>;

export const VisibilitySchema = z
  .enum(['visible', 'hidden', 'after_due_date'])
  .describe(
    "Who may see the test's message, output and trace, as Gradescope uses these words. visible: the learner, always. hidden: staff only (the learner sees the name, status and points). after_due_date: the learner once the due date has passed; staff always.",
  );
export type Visibility = z.infer<typeof VisibilitySchema>;

export const CompileErrorSchema = z
  .object({
    line: z.int().min(1).describe("1-based line in the learner's file."),
    column: z.int().min(1).describe("1-based column in the learner's file."),
    message: z.string().max(MAX_MESSAGE_LENGTH).describe('What the compiler said, with host paths scrubbed.'),
  })
  .describe("One diagnostic from compiling the learner's code.");
export type CompileError = z.infer<typeof CompileErrorSchema>;

const TraceValueSchema = z
  .union([z.string(), z.number(), z.boolean(), z.null()])
  .describe('Trace fields are flat primitives so that a trace is plain, comparable JSON.');

/**
 * An event of the simulated machine as a report carries it: vm-core's
 * `TraceEvent` flattened (its `type` becomes `kind`, nested values flat
 * fields), so a trace is plain JSON a UI can replay.
 */
export const ReportTraceEventSchema = z
  .object({
    kind: z
      .string()
      .min(1)
      .describe(
        "What happened in the simulated machine (e.g. 'tlb-miss', 'walk', 'page-fault'); 'truncated' marks dropped events and carries `dropped`.",
      ),
  })
  .catchall(TraceValueSchema)
  .describe('One event of the simulated machine, for a UI to replay. Extra fields are flat primitives.');
export type ReportTraceEvent = z.infer<typeof ReportTraceEventSchema>;

/** Statuses that say a limit stopped the test; exactly these carry `limit`. */
const STOPPED_BY_A_LIMIT: readonly TestStatus[] = ['timeout', 'memory-limit'];

export const TestLimitSchema = z
  .object({
    name: StoppingLimitSchema,
    value: z.number().positive().describe("The limit's value: ms for a time limit, bytes for memory."),
  })
  .strict()
  .describe('The limit that stopped a test, as exercise.json names it.');
export type TestLimit = z.infer<typeof TestLimitSchema>;

export const TestResultSchema = z
  .object({
    name: z.string().min(1).describe('Human-readable test name, unique within the report.'),
    status: TestStatusSchema,
    points: z.number().min(0).describe('Points earned; 0 unless the test passed or earned partial credit.'),
    maxPoints: z.number().min(0).describe('Points available.'),
    message: z
      .string()
      .max(MAX_MESSAGE_LENGTH)
      .describe(
        "Why the test did not pass, scrubbed of host paths and host stack frames; '' when it passed.",
      ),
    durationMs: z
      .number()
      .min(0)
      .describe(
        'Wall-clock time of the test in milliseconds. The only field that may differ between two runs of the same submission.',
      ),
    visibility: VisibilitySchema,
    output: z
      .string()
      .max(MAX_OUTPUT_LENGTH)
      .describe("The learner's log output during this test, scrubbed and capped (a marker ends a cut log)."),
    limit: TestLimitSchema.optional().describe(
      'Present exactly when the status is timeout or memory-limit: which limit stopped the test.',
    ),
    hint: z
      .string()
      .min(1)
      .max(MAX_HINT_LENGTH)
      .optional()
      .describe(
        "The exercise author's hint for this test, present when the test did not pass and its author gave one. Written for learners: shown even where a hidden test's message is withheld.",
      ),
    trace: z
      .array(ReportTraceEventSchema)
      .max(MAX_TRACE_EVENTS)
      .optional()
      .describe(
        "For failures: the simulated machine's last events before the failure, oldest first; a leading 'truncated' event says how many earlier ones were dropped.",
      ),
    recording: RecordingSchema.optional().describe(
      "For failures, when the grader was asked to record (`record`): the same last events with the machine state after each — the page tables of every user address space and the frame database — so a UI can draw them step by step (@faultline/scenario's Recording). Withheld with the trace where the trace is.",
    ),
  })
  .refine((t) => t.points <= t.maxPoints, { message: 'points must not exceed maxPoints', path: ['points'] })
  .refine((t) => STOPPED_BY_A_LIMIT.includes(t.status) === (t.limit !== undefined), {
    message: 'limit must be present exactly when the status is timeout or memory-limit',
    path: ['limit'],
  })
  .refine((t) => t.status !== 'skipped' || t.points === 0, {
    message: 'a skipped test earns no points',
    path: ['points'],
  })
  .refine((t) => t.hint === undefined || t.status !== 'pass', {
    message: 'a hint is given only for a test that did not pass',
    path: ['hint'],
  })
  .describe('The result of one test.');
export type TestResult = z.infer<typeof TestResultSchema>;

export const ReportSchema = z
  .object({
    schemaVersion: z.literal(REPORT_SCHEMA_VERSION).describe('Version of this report shape.'),
    status: ReportStatusSchema,
    score: z.number().min(0).describe('Points earned overall; 0 for error and compile-error.'),
    maxScore: z.number().min(0).describe('Points available overall.'),
    exercise: z.string().min(1).describe("The exercise's id."),
    limits: GradingLimitsSchema.optional().describe(
      "The limits the submission was graded under (the exercise's, defaults filled in); absent only when the exercise's metadata could not be read.",
    ),
    message: z
      .string()
      .max(MAX_MESSAGE_LENGTH)
      .optional()
      .describe('A one-line summary for any status but pass (e.g. the first compile error).'),
    compileErrors: z
      .array(CompileErrorSchema)
      .optional()
      .describe('Present, non-empty, exactly when status is compile-error.'),
    tests: z.array(TestResultSchema).describe('Every test, in the order the exercise defines them.'),
  })
  .refine((r) => r.score <= r.maxScore, { message: 'score must not exceed maxScore', path: ['score'] })
  .refine(
    (r) => (r.status === 'compile-error') === (r.compileErrors !== undefined && r.compileErrors.length > 0),
    {
      message: 'compileErrors must be present and non-empty exactly when status is compile-error',
      path: ['compileErrors'],
    },
  )
  .describe("The grader's verdict on one submission of one exercise.");
export type Report = z.infer<typeof ReportSchema>;

/** How the run as a whole went, before looking at individual tests. */
export type RunOutcome =
  | { kind: 'ran' }
  | { kind: 'compile-error'; errors: readonly CompileError[] }
  | { kind: 'not-run'; message: string };

export type SummarizeOptions = {
  /** Defaults to `{ kind: 'ran' }`. */
  outcome?: RunOutcome;
  /** The exercise's total; defaults to the sum of the tests' maxPoints. Pass it so that
   * reports without tests (compile errors, grader errors) still show the right total. */
  maxScore?: number;
};

export type Summary = {
  status: ReportStatus;
  score: number;
  maxScore: number;
  /** Absent exactly when the status is pass. */
  message?: string;
};

/*
 * The status rules. The first rule that matches decides.
 *
 * 1. The submission did not compile            → compile-error, score 0.
 * 2. The run could not start (outcome not-run) → error, score 0.
 * 3. No test ran (none, or all skipped)        → error, score 0. Zero tests run is never a pass.
 * 4. Any test timed out                        → timeout, score = points earned.
 * 5. Any test hit the memory limit             → memory-limit, score = points earned.
 * 6. Any test that ran did not pass            → fail, score = points earned.
 *    (A test-level 'error' counts here: something ran, so the overall status is not 'error'.)
 * 7. Every test that ran passed, but points were left on the table
 *    (a skipped test or a partial pass)         → fail, score = points earned.
 * 8. Otherwise                                  → pass, score = maxScore.
 *
 * "Points earned" is the sum of the tests' points, rounded to 1e-6 so that
 * sums of fractions stay readable, and capped at maxScore.
 */
export function summarize(tests: readonly TestResult[], options: SummarizeOptions = {}): Summary {
  const outcome = options.outcome ?? { kind: 'ran' };
  const maxScore = roundPoints(options.maxScore ?? sum(tests.map((t) => t.maxPoints)));
  const earned = Math.min(roundPoints(sum(tests.map((t) => t.points))), maxScore);

  if (outcome.kind === 'compile-error') {
    const [first] = outcome.errors;
    const count = outcome.errors.length;
    const head = first ? `line ${first.line}:${first.column}: ${first.message}` : 'no diagnostics';
    return {
      status: 'compile-error',
      score: 0,
      maxScore,
      message: `Your code did not compile (${count} ${count === 1 ? 'error' : 'errors'}); ${head}`,
    };
  }
  if (outcome.kind === 'not-run') {
    return { status: 'error', score: 0, maxScore, message: outcome.message };
  }

  const ran = tests.filter((t) => t.status !== 'skipped');
  if (ran.length === 0) {
    return {
      status: 'error',
      score: 0,
      maxScore,
      message:
        tests.length === 0
          ? 'No tests ran: the grader found no tests for this exercise.'
          : 'No tests ran: every test was skipped.',
    };
  }
  const timedOut = ran.find((t) => t.status === 'timeout');
  if (timedOut) {
    return {
      status: 'timeout',
      score: earned,
      maxScore,
      message: `Test "${timedOut.name}" ran out of time.`,
    };
  }
  const overMemory = ran.find((t) => t.status === 'memory-limit');
  if (overMemory) {
    return {
      status: 'memory-limit',
      score: earned,
      maxScore,
      message: `Test "${overMemory.name}" ran out of memory.`,
    };
  }
  const notPassed = ran.filter((t) => t.status !== 'pass').length;
  if (notPassed > 0) {
    return {
      status: 'fail',
      score: earned,
      maxScore,
      message: `${notPassed} of ${ran.length} ${ran.length === 1 ? 'test' : 'tests'} did not pass.`,
    };
  }
  if (earned < maxScore) {
    const skipped = tests.length - ran.length;
    return {
      status: 'fail',
      score: earned,
      maxScore,
      message:
        skipped > 0
          ? `Every test that ran passed, but ${skipped} ${skipped === 1 ? 'test was' : 'tests were'} skipped.`
          : 'Every test passed, but not every point was earned.',
    };
  }
  return { status: 'pass', score: maxScore, maxScore };
}

/** A test result as the runner produces it: host text not yet scrubbed, output and trace not yet capped. */
export type RawTestResult = Omit<TestResult, 'trace'> & { trace?: readonly ReportTraceEvent[] | undefined };

export type BuildReportInput = {
  exercise: string;
  tests: readonly RawTestResult[];
  /** The limits the submission was graded under; leave out only when they cannot be known. */
  limits?: GradingLimits | undefined;
} & SummarizeOptions;

/**
 * Assembles a report from raw results: scrubs every learner-visible string,
 * caps logs and traces, derives status and score with `summarize`, and
 * validates the result against `ReportSchema` (throws if the runner broke the contract).
 */
export function buildReport(input: BuildReportInput): Report {
  const tests: TestResult[] = input.tests.map((t) => {
    const result: TestResult = {
      name: capText(scrubHostText(t.name), MAX_MESSAGE_LENGTH),
      status: t.status,
      points: t.points,
      maxPoints: t.maxPoints,
      message: capText(scrubHostText(t.message), MAX_MESSAGE_LENGTH),
      durationMs: t.durationMs,
      visibility: t.visibility,
      output: capText(scrubHostText(t.output), MAX_OUTPUT_LENGTH),
    };
    if (t.limit !== undefined) result.limit = { ...t.limit };
    if (t.hint !== undefined && t.status !== 'pass')
      result.hint = capText(scrubHostText(t.hint), MAX_HINT_LENGTH);
    if (t.trace !== undefined) result.trace = capTrace(t.trace.map(scrubTraceEvent));
    if (t.recording !== undefined) {
      const recording = scrubRecording(t.recording);
      if (JSON.stringify(recording).length <= MAX_RECORDING_CHARS) result.recording = recording;
    }
    return result;
  });
  const outcome: RunOutcome =
    input.outcome?.kind === 'compile-error'
      ? {
          kind: 'compile-error',
          errors: input.outcome.errors.map((e) => ({
            ...e,
            message: capText(scrubHostText(e.message), MAX_MESSAGE_LENGTH),
          })),
        }
      : input.outcome?.kind === 'not-run'
        ? { kind: 'not-run', message: scrubHostText(input.outcome.message) }
        : { kind: 'ran' };
  const options: SummarizeOptions = { outcome };
  if (input.maxScore !== undefined) options.maxScore = input.maxScore;
  const summary = summarize(tests, options);

  const report: Report = {
    schemaVersion: REPORT_SCHEMA_VERSION,
    status: summary.status,
    score: summary.score,
    maxScore: summary.maxScore,
    exercise: input.exercise,
    tests,
  };
  if (input.limits !== undefined) report.limits = { ...input.limits };
  if (summary.message !== undefined) report.message = capText(summary.message, MAX_MESSAGE_LENGTH);
  if (outcome.kind === 'compile-error') report.compileErrors = [...outcome.errors];
  return ReportSchema.parse(report);
}

/** Cuts `text` to at most `max` code units, ending with a marker that says how much was dropped. */
export function capText(text: string, max: number): string {
  if (text.length <= max) return text;
  const marker = (dropped: number) => `\n… [${dropped} more characters cut]`;
  // The marker's own length depends on the count; the bound is loose by a few digits at most.
  let keep = max - marker(text.length).length;
  // Never split a surrogate pair: a lone half would not survive JSON or XML intact.
  if (keep > 0 && isHighSurrogate(text.charCodeAt(keep - 1))) keep -= 1;
  keep = Math.max(0, keep);
  return text.slice(0, keep) + marker(text.length - keep);
}

/** Keeps the last events (those nearest the failure), with a leading 'truncated' marker. */
export function capTrace(events: readonly ReportTraceEvent[], max = MAX_TRACE_EVENTS): ReportTraceEvent[] {
  if (events.length <= max) return [...events];
  const kept = events.slice(events.length - (max - 1));
  return [{ kind: 'truncated', dropped: events.length - kept.length }, ...kept];
}

function scrubTraceEvent(event: ReportTraceEvent): ReportTraceEvent {
  const out: ReportTraceEvent = { kind: event.kind };
  for (const [key, value] of Object.entries(event)) {
    out[key] = typeof value === 'string' ? scrubHostText(value) : value;
  }
  return out;
}

/** A recording's strings scrubbed as the trace's are (event fields, step summaries, the stop reason). */
function scrubRecording(r: Recording): Recording {
  return {
    ...r,
    steps: r.steps.map((s) => ({ ...s, summary: scrubHostText(s.summary) })),
    events: r.events.map((e) => ({ ...e, event: scrubTraceEvent(e.event) })),
    stopped: r.stopped === null ? null : { ...r.stopped, reason: scrubHostText(r.stopped.reason) },
    invariants: r.invariants.map((text) => scrubHostText(text)),
  };
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

function sum(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

function roundPoints(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}
