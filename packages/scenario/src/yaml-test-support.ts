// For tests: run a scenario written as YAML, find a step's report by its
// 1-based index, or get the ScenarioError a broken one is refused with.
import { ScenarioError } from './errors.ts';
import { parseScenarioText } from './parse.ts';
import { runScenario, type ScenarioReport } from './run.ts';

export const run = (yaml: string): ScenarioReport => runScenario(parseScenarioText(yaml, 'yaml'));

export const byIndex = (r: ScenarioReport, index: number) => r.steps.find((s) => s.index === index)!;

export function failure(yaml: string): string {
  try {
    run(yaml);
  } catch (error) {
    if (error instanceof ScenarioError) return error.message;
    throw error;
  }
  throw new Error('the scenario ran');
}
