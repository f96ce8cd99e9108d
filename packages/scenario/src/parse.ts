/**
 * Scenario text (YAML or JSON) → a validated scenario. The CLI reads a file
 * and the web app an editor's contents; both arrive here as text.
 */
import { parse as parseYaml } from 'yaml';
import { ScenarioError } from './errors.ts';
import { parseScenario, type Scenario } from './schema.ts';

export type ScenarioFormat = 'yaml' | 'json';

/** The format a file name implies: JSON for `.json`, YAML for anything else. */
export function formatOfFileName(name: string): ScenarioFormat {
  return name.toLowerCase().endsWith('.json') ? 'json' : 'yaml';
}

/** Parses and validates; throws ScenarioError naming the step and field, or the syntax error. */
export function parseScenarioText(text: string, format: ScenarioFormat): Scenario {
  let data: unknown;
  try {
    // YAML integers are read as BigInt so that 64-bit addresses such as
    // 0xffff888000000000 arrive exactly, then narrowed (see exactNumbers).
    data = format === 'json' ? JSON.parse(text) : exactNumbers(parseYaml(text, { intAsBigInt: true }));
  } catch (error) {
    throw new ScenarioError(
      `not valid ${format === 'json' ? 'JSON' : 'YAML'}: ${(error as Error).message.split('\n')[0]}`,
    );
  }
  return parseScenario(data);
}

/**
 * Turns BigInt values from the YAML parser into numbers when they are safe
 * integers, and into "0x…" strings (which address fields accept) when they
 * are not, so no 64-bit address is silently rounded.
 */
function exactNumbers(value: unknown): unknown {
  if (typeof value === 'bigint') {
    const n = Number(value);
    if (Number.isSafeInteger(n)) return n;
    // Wider than 64 bits: kept whole, so the field refuses it rather than wrapping it to 0.
    if (value >= 1n << 64n || value < -(1n << 63n))
      return `${value < 0n ? '-' : ''}0x${(value < 0n ? -value : value).toString(16)}`;
    return `0x${BigInt.asUintN(64, value).toString(16)}`;
  }
  if (Array.isArray(value)) return value.map(exactNumbers);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, exactNumbers(v)]));
  }
  return value;
}
