/* recover.c - gtap_capture_recover(): after a SWMR writer was killed, the
 * file's superblock still says "open for writing", so ordinary HDF5 readers
 * (h5py without swmr=True) refuse it. Clearing those status flags - what
 * HDF5's h5clear -s does, through the file-access property HDF5 provides for
 * it - makes it an ordinary file again. The committed snapshots are already
 * consistent on disk (commit logs are written only after the rows they
 * commit were flushed: format/commit.h), so nothing else changes; rows a
 * kill left uncommitted stay, and readers skip them (docs/FORMAT.md). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <hdf5.h>

#include "gradtap/capture.h"
#include "format/h5util.h"
#include "format/lock.h"

/* The name of HDF5's file-access property that h5clear sets (H5Fprivate.h). */
#define CLEAR_STATUS_FLAGS "clear_status_flags"

static int opens_normally(const char *path)
{
    hid_t file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (file < 0) {
        H5Eclear2(H5E_DEFAULT);
        return 0;
    }
    H5Fclose(file);
    return 1;
}

static int clear_flags(const char *path)
{
    hbool_t clear = 1;
    hid_t access = H5Pcreate(H5P_FILE_ACCESS);
    int ok = access >= 0 && H5Pset_libver_bounds(access, H5F_LIBVER_LATEST, H5F_LIBVER_LATEST) >= 0 &&
             H5Pexist(access, CLEAR_STATUS_FLAGS) > 0 && H5Pset(access, CLEAR_STATUS_FLAGS, &clear) >= 0;
    hid_t file = ok ? H5Fopen(path, H5F_ACC_RDWR, access) : H5I_INVALID_HID;
    if (access >= 0) H5Pclose(access);
    if (file < 0) return gtap_h5_error(GTAP_EIO, "%s: cannot clear the file's status flags", path);
    if (H5Fclose(file) < 0) return gtap_h5_error(GTAP_EIO, "%s: close after clearing the flags failed", path);
    return GTAP_OK;
}

/* A live writer holds the file's lock (format/lock.h): its "open for
 * writing" flags are true, and clearing them would break its file. */
static int writer_is_gone(const char *path)
{
    int lock_fd = -1;
    int rc = gtap_lock_acquire(path, &lock_fd);
    if (rc == GTAP_EBUSY)
        return gtap_set_error(GTAP_EBUSY, "%s; its writer is alive, so there is nothing to recover (%s)", path,
                              gtap_last_error());
    gtap_lock_release(path, lock_fd);
    return GTAP_OK; /* rc == GTAP_EIO: no lock can be taken here (read-only directory): no writer either */
}

static uint64_t count_snapshots(gtap_reader *reader)
{
    uint64_t total = 0;
    for (size_t t = 0; t < gtap_reader_tensor_count(reader); t++) {
        for (int kind = 0; kind < GTAP_KIND_COUNT; kind++) {
            size_t count = 0;
            if (gtap_reader_steps(reader, t, (gtap_kind)kind, NULL, 0, &count) == GTAP_OK) total += count;
        }
    }
    return total;
}

int gtap_capture_recover(const char *path, int dry_run, gtap_recover_report *report)
{
    gtap_recover_report local;
    if (report == NULL) report = &local;
    memset(report, 0, sizeof *report);
    if (path == NULL) return gtap_set_error(GTAP_EINVAL, "gtap_capture_recover: NULL path");
    gtap_h5_silence();
    int rc = writer_is_gone(path);
    if (rc < 0) return rc;
    gtap_reader *reader = NULL;
    rc = gtap_reader_open(path, &reader); /* validates: a gradtap file, readable (SWMR fallback) */
    if (rc < 0) return rc;
    gtap_file_info info;
    gtap_reader_file_info(reader, &info);
    report->complete = info.complete;
    report->snapshots = count_snapshots(reader);
    gtap_reader_close(reader);
    report->needed = !opens_normally(path);
    if (!report->needed || dry_run) return GTAP_OK;
    struct stat file_stat;
    if (stat(path, &file_stat) != 0) return gtap_set_error(GTAP_EIO, "%s: %s", path, strerror(errno));
    /* held while the flags are cleared: no writer may start meanwhile */
    int lock_fd = -1;
    if ((rc = gtap_lock_acquire(path, &lock_fd)) < 0) return rc;
    rc = clear_flags(path);
    if (rc == GTAP_OK && !opens_normally(path))
        rc = gtap_set_error(GTAP_EFORMAT, "%s: still not readable after clearing its status flags", path);
    gtap_lock_release(path, lock_fd);
    if (rc < 0) return rc;
    report->recovered = 1;
    return GTAP_OK;
}
