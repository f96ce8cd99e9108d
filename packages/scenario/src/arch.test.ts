// One scenario file on several architectures: which ones it is written for,
// the kernel addresses it can name on each, and reports in each one's terms.
import { addressWidth, architectures, formatAddress, KERNEL_ARCHES } from '@faultline/vm-core';
import { describe, expect, test } from 'vitest';
import { ScenarioError } from './errors.ts';
import { formatScenarioReport } from './format.ts';
import { parseScenarioText } from './parse.ts';
import { runScenario } from './run.ts';
import { archsOf, onArch } from './schema.ts';

const parse = (yaml: string) => parseScenarioText(yaml, 'yaml');

function message(body: () => unknown): string {
  try {
    body();
  } catch (error) {
    if (error instanceof ScenarioError) return error.message;
    throw error;
  }
  throw new Error('no error');
}

describe('archs: where a scenario applies', () => {
  test('without archs, only its arch; with them, the first unless arch names another of them', () => {
    expect(archsOf(parse('steps:\n  - spawn: { name: a }\n'))).toEqual(['x86-64']);
    const both = parse('archs: [x86-32, x86-64]\nsteps:\n  - spawn: { name: a }\n');
    expect(both.arch).toBe('x86-32');
    expect(archsOf(both)).toEqual(['x86-32', 'x86-64']);
    expect(parse('arch: x86-64\narchs: [x86-32, x86-64]\nsteps:\n  - spawn: { name: a }\n').arch).toBe(
      'x86-64',
    );
  });

  test('an arch outside its archs, a repeated or unknown one, are errors naming the field', () => {
    expect(message(() => parse('arch: x86-64\narchs: [x86-32]\nsteps:\n  - spawn: { name: a }\n'))).toContain(
      `field "arch": x86-64 is not one of the scenario's archs (x86-32)`,
    );
    expect(message(() => parse('archs: [x86-32, x86-32]\nsteps:\n  - spawn: { name: a }\n'))).toContain(
      'lists an architecture twice',
    );
    expect(message(() => parse('archs: [sparc]\nsteps:\n  - spawn: { name: a }\n'))).toContain('archs');
  });

  test('onArch moves a scenario to another machine it applies to, and refuses the rest', () => {
    const both = parse('archs: [x86-64, x86-32]\nsteps:\n  - spawn: { name: a }\n');
    expect(runScenario(onArch(both, 'x86-32')).arch).toBe('x86-32');
    const one = parse('steps:\n  - spawn: { name: a }\n');
    expect(message(() => onArch(one, 'x86-32'))).toBe(
      'this scenario is written for x86-64 only, not x86-32 (its "archs" field lists where its concept applies)',
    );
  });
});

describe('built-in labels name each machine’s areas', () => {
  // sanitize_error_code (x86: PROT set, 0x4 → 0x5) and set_thread_esr
  // (ARM64: a level-0 translation fault, DABT from EL0 with IL); RISC-V's
  // frame says nothing.
  const frameOfKernelRead: Record<string, Record<string, unknown>> = {
    'x86-64': { trapNo: 14, errorCode: '0x5' },
    'x86-32': { trapNo: 14, errorCode: '0x5' },
    arm64: { esr: '0x92000004' },
    'riscv-sv39': {},
  };
  test.each(KERNEL_ARCHES)(
    'on %s, page_offset is the direct map and task_size the top of user space',
    (arch) => {
      const layout = architectures[arch].layout;
      const hex = (va: number) => formatAddress(va, addressWidth(layout.format));
      const r = runScenario(
        parse(`arch: ${arch}
steps:
  - spawn: { name: a }
  - read: { task: a, addr: page_offset+0x1000 }
  - spawn: { name: b }
  - mmap: { task: b, length: 4096, prot: rw-, addr: task_size-0x100000, flags: [fixed] }
`),
      );
      // A user read of the kernel half: SIGSEGV at the address it touched.
      expect(r.steps[1]!.outcome).toEqual({
        signal: 'SIGSEGV',
        code: 'SEGV_MAPERR',
        address: hex(layout.directMapStart + 0x1000),
        // What the signal frame says: Linux hides that the kernel maps the page.
        ...frameOfKernelRead[arch],
      });
      expect(r.steps[3]!.outcome).toEqual({ address: hex(layout.userEnd - 0x100000) });
    },
  );

  test('a label the file defines wins over a built-in one', () => {
    const r = runScenario(
      parse(`steps:
  - spawn: { name: a }
  - mmap: { task: a, length: 4096, prot: rw-, as: page_offset }
  - write: { task: a, addr: page_offset, value: 7 }
`),
    );
    expect(r.steps[2]!.outcome).toEqual({ value: 7 });
  });
});

