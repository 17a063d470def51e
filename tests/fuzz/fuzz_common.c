/* fuzz_common.c - temporary files and checks shared by the fuzz harnesses
 * (fuzz_harness.h). */
#include "fuzz_harness.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gradtap/status.h"

int fuzz_temp_file(const void *data, size_t size, char *path, size_t capacity)
{
    const char *dir = getenv("TMPDIR");
    if (dir == NULL || dir[0] == '\0') dir = "/tmp";
    if ((size_t)snprintf(path, capacity, "%s/gtap-fuzz-%s-XXXXXX", dir, fuzz_harness_name) >= capacity) {
        path[0] = '\0';
        return -1;
    }
    int fd = mkstemp(path);
    if (fd < 0) {
        path[0] = '\0';
        return -1;
    }
    const unsigned char *cursor = data;
    size_t left = size;
    while (left > 0) {
        ssize_t wrote = write(fd, cursor, left);
        if (wrote < 0 && errno == EINTR) continue;
        if (wrote <= 0) break;
        cursor += wrote;
        left -= (size_t)wrote;
    }
    if (close(fd) != 0 || left > 0) {
        fuzz_temp_remove(path);
        return -1;
    }
    return 0;
}

void fuzz_temp_remove(char *path)
{
    if (path == NULL || path[0] == '\0') return;
    unlink(path);
    path[0] = '\0';
}

void fuzz_fail(const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    fprintf(stderr, "fuzz %s: ", fuzz_harness_name);
    vfprintf(stderr, fmt, args);
    fputc('\n', stderr);
    va_end(args);
    fflush(stderr);
    abort();
}

int fuzz_check_status(int status, const char *call, size_t input_size)
{
    if (status > 0 || status < GTAP_EBUSY)
        fuzz_fail("%s returned %d, not a gtap_status", call, status);
    if (status == GTAP_OK) return status;
    const char *message = gtap_last_error();
    if (message == NULL || message[0] == '\0')
        fuzz_fail("%s failed with %d (%s) but left no message", call, status, gtap_strerror(status));
    if (status == GTAP_EINTERNAL)
        fuzz_fail("%s: internal error on a %zu-byte input: %s", call, input_size, message);
    if (status == GTAP_ENOMEM && input_size < ((size_t)1 << 20))
        fuzz_fail("%s: out of memory on a %zu-byte input: %s", call, input_size, message);
    return status;
}
