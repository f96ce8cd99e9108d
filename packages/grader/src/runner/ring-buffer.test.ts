import { describe, expect, test } from 'vitest';
import { RingBuffer } from './ring-buffer.ts';

describe('RingBuffer', () => {
  test('below capacity it holds everything, oldest first', () => {
    const ring = new RingBuffer<number>(4);
    for (const n of [1, 2, 3]) ring.push(n);
    expect(ring.toArray()).toEqual([1, 2, 3]);
    expect(ring.dropped).toBe(0);
    expect(ring.length).toBe(3);
  });

  test('past capacity it keeps the most recent items and counts the overwritten ones', () => {
    const ring = new RingBuffer<number>(3);
    for (let n = 1; n <= 10; n++) ring.push(n);
    expect(ring.toArray()).toEqual([8, 9, 10]);
    expect(ring.dropped).toBe(7);
    expect(ring.length).toBe(3);
  });

  test('keeps what an array trimmed with shift() keeps, at every length', () => {
    for (const capacity of [1, 2, 5]) {
      const ring = new RingBuffer<number>(capacity);
      const array: number[] = [];
      for (let n = 0; n < 17; n++) {
        ring.push(n);
        array.push(n);
        if (array.length > capacity) array.shift();
        expect(ring.toArray()).toEqual(array);
        expect(ring.dropped).toBe(n + 1 - array.length);
      }
    }
  });

  test('toArray is a copy', () => {
    const ring = new RingBuffer<number>(2);
    ring.push(1);
    ring.toArray().push(99);
    expect(ring.toArray()).toEqual([1]);
  });

  test('a ring holds at least one item', () => {
    expect(() => new RingBuffer(0)).toThrow(RangeError);
    expect(() => new RingBuffer(1.5)).toThrow(RangeError);
  });
});