describe('reports speak the architecture’s terms', () => {
  test('x86: CR3, stac/clac, error code', () => {
    const r = runScenario(
      parse(`cpus: 1
steps:
  - spawn: { name: a }
  - spawn: { name: b }
  - switch: { task: b, cpu: 0 }
  - mmap: { task: b, length: 4096, prot: rw-, as: buf }
  - kernel_access: { task: b, addr: buf, access: read, uaccess: true }
`),
    );
    const text = formatScenarioReport(r);
    expect(text).toContain('CR3 switched');
    expect(text).toContain('(inside stac/clac)');
    expect(text).toContain('error code 0x');
  });

  test('addresses are as wide as the machine: 32 bits on x86-32, as its faults and oopses print them', () => {
    const yaml = (arch: string) => `arch: ${arch}
steps:
  - spawn: { name: a }
  - mmap: { task: a, length: 4096, prot: r--, addr: 0x50000000, flags: [fixed], as: buf }
  - write: { task: a, addr: buf+0x10, value: 1 }
  - kmalloc: { bytes: 16 }
`;
    const narrow = runScenario(parse(yaml('x86-32')));
    expect(narrow.steps[1]!.summary).toBe('mmap 4096 bytes r-- as buf → 0x50000000');
    expect(narrow.steps[2]!.summary).toBe(
      'a: write 0x50000010 = 1 → SIGSEGV (SEGV_ACCERR) at 0x50000010; the process is killed',
    );
    expect(narrow.steps[2]!.outcome).toMatchObject({ address: '0x50000010' });
    expect(narrow.steps[2]!.faults[0]!.address).toBe('0x50000010');
    expect(narrow.steps[3]!.summary).toMatch(/^kmalloc 16 → 0x[0-9a-f]{8}$/);
    const wide = runScenario(parse(yaml('x86-64')));
    expect(wide.steps[1]!.summary).toBe('mmap 4096 bytes r-- as buf → 0x0000000050000000');
    expect(wide.steps[3]!.summary).toMatch(/^kmalloc 16 → 0xffff[0-9a-f]{12}$/);
  });
});

describe('machine fields of some architectures: pan, uao, access_flags', () => {
  const steps = `steps:
  - spawn: { name: a }
  - mmap: { task: a, length: 4096, prot: rw-, as: buf }
  - write: { task: a, addr: buf, value: 1 }
  - kernel_access: { task: a, addr: buf, access: read, uaccess: true }
  - fork: { task: a, name: child }
  - read: { task: child, addr: buf }
`;
  const run = (header: string) => runScenario(parse(`${header}\n${steps}`));

  test('each reaches the kernel: the window a user copy opens, who sets the accessed bit', () => {
    // A plain load inside the window: PAN cleared (5.10), TTBR0 switched (SW PAN), or nothing opened (6.1).
    expect(run('arch: arm64\nlinux: "5.10"').steps[3]!.outcome).toEqual({ value: 1 });
    expect(run('arch: arm64\npan: software').steps[3]!.outcome).toEqual({ value: 1 });
    expect(run('arch: arm64').steps[3]!.outcome).toHaveProperty('oops');
    expect(run('arch: arm64\nlinux: "5.10"\nuao: true').steps[3]!.outcome).toHaveProperty('oops');
    // The child's old PTE: an access flag fault only where the kernel keeps the flag.
    const childRead = (header: string) => run(header).steps[5]!.faults.map((f) => f.resolution);
    expect(childRead('arch: arm64\nlinux: "5.10"\naccess_flags: software')).toEqual(['access-flags']);
    expect(childRead('arch: arm64\nlinux: "5.10"')).toEqual([]);
    expect(childRead('arch: riscv-sv39')).toEqual(['access-flags']);
    expect(childRead('arch: riscv-sv39\naccess_flags: hardware')).toEqual([]);
  });

  test('a value the field cannot take is an error naming the field and the value', () => {
    expect(message(() => parse(`arch: arm64\npan: sometimes\n${steps}`))).toBe(
      'field "pan": pan is "hardware" (PSTATE.PAN) or "software" (SW PAN: the reserved TTBR0 outside uaccess), not "sometimes"',
    );
    expect(message(() => parse(`arch: arm64\nuao: yes please\n${steps}`))).toBe(
      'field "uao": uao is true or false, not "yes please"',
    );
    expect(message(() => parse(`arch: riscv-sv39\naccess_flags: svade\n${steps}`))).toBe(
      'field "access_flags": access_flags is "hardware" (the MMU sets accessed/dirty) or "software" (it faults and the kernel sets them), not "svade"',
    );
  });

  test('on an architecture without the feature, or in a combination the kernel refuses, the run does not start', () => {
    expect(message(() => run('arch: x86-64\npan: software'))).toBe(
      'field "pan": pan: software is an ARM64 option (how the CPU keeps the kernel out of user memory); x86-64 has nothing it could set',
    );
    expect(message(() => run('arch: riscv-sv39\nuao: false'))).toContain(
      'field "uao": uao: false is an ARM64 option',
    );
    expect(message(() => run('arch: x86-32\naccess_flags: software'))).toBe(
      'field "access_flags": x86-32 keeps accessed and dirty bits in hardware only (the MMU sets them as it walks); access_flags: software is an option on arm64 and riscv-sv39',
    );
    // x86's own setting is no error.
    expect(run('arch: x86-64\naccess_flags: hardware').stopped).toBeNull();
    // A file for several architectures fails on the one that cannot take the field.
    const both = parse(`archs: [arm64, x86-64]\npan: software\n${steps}`);
    expect(runScenario(onArch(both, 'arm64')).stopped).toBeNull();
    expect(message(() => runScenario(onArch(both, 'x86-64')))).toContain('field "pan"');
    // The kernel's own checks: UAO has no effect since 5.11; an ARMv8.0 CPU without PAN has no UAO.
    expect(message(() => run('arch: arm64\nuao: true'))).toContain(
      'the machine: arm64: uao: true changes nothing in Linux 6.1',
    );
    expect(message(() => run('arch: arm64\nlinux: "5.10"\npan: software\nuao: true'))).toContain(
      'has no UAO either',
    );
  });
});
