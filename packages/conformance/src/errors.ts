/** A case file, a recorded result or a probe output that cannot be used as it is; the message says why. */
export class CaseError extends Error {
  override readonly name = 'CaseError';
}
