/**
 * The JSON Schema of the report, generated from the zod schema so the two
 * cannot disagree. `pnpm build` writes it to schema/report.schema.json, and
 * a test fails when the committed file has drifted from this output.
 */
import { z } from 'zod';
import { REPORT_SCHEMA_VERSION, ReportSchema } from './report.ts';

export const REPORT_SCHEMA_ID = `https://faultline.dev/schema/grader-report-v${REPORT_SCHEMA_VERSION}.json`;

export function reportJsonSchema(): Record<string, unknown> {
  // Refinements (score ≤ maxScore, points ≤ maxPoints, compileErrors iff compile-error)
  // have no JSON Schema form; they are stated in the descriptions and the README.
  const schema = z.toJSONSchema(ReportSchema, { target: 'draft-2020-12', io: 'output' });
  return { ...schema, $id: REPORT_SCHEMA_ID, title: 'Faultline grader report' };
}
