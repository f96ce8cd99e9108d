import { describe, expect, test } from 'vitest';
import { CSRF_HEADER, crossSiteRefusal, readBytes, readJson } from './http.ts';

const post = (headers: Record<string, string>, body = '{}') =>
  new Request('http://localhost:3000/api/x', { method: 'POST', headers, body });

describe('crossSiteRefusal', () => {
  test('our own pages’ requests pass', () => {
    expect(
      crossSiteRefusal(post({ [CSRF_HEADER]: '1', host: 'localhost:3000', origin: 'http://localhost:3000' })),
    ).toBeNull();
    expect(crossSiteRefusal(post({ [CSRF_HEADER]: '1', host: 'localhost:3000' }))).toBeNull();
  });
  test('a form from another site (no header) and a script from another origin are refused', () => {
    expect(crossSiteRefusal(post({ host: 'localhost:3000' }))).toMatch(/header is missing/);
    expect(
      crossSiteRefusal(post({ [CSRF_HEADER]: '1', host: 'localhost:3000', origin: 'https://evil.example' })),
    ).toBe('This request came from another site.');
    expect(crossSiteRefusal(post({ [CSRF_HEADER]: '1', host: 'localhost:3000', origin: 'null' }))).toBe(
      'This request came from another site.',
    );
  });
});

describe('bodies', () => {
  test('a body over the limit is a 413 whatever Content-Length says', async () => {
    const big = post({ 'content-type': 'application/json' }, JSON.stringify({ code: 'x'.repeat(5000) }));
    await expect(readJson(big, 1024, 'Your code')).rejects.toMatchObject({
      status: 413,
      message: 'Your code is too large: at most 1 KiB is accepted.',
    });
    await expect(readBytes(post({ 'content-length': '99999' }), 1024)).rejects.toMatchObject({ status: 413 });
  });
  test('JSON that is not, and a body of another type, are 400 and 415', async () => {
    await expect(readJson(post({ 'content-type': 'application/json' }, '{nope'), 1024)).rejects.toMatchObject(
      { status: 400 },
    );
    await expect(readJson(post({ 'content-type': 'text/plain' }), 1024)).rejects.toMatchObject({
      status: 415,
    });
  });
});
