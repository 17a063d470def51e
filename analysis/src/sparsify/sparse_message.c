/*
 * sparsify/sparse_message.c - summing sparse messages of P workers into a
 * dense vector (duplicates add up, empty messages and varying counts are
 * fine; docs/THEORY.md s.5) and the canonical byte layout of one message.
 */
#include <math.h>
#include <string.h>

#include "gradtap/sparse_message.h"

static int check_message(const gtap_sparse_msg *msg, size_t which, uint64_t d)
{
    if (msg->count > 0 && (msg->indices == NULL || msg->values == NULL))
        return gtap_set_error(GTAP_EINVAL, "sparse message %zu: NULL arrays with count %llu", which,
                              (unsigned long long)msg->count);
    for (uint64_t j = 0; j < msg->count; j++)
        if (msg->indices[j] >= d)
            return gtap_set_error(GTAP_EINVAL, "sparse message %zu: index[%llu] = %llu is not below d = %llu", which,
                                  (unsigned long long)j, (unsigned long long)msg->indices[j],
                                  (unsigned long long)d);
    return GTAP_OK;
}

static void add_message(const gtap_sparse_msg *msg, double scale, double *dense)
{
    for (uint64_t j = 0; j < msg->count; j++) dense[msg->indices[j]] += scale * (double)msg->values[j];
}

int gtap_sparse_sum(const gtap_sparse_msg *msgs, size_t n_msgs, uint64_t d, double scale, double *dense)
{
    if (dense == NULL || (msgs == NULL && n_msgs > 0)) return gtap_set_error(GTAP_EINVAL, "sparse sum: NULL argument");
    if (!isfinite(scale)) return gtap_set_error(GTAP_EINVAL, "sparse sum: scale %g is not finite", scale);
    for (size_t p = 0; p < n_msgs; p++) {
        int rc = check_message(&msgs[p], p, d);
        if (rc < 0) return rc;
    }
    memset(dense, 0, (size_t)d * sizeof *dense);
    for (size_t p = 0; p < n_msgs; p++) add_message(&msgs[p], scale, dense);
    return GTAP_OK;
}

int gtap_sparse_add(const gtap_sparse_msg *msg, uint64_t d, double scale, double *dense)
{
    if (msg == NULL || dense == NULL) return gtap_set_error(GTAP_EINVAL, "sparse add: NULL argument");
    if (!isfinite(scale)) return gtap_set_error(GTAP_EINVAL, "sparse add: scale %g is not finite", scale);
    int rc = check_message(msg, 0, d);
    if (rc < 0) return rc;
    add_message(msg, scale, dense);
    return GTAP_OK;
}

int gtap_sparse_add_f32(const gtap_sparse_msg *msg, uint64_t d, float scale, float *dense)
{
    if (msg == NULL || dense == NULL) return gtap_set_error(GTAP_EINVAL, "sparse add: NULL argument");
    if (!isfinite(scale)) return gtap_set_error(GTAP_EINVAL, "sparse add: scale %g is not finite", (double)scale);
    int rc = check_message(msg, 0, d);
    if (rc < 0) return rc;
    for (uint64_t j = 0; j < msg->count; j++) {
        float product = scale * msg->values[j];
        dense[msg->indices[j]] = dense[msg->indices[j]] + product;
    }
    return GTAP_OK;
}

