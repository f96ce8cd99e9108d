/** Pages only staff (instructors, authors) may open: anyone else gets a plain "not found", as for a page that is not there. */
import type { User } from '@faultline/db';
import { notFound } from 'next/navigation';
import { requireUser } from './session.ts';
import { isStaff } from './visible-report.ts';

export async function requireStaff(path: string): Promise<User> {
  const user = await requireUser(path);
  if (!isStaff(user)) notFound();
  return user;
}
