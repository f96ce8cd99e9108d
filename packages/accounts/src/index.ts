export {
  type AuthenticateResult,
  authenticate,
  type CreateAccountResult,
  createAccount,
  endSession,
  SESSION_TTL_MS,
  type StartedSession,
  sessionUser,
  startSession,
} from './accounts.ts';
export { hashPassword, verifyPassword } from './password.ts';
export {
  type FieldProblems,
  MAX_PASSWORD_LENGTH,
  MIN_PASSWORD_LENGTH,
  ROLES,
  type Role,
  type SignUp,
  SignUpSchema,
} from './signup.ts';
export { newToken, tokenHash } from './tokens.ts';
