/**
 * An exercise's metadata (`exercise.json`), checked with zod so that a
 * broken folder is reported by file and field.
 */
import { DEFAULT_GRADING_LIMITS as D, MAX_OUTPUT_LENGTH } from '@faultline/grader';
import { BRIDGED_HOOKS, type BridgedHookName } from '@faultline/sandbox';
import { z } from 'zod';

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
          .max(600_000)
          .optional()
          .describe(`CPU budget of the whole submission, every test together (default ${D.cpuMsTotal}).`),
        wallMsTotal: z
          .int()
          .min(1_000)
          .max(600_000)
          .optional()
          .describe(
            `Wall-clock time for grading the whole submission, after which the job is killed (default ${D.wallMsTotal}).`,
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
      .default({})
      .describe(
        'Limits of the sandbox and of grading (CPU budgets are counted in interpreter steps, so every machine agrees).',
      ),
    frames: z.int().min(64).max(4096).optional().describe("Physical frames of each test's kernel."),
    concepts: z.array(z.string().min(1)).default([]).describe('What the exercise teaches.'),
    prerequisites: z.array(z.string().min(1)).default([]).describe('Ids of exercises to do first.'),
  })
  .strict();

export type ExerciseMeta = z.infer<typeof ExerciseMetaSchema>;
