/**
 * The recording's JSON shape, as a zod schema (the types are inferred from
 * it): what a picture of a run needs — the events, and the machine state at
 * every point the timeline can stop at — and nothing of the kernel's
 * objects. Plain JSON, bounded, and the same in Node and the browser: a
 * grader's report can carry one and a web page can draw one.
 *
 * States are stored as deltas: `states[0]` is the whole state at the first
 * event kept, each later state only what changed since the one before it.
 * Frames not mentioned in `states[0]` are free.
 */
import { z } from 'zod';

export const RECORDING_VERSION = 1;
/** The most events a recording may hold (a recorder's caps are lower). */
export const MAX_RECORDING_EVENTS = 5_000;

const int = z.int();
const flatValue = z.union([z.string().max(4_096), z.number(), z.boolean(), z.null()]);

export const FlatEventSchema = z
  .object({
    kind: z
      .string()
      .min(1)
      .max(64)
      .describe("The event's type (vm-core's `type`), e.g. 'walk-step', 'fault'."),
  })
  .catchall(flatValue)
  .describe(
    "A vm-core TraceEvent flattened as the grader's report flattens it: `type` becomes `kind`, a nested field `a.b`, arrays comma-joined; plus the recorder's own 'hook', 'hook-return', 'step' and 'step-end'.",
  );
export type FlatEvent = z.infer<typeof FlatEventSchema>;

export const RecordedFormatSchema = z
  .object({
    id: z.string().describe('The paging format: x86-64, x86-32, riscv-sv39, arm64, tiny8, tiny16.'),
    title: z.string(),
    family: z.enum(['x86', 'riscv', 'arm64']),
    pageShift: int.min(2).max(30),
    entryBytes: z.union([z.literal(1), z.literal(2), z.literal(4), z.literal(8)]),
    levels: z
      .array(
        z.object({
          name: z.string().describe("The manual's name for a table at this level (PML4, PD, VPN[2], L0 …)."),
          indexBits: int.min(1).max(16),
          leaf: z
            .boolean()
            .describe('Whether an entry here may map memory (a huge page or block above the last level).'),
          span: z.number().positive().describe('Bytes of address space one entry at this level covers.'),
        }),
      )
      .min(1)
      .max(5)
      .describe('Root first.'),
    flags: z
      .array(z.object({ name: z.string(), bit: int.min(0).max(63) }))
      .describe(
        "The entries' named flags and their bit positions, from the descriptor (vm-core's entryFlags).",
      ),
  })
  .describe('The paging format the pictures are drawn from.');
export type RecordedFormat = z.infer<typeof RecordedFormatSchema>;

export const SpaceRowSchema = z
  .object({
    mm: int.min(0),
    root: int.min(0).describe('Frame of the root table (CR3 >> 12).'),
    pids: z.array(int.min(0)).describe('Live tasks using this address space (threads share one).'),
    names: z.array(z.string()),
  })
  .describe('One user address space.');
export type SpaceRow = z.infer<typeof SpaceRowSchema>;

export const TableRowSchema = z
  .object({
    pfn: int.min(0),
    mm: int.min(0),
    level: int.min(0).max(4),
    va: z.number().describe('First virtual address the table covers (signed for the upper half).'),
  })
  .describe("A page-table page of a space's tree.");
export type TableRow = z.infer<typeof TableRowSchema>;

export const UnfollowedSchema = z.enum(['outside-range', 'beyond-memory', 'reserved-bits', 'seen', 'limit']);

export const EntryRowSchema = z
  .object({
    t: int.min(0).describe('Frame of the table holding the entry.'),
    i: int.min(0).describe('Index in that table.'),
    va: z.number().describe('First virtual address it covers.'),
    raw: z.string().describe('The entry as hex, as memory holds it.'),
    kind: z.enum(['invalid', 'table', 'leaf', 'reserved']).describe("vm-core's decodeEntry."),
    pfn: int.min(0).describe('The frame field (meaningful for a table or a leaf).'),
    on: z.array(z.string()).describe('The named flags that are set.'),
    next: int
      .min(0)
      .nullable()
      .describe('For a pointer that was followed: the frame of the table it points to.'),
    unfollowed: UnfollowedSchema.optional().describe(
      "For a pointer not followed, why ('outside-range' in a user dump: the shared kernel half).",
    ),
    swapSlot: int
      .min(0)
      .optional()
      .describe('A non-present last-level entry holding a swap entry: its slot.'),
    protNone: z.literal(true).optional().describe('A PROT_NONE page: P = 0, the frame kept.'),
  })
  .describe('One non-zero entry.');
