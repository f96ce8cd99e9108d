/**
 * What a new account must give: checked once here for the web app's sign-up
 * form and for `faultline user add`, each problem named by its field.
 */
import { USER_ROLES, type User } from '@faultline/db';
import { z } from 'zod';

/** The roles the database knows (an author is an instructor who may also upload exercises). */
export const ROLES = USER_ROLES;
export type Role = User['role'];

export const MIN_PASSWORD_LENGTH = 10;
/** Argon2 takes any length; a cap keeps a megabyte "password" from being hashed. */
export const MAX_PASSWORD_LENGTH = 256;

export const SignUpSchema = z.object({
  email: z
    .string()
    .trim()
    .toLowerCase()
    .max(254, 'must be at most 254 characters')
    .pipe(z.email('must be an email address, like ada@example.org')),
  password: z
    .string()
    .min(MIN_PASSWORD_LENGTH, `must be at least ${MIN_PASSWORD_LENGTH} characters`)
    .max(MAX_PASSWORD_LENGTH, `must be at most ${MAX_PASSWORD_LENGTH} characters`),
  displayName: z
    .string()
    .trim()
    .min(1, 'must not be empty')
    .max(80, 'must be at most 80 characters')
    // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
    .refine((name) => !/[\u0000-\u001f\u007f]/.test(name), 'must not hold control characters'),
});
export type SignUp = z.infer<typeof SignUpSchema>;

export type FieldProblems = Readonly<Partial<Record<keyof SignUp | 'form', string>>>;

export function signUpProblems(error: z.ZodError): FieldProblems {
  const problems: Partial<Record<keyof SignUp | 'form', string>> = {};
  for (const issue of error.issues) {
    const field = issue.path[0];
    const key = field === 'email' || field === 'password' || field === 'displayName' ? field : 'form';
    problems[key] ??= issue.message;
  }
  return problems;
}
