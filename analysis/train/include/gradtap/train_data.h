/*
 * gradtap/train_data.h - training data for gradtap's own trainer
 * (`gradtap converge`, docs/THEORY.md s.8): LIBSVM text files, the IDX
 * files of MNIST / Fashion-MNIST, and synthetic data generated from a seed.
 *
 * A gtap_dataset holds n examples of d features, stored dense (row-major
 * float32) or sparse (CSR: row offsets, 0-based column indices, values), and
 * one int32 label per example:
 *   - binary data (classes == 2): labels are -1 or +1;
 *   - multi-class data (classes > 2): labels are 0 .. classes-1.
 * A dataset is immutable after it is created, so several workers (threads)
 * may read it at once. Free it with gtap_dataset_free().
 *
 * All functions return GTAP_OK or a negative gtap_status with a message in
 * gtap_last_error() naming the file and line (or record) that failed.
 */
#ifndef GRADTAP_TRAIN_DATA_H
#define GRADTAP_TRAIN_DATA_H

#include "gradtap/export.h"
#include <stddef.h>
#include <stdint.h>

#include "gradtap/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct gtap_dataset gtap_dataset;

/* A read-only view of a dataset's storage. Pointers are owned by the
 * dataset and valid until gtap_dataset_free(). */
typedef struct gtap_dataset_view {
    uint64_t n;               /* examples */
    uint64_t d;               /* features */
    int classes;              /* 2: binary labels -1/+1; > 2: labels 0..classes-1 */
    int sparse;               /* 0: dense (values is n*d, row-major); 1: CSR */
    const float *values;      /* dense: n*d values; CSR: nnz values */
    const uint64_t *row_start;/* CSR only: n+1 offsets into columns/values */
    const uint32_t *columns;  /* CSR only: 0-based feature index per value */
    const int32_t *labels;    /* n labels */
    uint64_t nnz;             /* stored values (n*d when dense) */
} gtap_dataset_view;

/* gtap_dataset_get_view() - the storage of `data` (NULL: a zeroed view). */
GTAP_API gtap_dataset_view gtap_dataset_get_view(const gtap_dataset *data);

/* gtap_dataset_free() - release a dataset. NULL is allowed. */
GTAP_API void gtap_dataset_free(gtap_dataset *data);

/* gtap_dataset_read_libsvm() - read a LIBSVM text file: one example per
 * line, `LABEL INDEX:VALUE INDEX:VALUE ...` with 1-based, strictly
 * increasing indices; blank lines and lines starting with '#' are skipped.
 * Labels must be -1/+1 or 0/1 (0 becomes -1); a file mixing 0 and -1 is
 * refused. Indices are at most GTAP_LIBSVM_MAX_FEATURES. `min_features`
 * forces d to at least that value (to read a test file with the training
 * file's d; 0: d is the largest index seen). The result is stored dense
 * when at least half of the n*d entries are present, sparse otherwise.
 * @return GTAP_OK and *out (owned by the caller); GTAP_ENOTFOUND when the
 * file cannot be opened; GTAP_EFORMAT for a malformed line (the message
 * names file:line and the offending token), a NUL byte in a line, or
 * labels mixing 0 and -1; GTAP_ENONFINITE for a NaN/Inf value;
 * GTAP_EOVERFLOW when an index or d exceeds GTAP_LIBSVM_MAX_FEATURES or
 * sizes overflow; GTAP_ENOMEM. */
#define GTAP_LIBSVM_MAX_FEATURES (1ull << 26) /* 67108864 features */
GTAP_API int gtap_dataset_read_libsvm(const char *path, uint64_t min_features, gtap_dataset **out);

/* Precision of the values a reader keeps. The trainer always computes with
 * the float32 values (the view's `values`); GTAP_DATA_FLOAT64 keeps the
 * parsed doubles as well, so that f* (gtap_logreg_optimum) is that of the
 * data as written, not of its float32 rounding (docs/THEORY.md s.8). It
 * costs 8 more bytes per stored value. */
typedef enum gtap_data_precision {
    GTAP_DATA_FLOAT32 = 0, /* values rounded to float32 only (the default) */
    GTAP_DATA_FLOAT64 = 1  /* float32 values plus the exact float64 parse */
} gtap_data_precision;

/* gtap_dataset_read_libsvm_precision() - gtap_dataset_read_libsvm() with
 * the choice of precision (gtap_dataset_read_libsvm is this with
 * GTAP_DATA_FLOAT32). With GTAP_DATA_FLOAT64, gtap_dataset_values_double()
 * of the result returns the values as parsed by strtod.
 * @return as gtap_dataset_read_libsvm(); GTAP_EINVAL for an unknown
 * precision. */
