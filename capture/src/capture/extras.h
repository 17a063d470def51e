/* extras.h - the HDF5 datasets capture adds to a snapshot file, beside the
 * format's own `data` and `steps` (docs/CAPTURE.md, "File layout"):
 *
 *   /tensors/<t>/<kind>/summary/steps    int64   [n]        committed last
 *   /tensors/<t>/<kind>/summary/moments  float64 [n, 8]     GTAP_SUMMARY_MEAN ...
 *   /tensors/<t>/<kind>/summary/counts   int64   [n, 6]     GTAP_SUMMARY_COUNT ...
 *   /tensors/<t>/<kind>/summary/hist     int64   [n, 82]    log2|u| bins
 *   /tensors/<t>/<kind>/summary/ratios   float64 [n, m]     r_k per density (absent when m = 0)
 *   /tensors/<t>/<kind>/skipped          int64   [s]        steps dropped by the skip policy
 *   /tensors/<t>/layout/{names, offsets, numels}            flat tensors only
 *
 * Shared by the writer side (extras_write.c, writer thread only) and the
 * reader side (extras_read.c). Private to gradtap_capture. */
#ifndef GRADTAP_CAPTURE_EXTRAS_H
#define GRADTAP_CAPTURE_EXTRAS_H

#include <hdf5.h>

#include "capture_internal.h"
#include "format/commit.h"
#include "format/format_internal.h"
#include "format/h5util.h"

#define EXTRAS_SUMMARY "summary"
#define EXTRAS_SKIPPED "skipped"
#define EXTRAS_LAYOUT "layout"
#define EXTRAS_MOMENTS "moments"
#define EXTRAS_COUNTS "counts"
#define EXTRAS_HIST "hist"
#define EXTRAS_RATIOS "ratios"

/* Writer thread: remember the writer's file id after (re)opening. */
int extras_locate_file(gtap_capture *capture);

/* Open /tensors/<escaped name> or /tensors/<escaped name>/<kind> of `file`
 * (caller closes); H5I_INVALID_HID with the error recorded when missing. */
hid_t extras_open_tensor_group(hid_t file, const char *tensor_name);
hid_t extras_open_kind_group(hid_t file, const char *tensor_name, gtap_kind kind);

/* Writer thread: create the summary/skipped/layout datasets of a tensor
 * (before SWMR mode) and open its commit logs; reopen the logs after the
 * writer was reopened; record one skipped step. The `steps` of a summary
 * and the `skipped` list are commit logs (commit.h): in SWMR mode they
 * reach the file at the next flush, after the rows they commit. */
int extras_prepare_tensor(gtap_capture *capture, capture_tensor *tensor);
int extras_open_logs(gtap_capture *capture, capture_tensor *tensor);
int extras_append_skipped(gtap_capture *capture, const capture_tensor *tensor, gtap_kind kind, int64_t step);

/* Summary rows (summary_rows.c), writer thread: _append keeps one summary
 * in memory; _write_summaries, called by every flush before the writer's
 * own flush, writes the rows kept so far (one write per dataset) and hands
 * their steps to the commit logs; _close_summaries closes the datasets kept
 * open between flushes (before the writer closes its file; they are opened
 * again when needed). _row_bytes: the memory one row takes. */
int extras_append_summary(gtap_capture *capture, capture_tensor *tensor, gtap_kind kind, const gtap_summary *summary);
int extras_write_summaries(gtap_capture *capture);
void extras_close_summaries(gtap_capture *capture);
uint64_t extras_summary_row_bytes(const gtap_capture *capture);

#endif
