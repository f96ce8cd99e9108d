// The guest's local time is UTC whatever the host's zone: the same code gives
// the same answers on a grading machine in New York, Kolkata or UTC.
import { afterAll, describe, expect, it } from 'vitest';
import { transpile } from '../transpile.ts';
import { compileQuickJSModule } from '../wasm-node.ts';
import { createSandbox } from './create.ts';

const hostZone = process.env.TZ;
afterAll(() => {
  if (hostZone === undefined) delete process.env.TZ;
  else process.env.TZ = hostZone;
});

const SOURCE = `
  export function localTime() {
    const epoch = new Date(0);
    return [
      epoch.getHours(),
      epoch.getTimezoneOffset(),
      new Date(2026, 0, 1).getTime(),
      Date.parse('2026-01-01T00:00:00'),
      epoch.toString(),
      new Date(Date.UTC(2024, 6, 1, 12)).getHours(),
    ];
  }
`;

async function localTimeIn(zone: string) {
  // Node applies a change of TZ at once, to every Date of the host.
  process.env.TZ = zone;
  const compiled = await transpile(SOURCE);
  if (compiled.kind !== 'ok') throw new Error('did not compile');
  const sandbox = await createSandbox({ wasmModule: await compileQuickJSModule() });
  try {
    expect(sandbox.load(compiled.code)).toMatchObject({ kind: 'ok' });
    return sandbox.call('localTime');
  } finally {
    sandbox.dispose();
  }
}

describe("the guest's local time", () => {
  it('is UTC on a host in any zone', async () => {
    const utc = {
      kind: 'ok',
      value: [
        0,
        0,
        1767225600000,
        1767225600000,
        expect.stringMatching(/^Thu Jan 01 1970 00:00:00 GMT\+0000/),
        12,
      ],
    };
    // The host's own Date does move with the zone (the test would prove nothing otherwise).
    process.env.TZ = 'Asia/Kolkata';
    expect(new Date(0).getHours()).toBe(5);
    for (const zone of ['UTC', 'America/New_York', 'Asia/Kolkata', 'Australia/Lord_Howe'])
      expect(await localTimeIn(zone), zone).toEqual(utc);
  });
});
