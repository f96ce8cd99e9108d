import { describe, expect, test } from 'vitest';
import { PhysicalMemory } from './physical-memory.ts';

describe('PhysicalMemory: loading an image', () => {
  test('load copies the bytes at `at` and leaves the rest as it was', () => {
    const memory = new PhysicalMemory({ frames: 4, pageSize: 32 });
    memory.bytes.fill(0xee);
    memory.load(Uint8Array.of(1, 2, 3), { at: 40 });
    expect([...memory.bytes.slice(38, 45)]).toEqual([0xee, 0xee, 1, 2, 3, 0xee, 0xee]);
    memory.load(Uint8Array.of(9));
    expect(memory.read8(0)).toBe(9);
  });

  test('any bytes will do: an ArrayBuffer, a Buffer, a wider typed array (little-endian), a view of part of one', () => {
    const memory = new PhysicalMemory({ frames: 1, pageSize: 64 });
    memory.load(Uint8Array.of(7, 8).buffer, { at: 0 });
    memory.load(Buffer.from('hi'), { at: 2 });
    memory.load(Uint32Array.of(0x1122_3344), { at: 4 });
    memory.load(new Uint8Array([0, 0, 0xab, 0xcd, 0]).subarray(2, 4), { at: 8 });
    expect([...memory.bytes.slice(0, 10)]).toEqual([7, 8, 0x68, 0x69, 0x44, 0x33, 0x22, 0x11, 0xab, 0xcd]);
    expect(memory.read32(4)).toBe(0x1122_3344);
  });

  test('an image that does not fit, a bad address or something that is not bytes is refused, and nothing is written', () => {
    const memory = new PhysicalMemory({ frames: 2, pageSize: 32 });
    expect(() => memory.load(new Uint8Array(10), { at: 60 })).toThrow(
      'load: an image of 10 bytes at 0x3c ends at 0x46, past installed memory (64 bytes: 2 frames of 32)',
    );
    expect(() => memory.load(new Uint8Array(65))).toThrow(RangeError);
    expect(() => memory.load(new Uint8Array(1), { at: -1 })).toThrow(/at must be a non-negative integer/);
    expect(() => memory.load(new Uint8Array(1), { at: 1.5 })).toThrow(RangeError);
    expect(() => memory.load([1, 2, 3] as unknown as Uint8Array)).toThrow(TypeError);
    expect(() => memory.load('0102' as unknown as Uint8Array)).toThrow(/a memory image must be bytes/);
    expect(memory.bytes.every((b) => b === 0)).toBe(true);
  });

  test('fromImage sizes memory to the image, in whole frames, or to the frames asked for', () => {
    const image = Uint8Array.from({ length: 70 }, (_, i) => i);
    const fitted = PhysicalMemory.fromImage(image, { pageSize: 32 });
    expect(fitted.frameCount).toBe(3);
    expect([...fitted.bytes.slice(0, 70)]).toEqual([...image]);
    expect(fitted.read8(70)).toBe(0);

    const placed = PhysicalMemory.fromImage(image, { pageSize: 32, at: 64, frames: 8 });
    expect(placed.frameCount).toBe(8);
    expect(placed.read8(64 + 69)).toBe(69);
    expect(PhysicalMemory.fromImage(new Uint8Array(0), { pageSize: 32 }).frameCount).toBe(1);
    expect(() => PhysicalMemory.fromImage(image, { pageSize: 32, frames: 2 })).toThrow(
      /past installed memory/,
    );
  });
});
