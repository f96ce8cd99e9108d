/**
 * Credentials, as far as memory management asks about them: a task's uid,
 * and whether it holds CAP_SYS_RAWIO (mmap_min_addr binds only tasks
 * without it). Root holds every capability; nobody else holds any — no
 * capability sets, user namespaces or LSMs are modelled.
 *
 * Follows kernel/cred.c (credentials copied at fork) and
 * security/commoncap.c (cap_capable, cap_mmap_addr).
 */
import type { Task } from './types.ts';

/** The superuser: every capability (CAP_SYS_RAWIO among them), which is all credentials model here. */
export const ROOT_UID = 0;
/** Who a spawned process runs as unless told otherwise: an ordinary user, as a learner's program does. */
export const USER_UID = 1000;

/** capable(CAP_SYS_RAWIO) for `task`. */
export function hasRawIo(task: Task): boolean {
  return task.uid === ROOT_UID;
}
