/** What a command gets from whoever runs it: where to write (tests capture it), and host services. */
export interface Io {
  readonly out: { write(text: string): unknown };
  readonly err: { write(text: string): unknown };
}

/** Exit codes: 0 success, 1 the thing asked about is wrong, 2 could not run. */
export const ExitCode = { Ok: 0, Failed: 1, Usage: 2 } as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];