GTAP_API int gtap_dataset_read_libsvm_precision(const char *path, uint64_t min_features,
                                                gtap_data_precision precision, gtap_dataset **out);

/* gtap_dataset_values_double() - the float64 values of `data`, laid out
 * exactly as the view's `values` (dense n*d row-major, or one per CSR
 * entry), or NULL when the dataset keeps float32 values only (every
 * dataset not read with GTAP_DATA_FLOAT64; NULL data). Owned by the
 * dataset. */
GTAP_API const double *gtap_dataset_values_double(const gtap_dataset *data);

/* gtap_dataset_max_row_norm2() - max_i ||a_i||^2 over the rows of `data`
 * (in double, from the float64 values when kept), for the smoothness bound
 * L <= max_i ||a_i||^2 / 4 + lambda of logistic regression
 * (docs/THEORY.md s.8). 0 for NULL or empty data. */
GTAP_API double gtap_dataset_max_row_norm2(const gtap_dataset *data);

/* gtap_dataset_normalize_rows() - a new dataset with every example of
 * `data` scaled to unit Euclidean norm (a_i / ||a_i||; an all-zero row
 * stays zero). The norm is computed in double, from the float64 values
 * when `data` keeps them (which are scaled too), so float32 and float64
 * copies describe the same problem. Labels, layout and sparsity are kept.
 * @return GTAP_OK and *out (owned by the caller); GTAP_EINVAL (NULL);
 * GTAP_ENOMEM. */
GTAP_API int gtap_dataset_normalize_rows(const gtap_dataset *data, gtap_dataset **out);

/* gtap_dataset_read_idx() - read an IDX image file (magic 0x00000803,
 * unsigned bytes, n x rows x cols) and its IDX label file (magic
 * 0x00000801, n bytes), gzip'ed or plain (detected by content). Pixels are
 * scaled to [0, 1]; labels must be < 10 (classes = 10).
 * @return GTAP_OK and *out; GTAP_ENOTFOUND (no such file); GTAP_EFORMAT
 * (bad magic, truncated data, image/label counts differ, label >= 10; the
 * message names the file and record); GTAP_ENOMEM. */
GTAP_API int gtap_dataset_read_idx(const char *images_path, const char *labels_path, gtap_dataset **out);

/* gtap_dataset_synthetic_logreg() - binary data for logistic regression,
 * like the epsilon set (dense, rows of norm about 1): a_i ~ N(0, I/d),
 * a hidden x_true ~ N(0, signal^2 I), and b_i = +1 with probability
 * 1/(1+exp(-a_i.x_true)), else -1. The same (n, d, signal, seed) gives the
 * same data on every machine and thread count. signal > 0 (3 is the
 * default of `gradtap converge`).
 * @return GTAP_OK and *out; GTAP_EINVAL (n or d zero, d > 2^32-1, bad
 * signal); GTAP_EOVERFLOW; GTAP_ENOMEM. */
GTAP_API int gtap_dataset_synthetic_logreg(uint64_t n, uint64_t d, double signal, uint64_t seed, gtap_dataset **out);

/* gtap_dataset_synthetic_images() - an MNIST-like 10-class set of 784
 * features in [0, 1] (28x28 "images"): each class has a random smooth
 * template drawn from `seed`, each example (drawn from `sample_seed`) is
 * its class's template times a random intensity plus noise, clipped to
 * [0, 1]. A test set: the same seed, another sample_seed. For the MLP when
 * no IDX files are at hand. Same seeds, same data.
 * @return GTAP_OK and *out; GTAP_EINVAL (n zero); GTAP_ENOMEM. */
GTAP_API int gtap_dataset_synthetic_images(uint64_t n, uint64_t seed, uint64_t sample_seed, gtap_dataset **out);

/* gtap_dataset_head() - a new dataset with the first `count` examples of
 * `data` (count <= n), for quick runs on a subset of a large file (the
 * float64 values too, when `data` keeps them).
 * @return GTAP_OK and *out; GTAP_EINVAL; GTAP_ENOMEM. */
GTAP_API int gtap_dataset_head(const gtap_dataset *data, uint64_t count, gtap_dataset **out);

#ifdef __cplusplus
}
#endif
#endif /* GRADTAP_TRAIN_DATA_H */