int gtap_sparse_sum_gathered(const uint64_t *counts, size_t n_msgs, const uint64_t *indices,
                             const float *values, uint64_t d, double scale, double *dense)
{
    if (dense == NULL || (counts == NULL && n_msgs > 0))
        return gtap_set_error(GTAP_EINVAL, "sparse sum gathered: NULL argument");
    uint64_t total = 0;
    for (size_t p = 0; p < n_msgs; p++) {
        if (counts[p] > UINT64_MAX - total)
            return gtap_set_error(GTAP_EOVERFLOW, "sparse sum gathered: counts overflow at message %zu", p);
        total += counts[p];
    }
    if (total > 0 && (indices == NULL || values == NULL))
        return gtap_set_error(GTAP_EINVAL, "sparse sum gathered: NULL arrays with %llu pairs",
                              (unsigned long long)total);
    if (!isfinite(scale)) return gtap_set_error(GTAP_EINVAL, "sparse sum gathered: scale %g is not finite", scale);
    uint64_t offset = 0;
    for (size_t p = 0; p < n_msgs; p++) {
        gtap_sparse_msg msg = {indices + offset, values + offset, counts[p]};
        int rc = check_message(&msg, p, d);
        if (rc < 0) return rc;
        offset += counts[p];
    }
    memset(dense, 0, (size_t)d * sizeof *dense);
    offset = 0;
    for (size_t p = 0; p < n_msgs; p++) {
        gtap_sparse_msg msg = {indices + offset, values + offset, counts[p]};
        add_message(&msg, scale, dense);
        offset += counts[p];
    }
    return GTAP_OK;
}

int gtap_sparse_encoded_size(uint64_t count, size_t *bytes)
{
    if (bytes == NULL) return gtap_set_error(GTAP_EINVAL, "sparse encoded size: NULL argument");
    if (count > (SIZE_MAX - 8) / 12)
        return gtap_set_error(GTAP_EOVERFLOW, "sparse message of %llu pairs overflows size_t",
                              (unsigned long long)count);
    *bytes = 8 + 12 * (size_t)count;
    return GTAP_OK;
}

int gtap_sparse_encode(const gtap_sparse_msg *msg, void *buf, size_t capacity, size_t *written)
{
    if (msg == NULL || buf == NULL || written == NULL || (msg->count > 0 && (msg->indices == NULL || msg->values == NULL)))
        return gtap_set_error(GTAP_EINVAL, "sparse encode: NULL argument");
    size_t bytes = 0;
    int rc = gtap_sparse_encoded_size(msg->count, &bytes);
    if (rc < 0) return rc;
    if (capacity < bytes)
        return gtap_set_error(GTAP_EINVAL, "sparse encode: buffer of %zu bytes, message needs %zu", capacity, bytes);
    unsigned char *out = buf;
    memcpy(out, &msg->count, 8);
    if (msg->count > 0) {
        memcpy(out + 8, msg->indices, (size_t)msg->count * 8);
        memcpy(out + 8 + 8 * (size_t)msg->count, msg->values, (size_t)msg->count * 4);
    }
    *written = bytes;
    return GTAP_OK;
}

int gtap_sparse_decode(const void *buf, size_t length, uint64_t d, gtap_sparse_msg *msg)
{
    if (buf == NULL || msg == NULL) return gtap_set_error(GTAP_EINVAL, "sparse decode: NULL argument");
    if ((uintptr_t)buf % 8 != 0) return gtap_set_error(GTAP_EINVAL, "sparse decode: buffer not 8-byte aligned");
    if (length < 8) return gtap_set_error(GTAP_EFORMAT, "sparse message of %zu bytes has no count", length);
    const unsigned char *in = buf;
    uint64_t count;
    memcpy(&count, in, 8);
    size_t expected = 0;
    if (gtap_sparse_encoded_size(count, &expected) < 0 || expected != length)
        return gtap_set_error(GTAP_EFORMAT, "sparse message: count %llu needs %s%zu bytes, got %zu",
                              (unsigned long long)count, expected ? "" : "more than ", expected, length);
    gtap_sparse_msg view = {(const uint64_t *)(const void *)(in + 8),
                            (const float *)(const void *)(in + 8 + 8 * (size_t)count), count};
    for (uint64_t j = 0; j < count; j++)
        if (view.indices[j] >= d)
            return gtap_set_error(GTAP_EFORMAT, "sparse message: index[%llu] = %llu is not below d = %llu",
                                  (unsigned long long)j, (unsigned long long)view.indices[j],
                                  (unsigned long long)d);
    *msg = view;
    return GTAP_OK;
}
