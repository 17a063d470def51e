/* lock.c - the writer lock of a snapshot file (lock.h, docs/FORMAT.md
 * "Writer lock"). */
#define _DEFAULT_SOURCE /* flock(2) */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gradtap/status.h"
#include "lock.h"

static char *lock_path_of(const char *path)
{
    size_t length = strlen(path);
    char *lock_path = malloc(length + sizeof ".lock");
    if (lock_path) {
        memcpy(lock_path, path, length);
        memcpy(lock_path + length, ".lock", sizeof ".lock");
    }
    return lock_path;
}

/* The pid the holder wrote into the lock file (0 when unreadable). */
static long holder_pid(int fd)
{
    char text[32] = "";
    ssize_t got = pread(fd, text, sizeof text - 1, 0);
    if (got <= 0) return 0;
    text[got] = '\0';
    return strtol(text, NULL, 10);
}

/* Whether `fd` still is the file named `lock_path`: a holder removes the
 * lock file when it releases it, so a descriptor locked after that names
 * a file nobody else will lock. */
static int still_linked(int fd, const char *lock_path)
{
    struct stat opened, named;
    if (fstat(fd, &opened) != 0 || stat(lock_path, &named) != 0) return 0;
    return opened.st_ino == named.st_ino && opened.st_dev == named.st_dev;
}

static int write_pid(int fd)
{
    char text[32];
    int length = snprintf(text, sizeof text, "%ld\n", (long)getpid());
    if (ftruncate(fd, 0) != 0 || pwrite(fd, text, (size_t)length, 0) != length) return -1;
    return 0;
}

int gtap_lock_acquire(const char *path, int *fd_out)
{
    *fd_out = -1;
    char *lock_path = lock_path_of(path);
    if (lock_path == NULL) return gtap_set_error(GTAP_ENOMEM, "%s: out of memory", path);
    int rc = gtap_set_error(GTAP_EIO, "%s: %s keeps being replaced; cannot lock it", path, lock_path);
    for (int attempt = 0; attempt < 16; attempt++) {
        int fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0) {
            rc = gtap_set_error(GTAP_EIO, "%s: cannot create the lock file %s: %s", path, lock_path, strerror(errno));
            break;
        }
        if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
            int error = errno;
            long pid = holder_pid(fd);
            close(fd);
            if (error == EWOULDBLOCK)
                rc = gtap_set_error(GTAP_EBUSY, "%s: the file is being written by another process (pid %ld holds %s)",
                                    path, pid, lock_path);
            else
                rc = gtap_set_error(GTAP_EIO, "%s: cannot lock %s: %s", path, lock_path, strerror(error));
            break;
        }
        if (!still_linked(fd, lock_path)) { /* its holder removed it meanwhile: take the new one */
            close(fd);
            continue;
        }
        if (write_pid(fd) != 0) {
            rc = gtap_set_error(GTAP_EIO, "%s: cannot write %s: %s", path, lock_path, strerror(errno));
            unlink(lock_path);
            close(fd);
            break;
        }
        *fd_out = fd;
        rc = GTAP_OK;
        break;
    }
    free(lock_path);
    return rc;
}

void gtap_lock_release(const char *path, int fd)
{
    if (fd < 0) return;
    char *lock_path = lock_path_of(path);
    if (lock_path && still_linked(fd, lock_path)) unlink(lock_path);
    free(lock_path);
    close(fd);
}
