/**
 * A scenario report as text for a terminal: one numbered line per step, its
 * faults beneath it (long runs summarised unless tracing), oops reports,
 * what the scenario watches, and at the end the invariants and the run's cost.
 */
import { architectures } from '@faultline/vm-core';
import { COUNTER_NAMES, countText } from './counters.ts';
import type { ScenarioReport, StepReport, WatchedPage } from './run.ts';

export function formatScenarioReport(report: ScenarioReport, options: { trace?: boolean } = {}): string {
  const trace = options.trace === true;
  // The fault's raw syndrome under the name the architecture gives it (error code, ESR, scause).
  const syndrome = architectures[report.arch].terms.syndrome;
  const lines: string[] = [];
  if (report.title !== null) lines.push(`${report.title} (${report.arch})`, '');
  for (const step of report.steps) {
    const cpu = step.cpu === null ? '' : `[cpu ${step.cpu}] `;
    lines.push(`${String(step.index).padStart(3)}. ${cpu}${step.summary}`);
    lines.push(...faultLines(step, trace, syndrome));
    const oops = step.outcome.oops;
    if (typeof oops === 'string') for (const l of oops.split('\n')) lines.push(`       | ${l}`);
    if (step.watch !== undefined) lines.push(`       watch: ${watchText(step.watch)}`);
    if (trace && step.events !== undefined) {
      for (const e of step.events) lines.push(`       · ${JSON.stringify(e)}`);
    }
  }
  const stopped = report.stopped;
  if (stopped !== null) {
    lines.push(
      `${String(stopped.index).padStart(3)}. ${stopped.step}: the kernel stopped the run: ${stopped.reason}`,
    );
    if (stopped.notRun > 0)
      lines.push(`       (${stopped.notRun} later step${stopped.notRun === 1 ? '' : 's'} did not run)`);
  }
  lines.push('');
  lines.push(
    report.invariants.length === 0
      ? 'invariants: all hold'
      : `invariants VIOLATED:\n  ${report.invariants.join('\n  ')}`,
  );
  const cost = COUNTER_NAMES.filter((name) => report.counters[name] > 0).map((name) =>
    countText(name, report.counters[name]),
  );
  lines.push(`cost: ${cost.length === 0 ? 'nothing counted' : cost.join(', ')}`);
  return `${lines.join('\n')}\n`;
}

function faultLines(step: StepReport, trace: boolean, syndrome: string): string[] {
  const faultLine = (f: (typeof step.faults)[number]) =>
    `       fault at ${f.address}, ${syndrome} 0x${f.errorCode.toString(16)} → ${f.resolution}`;
  if (step.faults.length <= 6 || trace) return step.faults.map(faultLine);
  // Long runs of faults (a touch of many pages) are summarised.
  const counts = new Map<string, number>();
  for (const f of step.faults) counts.set(f.resolution, (counts.get(f.resolution) ?? 0) + 1);
  return [
    faultLine(step.faults[0]!),
    `       … ${step.faults.length - 2} more faults (${[...counts].map(([r, n]) => `${n} ${r}`).join(', ')} in all)`,
    faultLine(step.faults.at(-1)!),
  ];
}

function watchText(watch: NonNullable<StepReport['watch']>): string {
  const parts: string[] = [];
  if (watch.freeFrames !== undefined) parts.push(`${watch.freeFrames} frames free`);
  for (const page of watch.pages ?? []) parts.push(`${page.task} ${page.addr}: ${pageText(page)}`);
  if (watch.tasks !== undefined) {
    const tasks = watch.tasks.map(
      (t) =>
        `${t.name} (pid ${t.pid}, parent ${t.parent}) ${t.state === 'zombie' ? `zombie, ${t.status}` : 'running'}`,
    );
    parts.push(`tasks: ${tasks.length === 0 ? 'none' : tasks.join(', ')}`);
  }
  return parts.join(' · ');
}

function pageText(page: WatchedPage): string {
  switch (page.pte) {
    case 'present':
      return `pfn ${page.pfn}${page.huge === true ? ' (of a 2 MiB huge page)' : ''}, refcount ${page.refcount}, mapcount ${page.mapcount}`;
    case 'swap':
      return `in swap (slot ${page.slot})`;
    case 'none':
      return 'no PTE';
    case 'unknown':
      return `(${page.why})`;
  }
}