export type EntryRow = z.infer<typeof EntryRowSchema>;

export const FRAME_USES = [
  'free',
  'reserved',
  'zero-page',
  'page-table',
  'kernel',
  'anon',
  'file',
  'swap-cache',
  'allocated',
] as const;
export const FrameRowSchema = z
  .object({
    pfn: int.min(0),
    use: z
      .enum(FRAME_USES)
      .describe(
        "What holds the frame. 'allocated': taken from the allocator but neither mapped nor in any cache (yet — or leaked).",
      ),
    refcount: int,
    mapcount: int,
    mms: z.array(int.min(0)).describe('Address spaces that map it (user pages) or own it (page tables).'),
    accessed: z.boolean().describe('An A / AF bit is set in a PTE that maps it.'),
    dirty: z.boolean().describe('A PTE that maps it is dirty, or the page is marked dirty.'),
    flags: z.array(z.string()).describe('Page flags (struct page), lower case: anon, lru, active, dirty, …'),
    note: z.string().nullable().describe('What else there is to say: a file page, a swap slot.'),
  })
  .describe("One frame's struct page.");
export type FrameRow = z.infer<typeof FrameRowSchema>;

export const StateDeltaSchema = z
  .object({
    focus: int
      .min(0)
      .nullable()
      .optional()
      .describe('The address space the picture shows (the one loaded on the CPU of the last event).'),
    spaces: z.array(SpaceRowSchema).optional().describe('Every address space, when the list changed.'),
    tables: z.array(TableRowSchema).optional().describe('Tables added (or moved to another space or level).'),
    tablesGone: z.array(int.min(0)).optional(),
    entries: z.array(EntryRowSchema).optional().describe('Entries added or changed.'),
    entriesGone: z
      .array(z.tuple([int.min(0), int.min(0)]))
      .optional()
      .describe('[table frame, index] of entries that became zero or left with their table.'),
    frames: z
      .array(FrameRowSchema)
      .optional()
      .describe('Frames whose struct page changed (a freed one: use free).'),
  })
  .describe('The machine state, as a change to the state before it (or, first, from nothing).');
export type StateDelta = z.infer<typeof StateDeltaSchema>;

export const RecordedEventSchema = z.object({
  step: int.min(1).nullable().describe('The step it happened in, or null outside every step.'),
  state: int.min(0).describe('Index into `states`: the machine state right after this event.'),
  event: FlatEventSchema,
});
export type RecordedEvent = z.infer<typeof RecordedEventSchema>;

export const RecordedStepSchema = z.object({
  index: int.min(1),
  kind: z.string().describe("The step's name (mmap, write, …) or the test helper's."),
  summary: z.string().max(4_096).describe('What the step did and how it ended.'),
  cpu: int.min(0).nullable(),
});
export type RecordedStep = z.infer<typeof RecordedStepSchema>;

export const RecordingSchema = z
  .object({
    version: z.literal(RECORDING_VERSION),
    title: z.string().nullable(),
    machine: z.object({
      arch: z.string(),
      frames: int.min(1),
      cpus: int.min(1),
      userEnd: z
        .number()
        .describe('TASK_SIZE: user addresses are below it; the rest is the shared kernel half.'),
      linux: z
        .string()
        .optional()
        .describe('The Linux release modelled where releases differ ("6.1"); absent in older recordings.'),
    }),
    format: RecordedFormatSchema,
    steps: z.array(RecordedStepSchema),
    events: z.array(RecordedEventSchema).max(MAX_RECORDING_EVENTS),
    states: z
      .array(StateDeltaSchema)
      .min(1)
      .max(MAX_RECORDING_EVENTS + 1),
    droppedEvents: int
      .min(0)
      .describe(
        'Events before the first one kept (a recorder keeping the last ones); the first state stands for them.',
      ),
    cut: z
      .enum(['events'])
      .nullable()
      .describe(
        "'events': the recorder kept the first events and stopped at its cap; later ones are missing.",
      ),
    stopped: z
      .object({ index: int.min(1), step: z.string(), reason: z.string() })
      .nullable()
      .describe('The step at which the kernel refused to go on, if it did.'),
    invariants: z.array(z.string()).describe('Invariant violations after the last step, if known.'),
  })
  .describe('A run recorded for the picture: events, and the machine state after each.');
export type Recording = z.infer<typeof RecordingSchema>;
