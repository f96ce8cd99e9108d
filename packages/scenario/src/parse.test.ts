import { describe, expect, test } from 'vitest';
import { ScenarioError } from './errors.ts';
import { formatOfFileName, parseScenarioText } from './parse.ts';

describe('scenario text', () => {
  test('YAML: 64-bit addresses arrive exactly, as "0x…" when beyond 2^53', () => {
    const s = parseScenarioText(
      'steps:\n  - read: { task: init, addr: 0xffff888000000000 }\n  - read: { task: init, addr: 4096 }\n',
      'yaml',
    );
    expect(s.steps).toEqual([
      { kind: 'read', args: { task: 'init', addr: '0xffff888000000000' } },
      { kind: 'read', args: { task: 'init', addr: 4096 } },
    ]);
  });

  test('JSON, with the defaults of the machine filled in', () => {
    const s = parseScenarioText('{ "cpus": 2, "steps": [{ "check": {} }] }', 'json');
    expect(s).toMatchObject({
      arch: 'x86-64',
      frames: 512,
      cpus: 2,
      seed: 1,
      steps: [{ kind: 'check', args: {} }],
    });
  });

  test('syntax errors say which format and what is wrong, on one line', () => {
    expect(() => parseScenarioText('steps: [\n', 'yaml')).toThrow(ScenarioError);
    expect(() => parseScenarioText('steps: [\n', 'yaml')).toThrow(/^not valid YAML: [^\n]+$/);
    expect(() => parseScenarioText('{ "steps": ', 'json')).toThrow(/^not valid JSON: /);
  });

  test('the format a file name implies', () => {
    expect(formatOfFileName('a/b/threads.JSON')).toBe('json');
    expect(formatOfFileName('cow.yaml')).toBe('yaml');
    expect(formatOfFileName('cow.yml')).toBe('yaml');
  });
});
