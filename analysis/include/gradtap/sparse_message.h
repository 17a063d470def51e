/*
 * gradtap/sparse_message.h - sparse messages between workers: summing P
 * (index, value) messages into a dense vector (duplicate indices summed,
 * empty messages and varying counts handled; docs/THEORY.md s.5), and the
 * canonical layout of an exchange. Included by gradtap/sparsify.h.
 *
 * Canonical exchange layout (what a sparse allgather on MPI produces, and
 * what the simulated workers build in one process):
 *     counts[P]                 uint64, message p has counts[p] pairs
 *     indices[sum counts]       uint64, message 0's indices, then message 1's, ...
 *     values[sum counts]        float32, in the same order
 * i.e. first an allgather of the counts, then an allgatherv of the index
 * arrays and one of the value arrays. Summation order is fixed (message 0
 * first, pairs in stored order) so every rank gets the same bits.
 *
 * One message as bytes (gtap_sparse_encode/decode), native byte order:
 *     offset 0           uint64 count
 *     offset 8           count x uint64 indices
 *     offset 8 + 8*count count x float32 values
 * total 8 + 12*count bytes.
 */
#ifndef GRADTAP_SPARSE_MESSAGE_H
#define GRADTAP_SPARSE_MESSAGE_H

#include "gradtap/export.h"
#include <stddef.h>
#include <stdint.h>

#include "gradtap/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A view of one message (not owning). count = 0 allows NULL arrays. */
typedef struct gtap_sparse_msg {
    const uint64_t *indices;
    const float *values;
    uint64_t count;
} gtap_sparse_msg;

/* gtap_sparse_sum() - dense[i] = scale * sum over messages of the values at
 * index i (double accumulation, messages in order 0..n_msgs-1; duplicate
 * indices within or across messages add up). dense is fully overwritten
 * (zeros where no message has an index).
 * @return GTAP_OK; GTAP_EINVAL for NULL dense/msgs (msgs may be NULL when
 *         n_msgs = 0), NULL arrays with count > 0, an index >= d (message
 *         and position named) or non-finite scale. All indices are checked
 *         before dense is written. */
GTAP_API int gtap_sparse_sum(const gtap_sparse_msg *msgs, size_t n_msgs, uint64_t d, double scale, double *dense);

/* gtap_sparse_add() / gtap_sparse_add_f32() - dense[i] += scale * value for
 * each pair of one message, in stored order (dense not cleared; f32: the
 * product and sum are rounded to float each time). Same errors as
 * gtap_sparse_sum(); nothing is written on error. */
GTAP_API int gtap_sparse_add(const gtap_sparse_msg *msg, uint64_t d, double scale, double *dense);
GTAP_API int gtap_sparse_add_f32(const gtap_sparse_msg *msg, uint64_t d, float scale, float *dense);

/* gtap_sparse_sum_gathered() - gtap_sparse_sum() over the canonical
 * exchange layout above (n_msgs counts, then the concatenated arrays).
 * @return as gtap_sparse_sum(); GTAP_EOVERFLOW if the counts overflow. */
GTAP_API int gtap_sparse_sum_gathered(const uint64_t *counts, size_t n_msgs, const uint64_t *indices,
                             const float *values, uint64_t d, double scale, double *dense);

/* gtap_sparse_encoded_size() - bytes of one encoded message of `count` pairs.
 * @return GTAP_OK; GTAP_EINVAL for NULL; GTAP_EOVERFLOW past SIZE_MAX. */
GTAP_API int gtap_sparse_encoded_size(uint64_t count, size_t *bytes);

/* gtap_sparse_encode() - write msg into buf (capacity bytes).
 * @return GTAP_OK with *written set; GTAP_EINVAL for NULL or a capacity
 *         smaller than gtap_sparse_encoded_size(). */
GTAP_API int gtap_sparse_encode(const gtap_sparse_msg *msg, void *buf, size_t capacity, size_t *written);

/* gtap_sparse_decode() - validate bytes from an untrusted peer or file and
 * return a view into them (no copy; buf must be 8-byte aligned and outlive
 * the view).
 * @param d    every index must be < d.
 * @return GTAP_OK; GTAP_EINVAL for NULL or a misaligned buf; GTAP_EFORMAT
 *         when length is not 8 + 12*count or an index is >= d (message
 *         names the position and value). */
GTAP_API int gtap_sparse_decode(const void *buf, size_t length, uint64_t d, gtap_sparse_msg *msg);

#ifdef __cplusplus
}
#endif
#endif /* GRADTAP_SPARSE_MESSAGE_H */
