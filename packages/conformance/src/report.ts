/** The suite's result as the table `faultline conformance` prints, and as JSON. */
import type { ComparedStep } from './compare.ts';
import type { SuiteResult } from './suite.ts';

const VERDICT = { agree: 'agree', known: 'known', skipped: 'skipped', new: 'NEW' } as const;

export function formatConformance(result: SuiteResult, options: { readonly all?: boolean } = {}): string {
  const out: string[] = [];
  const { linux, counts } = result;
  out.push(
    `${result.arch} — ${
      linux.kind === 'live'
        ? `Linux: booted now under QEMU — ${linux.kernel}`
        : `Linux: the committed results (${linux.kernel}) — ${linux.why}`
    }`,
  );
  out.push('');
  const rows: string[][] = [['case', 'step', 'verdict', 'field', 'simulator', 'Linux', 'known difference']];
  for (const c of result.cases) {
    for (const s of c.steps) {
      if (s.verdict === 'agree') {
        if (!options.all) continue;
        const values = Object.entries(s.fields)
          .map(([k, v]) => `${k}=${v === null ? 'none' : v}`)
          .join(', ');
        rows.push([c.caseId, `${s.step} ${s.op}`, VERDICT.agree, '', values, '(same)', '']);
        for (const [k, simulator, linux] of asideRows(s))
          rows.push(['', '', 'aside', k, simulator, linux, '(shown, not compared)']);
        continue;
      }
      for (const d of s.differences)
        rows.push([
          c.caseId,
          `${s.step} ${s.op}`,
          d.known === null ? VERDICT.new : d.known.kind === 'qemu' ? VERDICT.skipped : VERDICT.known,
          d.field,
          d.simulator,
          d.linux,
          d.known?.id ?? '',
        ]);
      for (const [k, simulator, linux] of asideRows(s))
        rows.push(['', '', 'aside', k, simulator, linux, '(shown, not compared)']);
    }
  }
  if (rows.length > 1) out.push(...table(rows), '');
  out.push(
    `${counts.steps} steps compared in ${counts.cases} cases: ${counts.agree} agree, ${counts.known} known differences, ${counts.skipped} skipped (QEMU), ${counts.new} new differences`,
  );
  if (!options.all && counts.agree > 0) out.push('(--all lists the agreeing steps too, with their values)');
  for (const note of result.notes) out.push(`note: ${note}`);
  if (result.problems.length > 0) {
    out.push('', `FAILED — ${result.problems.length} problem${result.problems.length === 1 ? '' : 's'}:`);
    for (const p of result.problems) out.push(`  ${p}`);
  } else out.push('', 'ok: every difference is on the reviewed list (known-differences.yaml)');
  return `${out.join('\n')}\n`;
}

/** What the two sides reported beside a step (ObservedStep.aside), one row per field. */
function asideRows(s: ComparedStep): [string, string, string][] {
  if (s.aside === undefined) return [];
  const keys = [...new Set([...Object.keys(s.aside.simulator), ...Object.keys(s.aside.linux)])];
  const show = (v: string | number | null | undefined) =>
    v === undefined || v === null ? 'none' : String(v);
  return keys.map((k) => [k, show(s.aside!.simulator[k]), show(s.aside!.linux[k])]);
}

function table(rows: readonly string[][]): string[] {
  const widths = rows[0]!.map((_, i) => Math.min(48, Math.max(...rows.map((r) => r[i]!.length))));
  return rows.map((r) =>
    r
      .map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd(),
  );
}

/** The JSON `--json` prints: the same facts, known differences by id. */
export function conformanceJson(result: SuiteResult): unknown {
  return {
    arch: result.arch,
    linux: result.linux,
    counts: result.counts,
    problems: result.problems,
    notes: result.notes,
    cases: result.cases.map((c) => ({
      case: c.caseId,
      title: c.title,
      failure: c.failure,
      steps: c.steps.map((s) => ({
        step: s.step,
        op: s.op,
        verdict: s.verdict,
        linux: s.fields,
        ...(s.aside !== undefined ? { aside: s.aside } : {}),
        differences: s.differences.map((d) => ({ ...d, known: d.known?.id ?? null })),
      })),
    })),
  };
}
