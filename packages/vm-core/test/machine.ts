// A small machine for tests: memory, one MMU and a page-table editor whose root
// is already loaded.
import {
  bumpFrames,
  type ControlState,
  Mmu,
  PageTableEditor,
  type PagingFormat,
  PhysicalMemory,
  type TlbConfig,
} from '../src/index.ts';

export interface TestMachine {
  memory: PhysicalMemory;
  mmu: Mmu;
  editor: PageTableEditor;
  root: number;
}

export function machine(
  format: PagingFormat,
  options: { frames?: number; tlb?: TlbConfig | null; control?: Partial<ControlState> } = {},
): TestMachine {
  const memory = new PhysicalMemory({ frames: options.frames ?? 256, pageSize: 2 ** format.pageShift });
  const editor = new PageTableEditor(memory, format, bumpFrames(memory, 1));
  const root = editor.createRoot();
  const mmu = new Mmu({
    format,
    memory,
    tlb: options.tlb === undefined ? { entries: 16, ways: 4 } : options.tlb,
    control: { root, ...options.control },
  });
  return { memory, mmu, editor, root };
}

/** Asserts a translation succeeded and returns the physical address. */
export function pa(result: unknown): number {
  if (typeof result !== 'number')
    throw new Error(`expected a translation, got fault: ${JSON.stringify(result)}`);
  return result;
}
