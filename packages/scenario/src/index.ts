/**
 * @faultline/scenario: one vocabulary of steps on the simulated kernel —
 * its schema, a YAML/JSON parser, the runner and its report — and the
 * session underneath, whose typed operations the grader's TestContext calls.
 */
export {
  COUNTER_NAMES,
  COUNTER_NOUNS,
  type CounterName,
  type Counters,
  counterDelta,
  countText,
  isCounterName,
  zeroCounters,
} from './counters.ts';
export { ScenarioError } from './errors.ts';
export { formatScenarioReport } from './format.ts';
export {
  emptyHooks,
  HOOK_NAMES,
  type HookCall,
  HookFileError,
  type HookImpl,
  type HookName,
  type HookObserver,
  type HookSpec,
  HookTable,
  isHookName,
  type ResolveHookFile,
} from './hooks.ts';
export { formatOfFileName, parseScenarioText, type ScenarioFormat } from './parse.ts';
export { type ScannedPage, wouldFree } from './reclaim-scan.ts';
export {
  flattenEvent,
  type RecordedRun,
  Recorder,
  type RecorderOptions,
  RecordingFull,
  type RecordScenarioOptions,
  recordedFormat,
  recordScenario,
} from './recording.ts';
export {
  type EntryRow,
  EntryRowSchema,
  type FlatEvent,
  FlatEventSchema,
  FRAME_USES,
  type FrameRow,
  FrameRowSchema,
  MAX_RECORDING_EVENTS,
  RECORDING_VERSION,
  type RecordedEvent,
  RecordedEventSchema,
  type RecordedFormat,
  RecordedFormatSchema,
  type RecordedStep,
  RecordedStepSchema,
  type Recording,
  RecordingSchema,
  type SpaceRow,
  SpaceRowSchema,
  type StateDelta,
  StateDeltaSchema,
  type TableRow,
  TableRowSchema,
} from './recording-schema.ts';
export {
  bootSession,
  hookFilesOf,
  INSTRUCTION_NAMES,
  instructionNamed,
  type RunOptions,
  runOn,
  runScenario,
  type ScenarioReport,
  type StepObserver,
  type StepReport,
  type StoppedAt,
  type WatchedPage,
  type WatchReport,
} from './run.ts';
export {
  archsOf,
  HANDLER_STEP_KINDS,
  HANDLING_TASK,
  type HandlerSpec,
  onArch,
  parseScenario,
  type Scenario,
  type ScenarioHeader,
  STEP_KINDS,
  type Step,
  type StepKind,
  scenarioSchema,
} from './schema.ts';
export {
  type KernelAccessOptions,
  type MachineOptions,
  type PageSnapshot,
  ScenarioSession,
  type SessionOptions,
} from './session.ts';
