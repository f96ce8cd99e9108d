/**
 * An exercise's metadata (`exercise.json`), checked with zod so that a
 * broken folder is reported by file and field.
 */
import { z } from 'zod';
import { BRIDGED_HOOKS, type BridgedHookName } from '../kernel-bridge/index.ts';
import {
  DEFAULT_GRADING_LIMITS as D,
  DEFAULT_WALL_PER_CALL_FACTOR,
  DEFAULT_WALL_TOTAL_FACTOR,
  MAX_OUTPUT_LENGTH,
  MIN_WALL_FACTOR,
  resolveLimits,
  wallLimitProblems,
} from '../limits.ts';

const HookNameSchema = z.enum(BRIDGED_HOOKS as unknown as [BridgedHookName, ...BridgedHookName[]]);

export const ExerciseMetaSchema = z
  .object({
    id: z
      .string()
      .regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, 'must be kebab-case (a-z, 0-9, single dashes)')
      .describe("The exercise's id; equals its folder name."),
    title: z.string().min(1).max(120).describe('Title shown to learners.'),
    summary: z.string().min(1).max(400).describe('One or two sentences: what the learner builds.'),
    difficulty: z.enum(['intro', 'easy', 'medium', 'hard']).describe('How hard, roughly.'),
    points: z.number().positive().describe("Points available: the sum of the tests' points."),
    hooks: z
      .array(HookNameSchema)
      .min(1)
      .refine((h) => new Set(h).size === h.length, 'must not repeat a hook')
      .describe('The kernel hooks the learner implements (exports from their module).'),
    limits: z
      .object({
        cpuMsPerCall: z
          .int()
          .min(10)
          .max(5_000)
          .optional()
          .describe(`CPU budget of one hook call, or of loading the module (default ${D.cpuMsPerCall}).`),
        cpuMsPerTest: z
          .int()
          .min(10)
          .max(60_000)
          .optional()
          .describe(`CPU budget of all hook calls of one test together (default ${D.cpuMsPerTest}).`),
        cpuMsTotal: z
          .int()
          .min(10)
          .max(60_000)
          .optional()
          .describe(`CPU budget of the whole submission, every test together (default ${D.cpuMsTotal}).`),
        wallMsPerCall: z
          .int()
          .min(100)
          .max(600_000)
          .optional()
          .describe(
            `Wall-clock limit of one hook call or module load: the safety net behind cpuMsPerCall for built-ins that work long between the sandbox's step counts. At least ${MIN_WALL_FACTOR} × cpuMsPerCall (default ${DEFAULT_WALL_PER_CALL_FACTOR} × cpuMsPerCall).`,
          ),
        wallMsTotal: z
          .int()
          .min(1_000)
          .max(600_000)
          .optional()
          .describe(
            `Wall-clock limit for grading the whole submission, after which the job is stopped and graded once more on a fresh worker: the safety net behind cpuMsTotal. At least ${MIN_WALL_FACTOR} × cpuMsTotal (default ${DEFAULT_WALL_TOTAL_FACTOR} × cpuMsTotal).`,
          ),
        memoryBytes: z
          .int()
          .min(16 * 1024 * 1024)
          .max(256 * 1024 * 1024)
          .optional()
          .describe(`Size of each test's sandbox memory (default ${D.memoryBytes} bytes).`),
        stackBytes: z
          .int()
          .min(64 * 1024)
          .max(256 * 1024)
          .optional()
          .describe(
            `Native stack of the sandbox; deep recursion beyond it is a stack overflow (default ${D.stackBytes} bytes).`,
          ),
        outputChars: z
          .int()
          .min(0)
          .max(MAX_OUTPUT_LENGTH)
          .optional()
          .describe(
            `Console output kept per test; the rest is cut with a marker (default ${D.outputChars}).`,
          ),
      })
      .strict()
      .refine(
        (l) =>
          l.cpuMsPerCall === undefined || l.cpuMsPerTest === undefined || l.cpuMsPerCall <= l.cpuMsPerTest,
        { message: 'cpuMsPerCall must not exceed cpuMsPerTest', path: ['cpuMsPerCall'] },
      )
      .refine(
        (l) => l.cpuMsPerTest === undefined || l.cpuMsTotal === undefined || l.cpuMsPerTest <= l.cpuMsTotal,
        { message: 'cpuMsPerTest must not exceed cpuMsTotal', path: ['cpuMsPerTest'] },
      )
      .superRefine((l, ctx) => {
        // With the defaults filled in: a wall-clock limit left out follows its
        // step budget, one that is set must stay clear of it.
        for (const problem of wallLimitProblems(resolveLimits(l)))
          ctx.addIssue({ code: 'custom', message: problem.message, path: [problem.limit] });
      })
      .default({})
      .describe(
        'Limits of the sandbox and of grading. CPU budgets are counted in interpreter steps, so every machine agrees; the wall-clock limits are safety nets behind them and must stay at least ten times the budget they back.',
      ),
    frames: z.int().min(64).max(4096).optional().describe("Physical frames of each test's kernel."),
    concepts: z.array(z.string().min(1)).default([]).describe('What the exercise teaches.'),
    prerequisites: z.array(z.string().min(1)).default([]).describe('Ids of exercises to do first.'),
  })
  .strict();

export type ExerciseMeta = z.infer<typeof ExerciseMetaSchema>;
