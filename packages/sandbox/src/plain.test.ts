import { describe, expect, it } from 'vitest';
import { decodePlain, encodePlain } from './plain.ts';

const site = { context: 'the value', name: 'v' };

describe('plain values', () => {
  it('round-trips plain data, special numbers included', () => {
    const value = {
      a: [1, 'x', null, true, { b: Number.NaN }],
      c: Number.NEGATIVE_INFINITY,
      'odd key': Number.POSITIVE_INFINITY,
    };
    const encoded = encodePlain(value, site);
    expect(encoded.kind).toBe('ok');
    if (encoded.kind === 'ok') expect(decodePlain(encoded.payload)).toEqual({ kind: 'ok', value });
  });

  it('round-trips bigints exactly, the 64-bit addresses a number cannot hold included', () => {
    const value = { address: 0xffff_8880_0000_1234n, far: [2n ** 64n - 1n, -(2n ** 63n)], n: 1 };
    const encoded = encodePlain(value, site);
    expect(encoded.kind).toBe('ok');
    if (encoded.kind === 'ok') expect(decodePlain(encoded.payload)).toEqual({ kind: 'ok', value });
    expect(encodePlain({ x: 10n ** 40n }, site)).toMatchObject({
      kind: 'err',
      message: expect.stringMatching(
        /^the value: v\.x is a bigint too large to cross \(more than 40 digits\)/,
      ),
    });
  });

  it('refuses a bigint special that does not hold decimal digits', () => {
    expect(decodePlain('[["12"],[[[0],"bigint"]]]')).toEqual({ kind: 'ok', value: [12n] });
    for (const bad of [
      '[[12],[[[0],"bigint"]]]',
      '[["0x10"],[[[0],"bigint"]]]',
      '[["1e3"],[[[0],"bigint"]]]',
      `[["${'9'.repeat(41)}"],[[[0],"bigint"]]]`,
      '[[null],[[[0],"bigint"]]]',
    ])
      expect(decodePlain(bad)).toMatchObject({ kind: 'err', message: expect.stringMatching(/bad special/) });
    // A NaN special where the value is not null: malformed too.
    expect(decodePlain('[["x"],[[[0],"NaN"]]]').kind).toBe('err');
  });

  it('names where a non-plain value was found', () => {
    expect(encodePlain({ a: [0, () => 1] }, site)).toMatchObject({
      kind: 'err',
      message: expect.stringMatching(/^the value: v\.a\[1\] is a function/),
    });
    expect(encodePlain({ 'odd key': new Map() }, site)).toMatchObject({
      message: expect.stringMatching(/v\["odd key"\] is an instance of Map/),
    });
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(encodePlain(cyclic, site)).toMatchObject({
      message: expect.stringMatching(/v\.self is a cyclic reference/),
    });
  });

  it('refuses malformed or oversized payloads from the guest', () => {
    expect(decodePlain(42).kind).toBe('err');
    expect(decodePlain('{').kind).toBe('err');
    expect(decodePlain('[1]').kind).toBe('err');
    expect(decodePlain('[[1],[[[5],"NaN"]]]')).toMatchObject({
      kind: 'err',
      message: expect.stringMatching(/path/),
    });
    expect(decodePlain('[{"__proto__":1},[[["__proto__","x"],"NaN"]]]').kind).toBe('err');
    const deep = `${'['.repeat(100)}${']'.repeat(100)}`;
    expect(decodePlain(`[${deep},[]]`)).toMatchObject({
      kind: 'err',
      message: expect.stringMatching(/nested/),
    });
    expect(
      decodePlain('[1,[]]', { maxDepth: 4, maxNodes: 4, maxStringLength: 4, maxPayloadLength: 3 }).kind,
    ).toBe('err');
  });
});
