import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { reportJsonSchema } from '../src/json-schema.ts';

it('the committed schema/report.schema.json matches the zod schema (run `pnpm build` if not)', () => {
  const committed: unknown = JSON.parse(
    readFileSync(new URL('../schema/report.schema.json', import.meta.url), 'utf8'),
  );
  // Compared as data, not bytes: the file is Biome-formatted.
  expect(committed).toEqual(reportJsonSchema());
});
