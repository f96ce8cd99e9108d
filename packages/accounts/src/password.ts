/**
 * Passwords, hashed with Argon2id (memory-hard, RFC 9106) at OWASP's
 * minimum parameters: 19 MiB of memory, 2 passes, 1 lane. The encoded hash
 * carries its own parameters and salt, so raising them later still verifies
 * the hashes stored before.
 */
import { hash, verify } from '@node-rs/argon2';

/** The package's `Algorithm.Argon2id`, a const enum that isolated modules cannot read. */
const ARGON2ID = 2;
const PARAMETERS = { algorithm: ARGON2ID, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export function hashPassword(password: string): Promise<string> {
  return hash(password, PARAMETERS);
}

/** False for a wrong password and for a stored hash that is not one (never throws on bad input). */
export async function verifyPassword(encoded: string, password: string): Promise<boolean> {
  try {
    return await verify(encoded, password);
  } catch {
    return false;
  }
}

/**
 * A hash of no one's password, verified against when an email is unknown so
 * that a sign-in takes as long for an unknown email as for a wrong password
 * (the timing would otherwise tell which emails have accounts).
 */
let decoy: Promise<string> | undefined;
export function decoyHash(): Promise<string> {
  decoy ??= hashPassword('not anyone’s password');
  return decoy;
}
