import { RecordingSchema } from '@faultline/scenario';
import { describe, expect, test } from 'vitest';
import { listScenarios, openBundled } from './bundled.ts';
import { formatOfText, type Opened, openScenarioText, TRACE_LIMITS } from './open.ts';

const ok = (o: Opened) => {
  if (o.kind !== 'ok') throw new Error(`expected a recording, got ${o.status}: ${o.message}`);
  return o.recording;
};

const SMALL = `
steps:
  - spawn: { name: app }
  - mmap: { task: app, length: 4096, prot: rw-, as: buf }
  - write: { task: app, addr: buf, value: 1 }
`;

describe('opening a scenario from its text', () => {
  test('a small scenario is recorded whole', () => {
    const r = ok(openScenarioText(SMALL));
    expect(r.cut).toBeNull();
    expect(r.steps).toHaveLength(3);
    expect(RecordingSchema.parse(JSON.parse(JSON.stringify(r)))).toEqual(r);
  });

  test('JSON or YAML, by the text', () => {
    const json = JSON.stringify({ steps: [{ spawn: { name: 'app' } }] });
    expect(formatOfText(json)).toBe('json');
    expect(formatOfText(SMALL)).toBe('yaml');
    expect(ok(openScenarioText(json)).steps.map((s) => s.kind)).toEqual(['spawn']);
  });

  test('bad input is a message, with the status a data route answers', () => {
    expect(openScenarioText('steps: [ {')).toMatchObject({ kind: 'err', status: 400 });
    expect((openScenarioText('steps: [ {') as { message: string }).message).toMatch(
      /^The scenario: not valid YAML/,
    );
    expect(openScenarioText('   ')).toEqual({ kind: 'err', status: 400, message: 'The scenario is empty.' });
    expect(openScenarioText('steps:\n  - fly: { to: moon }')).toMatchObject({
      kind: 'err',
      status: 400,
      message: expect.stringMatching(/step 1: unknown step "fly"/),
    });
    expect(openScenarioText('x'.repeat(TRACE_LIMITS.srcChars + 1))).toMatchObject({
      kind: 'err',
      status: 413,
    });
    expect(openScenarioText(`frames: 262144\n${SMALL}`)).toMatchObject({
      kind: 'err',
      status: 413,
      message: expect.stringMatching(/262144 frames/),
    });
    expect(openScenarioText(`hooks: { cowBreak: { file: mine.ts } }\n${SMALL}`)).toMatchObject({
      kind: 'err',
      status: 422,
      message: expect.stringMatching(/hooks from files/),
    });
  });

  test('a step the kernel refuses is drawn, up to where it stopped', () => {
    const r = ok(openScenarioText(`hooks: { pageFault: empty }\n${SMALL}`));
    expect(r.stopped).toMatchObject({ index: 3, step: 'write' });
  });

  test('a scenario that would run long is cut at the event cap, and the run stops there', () => {
    const r = ok(
      openScenarioText(`
frames: 4096
steps:
  - spawn: { name: app }
  - mmap: { task: app, length: 1099511627776, prot: rw-, as: big }
  - touch: { task: app, addr: big, length: 1099511627776 }
`),
    );
    expect(r.cut).toBe('events');
    expect(r.events).toHaveLength(TRACE_LIMITS.events);
  });
});

describe('the bundled scenarios', () => {
  test('each opens, or says why it cannot be drawn here; unknown names are not files', async () => {
    const all = await listScenarios();
    expect(all.map((s) => s.name)).toContain('cow-fork');
    for (const s of all) {
      const opened = (await openBundled(s.name))!;
      if (opened.opened.kind === 'err') expect(opened.opened.message).toMatch(/hooks from files/);
      else expect(opened.opened.recording.events.length).toBeGreaterThan(0);
    }
    expect(await openBundled('../../package')).toBeNull();
    expect(await openBundled('no-such-scenario')).toBeNull();
    expect((await openBundled('cow-fork'))!.title).toMatch(/copy-on-write/);
  });
});
