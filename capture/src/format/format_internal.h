/* format_internal.h - private to gradtap_capture: the HDF5 file id behind a
 * writer or reader, for the capture library's own datasets (summaries,
 * skipped steps, flat layouts) that live in the same file. The id stays
 * owned by the writer/reader; never close it. */
#ifndef GRADTAP_FORMAT_INTERNAL_H
#define GRADTAP_FORMAT_INTERNAL_H

#include <hdf5.h>

#include "gradtap/format.h"

hid_t gtap_writer_hdf5_file(const gtap_writer *writer);
hid_t gtap_reader_hdf5_file(const gtap_reader *reader);

/* Capture's own commit logs (commit.h) go through the writer, so that in
 * SWMR mode they are held back until gtap_writer_flush() like the `steps`
 * of snapshots: open an existing log once (before or after SWMR starts),
 * then append to it by index. */
int gtap_writer_open_log(gtap_writer *writer, hid_t parent, const char *name, size_t *log);
int gtap_writer_log_append(gtap_writer *writer, size_t log, int64_t value);
/* The number of values in a log, committed or held: the row its next value commits. */
uint64_t gtap_writer_log_count(const gtap_writer *writer, size_t log);

/* The writer lock (lock.h) across a close and reopen of one file (capture
 * declaring tensors late): _take_lock takes the lock away from `writer`, so
 * that its close leaves it held and returns its descriptor; _create_locked
 * is gtap_writer_create() with that lock already held, and owns it from
 * then on (released at close, or at once when the create fails). */
int gtap_writer_take_lock(gtap_writer *writer);
int gtap_writer_create_locked(const char *path, const gtap_writer_options *options, int lock_fd,
                              gtap_writer **writer);
void gtap_writer_release_lock(const char *path, int lock_fd);

#endif
