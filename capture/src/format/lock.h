/* lock.h - the writer lock of a snapshot file (docs/FORMAT.md, "Writer
 * lock"): an exclusive flock(2) on the sidecar file PATH.lock, held from
 * the moment a writer opens PATH until it closed it. The lock file holds
 * the writer's pid as text, for messages only. The kernel drops a flock
 * when the last descriptor of its open file goes away, so the lock of a
 * killed writer is free at once; a lock file left behind by a crash is
 * taken over by the next writer. flock (not fcntl) locks belong to an open
 * file, so two writers in one process exclude each other too.
 *
 * Private to gradtap_capture: the snapshot writer (writer.c) and
 * gtap_capture_recover (capture/recover.c) use it. */
#ifndef GRADTAP_LOCK_H
#define GRADTAP_LOCK_H

/* Take the lock of the snapshot file `path` (creating PATH.lock) without
 * waiting. *fd receives the descriptor that holds it.
 * @return GTAP_OK; GTAP_EBUSY when another writer (this process or
 * another) holds it, message naming its pid; GTAP_EIO when PATH.lock
 * cannot be created or locked. */
int gtap_lock_acquire(const char *path, int *fd);

/* Release a lock taken by gtap_lock_acquire: removes PATH.lock (while still
 * holding it) and closes `fd`. fd < 0 is ignored. */
void gtap_lock_release(const char *path, int fd);

#endif
