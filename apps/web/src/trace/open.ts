/**
 * A scenario's text → its recording, or a message that says plainly what is
 * wrong with it. Pure (no I/O): the /trace page and its data route call it on
 * the server, tests call it directly.
 *
 * Anyone can open /trace with a scenario of their own (`?src=`), so the run
 * is bounded before it starts — the text's size, the machine's memory, the
 * steps — and while it runs: the recorder stops the run at its event cap, so
 * a scenario that touches a terabyte costs no more than one that touches a
 * few pages.
 */
import {
  parseScenarioText,
  type Recording,
  recordScenario,
  type Scenario,
  ScenarioError,
  type ScenarioFormat,
} from '@faultline/scenario';

export const TRACE_LIMITS = {
  /** Characters of scenario text accepted from a URL. */
  srcChars: 8_000,
  /** Frames (of 4 KiB) a scenario may give its machine: 16 MiB. */
  frames: 4_096,
  cpus: 8,
  steps: 200,
  /** Events recorded; the run stops there. */
  events: 3_000,
} as const;

export type Opened =
  | { readonly kind: 'ok'; readonly recording: Recording; readonly ms: number }
  | {
      readonly kind: 'err';
      /** What is wrong, said to whoever wrote the scenario. */
      readonly message: string;
      /** 400: the scenario; 413: too large; 422: the machine refused it before it ran. */
      readonly status: 400 | 413 | 422;
    };

/** JSON when the text looks like a JSON object, else YAML (which is a superset anyway). */
export function formatOfText(text: string): ScenarioFormat {
  return text.trimStart().startsWith('{') ? 'json' : 'yaml';
}

export function openScenarioText(text: string, format: ScenarioFormat = formatOfText(text)): Opened {
  if (text.length > TRACE_LIMITS.srcChars)
    return {
      kind: 'err',
      status: 413,
      message: `This scenario is ${text.length} characters long; a scenario opened from a link may have at most ${TRACE_LIMITS.srcChars}.`,
    };
  if (text.trim() === '') return { kind: 'err', status: 400, message: 'The scenario is empty.' };
  let scenario: Scenario;
  try {
    scenario = parseScenarioText(text, format);
  } catch (error) {
    if (error instanceof ScenarioError)
      return { kind: 'err', status: 400, message: `The scenario: ${error.message}` };
    throw error;
  }
  return openScenario(scenario);
}

/** Records a parsed scenario within the limits. */
export function openScenario(scenario: Scenario): Opened {
  const limit = limitProblem(scenario);
  if (limit !== null) return { kind: 'err', status: 413, message: limit };
  const started = performance.now();
  try {
    const { recording } = recordScenario(scenario, { maxEvents: TRACE_LIMITS.events, stopWhenFull: true });
    return { kind: 'ok', recording, ms: performance.now() - started };
  } catch (error) {
    if (error instanceof ScenarioError)
      return {
        kind: 'err',
        status: 422,
        message: /loads no hook files/.test(error.message)
          ? `This scenario runs hooks from files, which this page does not load (it runs Linux’s hooks and empty ones only): ${error.message}`
          : `The kernel could not run this scenario: ${error.message}`,
      };
    throw error;
  }
}

function limitProblem(s: Scenario): string | null {
  if (s.frames > TRACE_LIMITS.frames)
    return `This scenario asks for ${s.frames} frames; the pictures here run machines of at most ${TRACE_LIMITS.frames}.`;
  if (s.cpus > TRACE_LIMITS.cpus)
    return `This scenario asks for ${s.cpus} CPUs; the pictures here run machines of at most ${TRACE_LIMITS.cpus}.`;
  if (s.steps.length > TRACE_LIMITS.steps)
    return `This scenario has ${s.steps.length} steps; a picture shows at most ${TRACE_LIMITS.steps}.`;
  if ((s.swap ?? 0) > TRACE_LIMITS.frames * 4)
    return `This scenario asks for ${s.swap} swap slots; the pictures here allow at most ${TRACE_LIMITS.frames * 4}.`;
  return null;
}
