/*
 * gradtap/summary.h - per-snapshot summaries: what capture records when a
 * full vector is too big to keep every step.
 *
 * A summary of a vector u (numel coordinates of float32/float16/bfloat16,
 * widened exactly to float32) holds: counts (all, finite, zeros, NaN, +Inf,
 * -Inf), moments of the finite coordinates (mean, variance with ddof 0,
 * skewness g1, excess kurtosis g2, min, max, ||u||^2, ||u||_1), a histogram
 * of log2|u| and the tail-energy ratios r_k = T_k / ||u||^2 for configured
 * densities (docs/THEORY.md s.1: k = max(1, floor(rho * numel)); T_k is
 * exact, computed by gradtap/tail.h). As in tail.h, NaN and Inf are counted
 * and excluded from every other statistic; r_k is NaN when ||u||^2 = 0.
 *
 * Histogram of log2|u| over the finite non-zero coordinates, with
 * E = GTAP_SUMMARY_HIST_MIN_EXPONENT and B = GTAP_SUMMARY_HIST_BINS:
 *   bin 0        : 0 < |u| < 2^E
 *   bin i, 1..B-2: 2^(E+i-1) <= |u| < 2^(E+i)
 *   bin B-1      : |u| >= 2^(E+B-2)
 * (With E = -64 and B = 82 the exact bins span 2^-64 .. 2^16.)
 *
 * In a snapshot file the summaries of (tensor, kind) live in the group
 * /tensors/<tensor>/<kind>/summary (docs/CAPTURE.md, "File layout"); the
 * reading functions below find them through an open gtap_reader.
 */
#ifndef GRADTAP_SUMMARY_H
#define GRADTAP_SUMMARY_H

#include "gradtap/export.h"
#include <stddef.h>
#include <stdint.h>

#include "gradtap/dtype.h"
#include "gradtap/format.h"
#include "gradtap/status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define GTAP_SUMMARY_HIST_BINS 82
#define GTAP_SUMMARY_HIST_MIN_EXPONENT (-64)
#define GTAP_SUMMARY_MAX_DENSITIES 16

/* Columns of the stored `moments` rows and `counts` rows. */
enum {
    GTAP_SUMMARY_MEAN = 0, GTAP_SUMMARY_VARIANCE, GTAP_SUMMARY_SKEWNESS, GTAP_SUMMARY_EXCESS_KURTOSIS,
    GTAP_SUMMARY_MIN, GTAP_SUMMARY_MAX, GTAP_SUMMARY_NORM2, GTAP_SUMMARY_ABS_SUM,
    GTAP_SUMMARY_MOMENT_COLUMNS
};
enum {
    GTAP_SUMMARY_COUNT = 0, GTAP_SUMMARY_FINITE, GTAP_SUMMARY_ZEROS, GTAP_SUMMARY_NAN,
    GTAP_SUMMARY_POSINF, GTAP_SUMMARY_NEGINF, GTAP_SUMMARY_COUNT_COLUMNS
};

typedef struct gtap_summary {
    int64_t step;                                  /* set by capture / the reader; -1 from compute */
    double moments[GTAP_SUMMARY_MOMENT_COLUMNS];   /* indexed by GTAP_SUMMARY_MEAN ...; NaN when undefined */
    uint64_t counts[GTAP_SUMMARY_COUNT_COLUMNS];   /* indexed by GTAP_SUMMARY_COUNT ... */
    uint64_t hist[GTAP_SUMMARY_HIST_BINS];
    size_t density_count;
    double densities[GTAP_SUMMARY_MAX_DENSITIES];
    uint64_t k[GTAP_SUMMARY_MAX_DENSITIES];        /* max(1, floor(rho * numel)), numel = counts[GTAP_SUMMARY_COUNT] */
    double ratios[GTAP_SUMMARY_MAX_DENSITIES];     /* r_k; NaN when ||u||^2 = 0 */
} gtap_summary;

/* k per density is gtap_k_from_density() (gradtap/density.h); 0 for an
 * empty vector. */

/* gtap_summary_hist_bin() - the histogram bin of a finite non-zero |u|
 * (as defined above); -1 for 0, NaN and Inf. */
GTAP_API int gtap_summary_hist_bin(float value);

/* gtap_summary_compute() - the summary of `numel` elements of `dtype` at
 * `data` for `density_count` (<= GTAP_SUMMARY_MAX_DENSITIES) densities in
 * (0, 1]. `scratch` is NULL or room for numel floats, used to widen
 * float16/bfloat16 (NULL: allocated and freed here); float32 data is read
 * in place. `data` is never modified.
 * @return GTAP_OK; GTAP_EINVAL (NULL, bad density, too many densities);
 * GTAP_EDTYPE; GTAP_ENOMEM. */
GTAP_API int gtap_summary_compute(gtap_dtype dtype, const void *data, uint64_t numel, const double *densities,
                         size_t density_count, float *scratch, gtap_summary *summary);

/* gtap_summary_count() - the number of summaries of (tensor index, kind) in
 * an open snapshot file (0 when none were recorded).
 * @return GTAP_OK; GTAP_EINVAL; GTAP_EFORMAT for a malformed summary group. */
GTAP_API int gtap_summary_count(gtap_reader *reader, size_t tensor, gtap_kind kind, size_t *count);

/* gtap_summary_read() - the `index`-th summary (0 <= index < count, in step
 * order) of (tensor, kind), into *summary (steps, densities and k included).
 * @return GTAP_OK; GTAP_EINVAL (index out of range); GTAP_EFORMAT. */
GTAP_API int gtap_summary_read(gtap_reader *reader, size_t tensor, gtap_kind kind, size_t index, gtap_summary *summary);

/* gtap_skipped_steps() - the steps at which a snapshot or summary of
 * (tensor, kind) was due but dropped by the capture's skip policy. Same
 * calling convention as gtap_reader_steps (ask for *count with capacity 0). */
GTAP_API int gtap_skipped_steps(gtap_reader *reader, size_t tensor, gtap_kind kind, int64_t *steps, size_t capacity,
                       size_t *count);

/* gtap_flat_layout_count() / gtap_flat_layout_entry() - the layout table of
 * a flat tensor (gtap_capture_register_flat): the number of members (0 for
 * an ordinary tensor) and the index-th member's name (copied into `name`,
 * truncated to capacity), offset and numel. */
GTAP_API int gtap_flat_layout_count(gtap_reader *reader, size_t tensor, size_t *count);
GTAP_API int gtap_flat_layout_entry(gtap_reader *reader, size_t tensor, size_t index, char *name, size_t capacity,
                           uint64_t *offset, uint64_t *numel);

#ifdef __cplusplus
}
#endif
#endif /* GRADTAP_SUMMARY_H */
