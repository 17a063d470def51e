/*
 * topk_ref.c - reference exact selection by key (ref.h): the keys of
 * shared/keys.h, a quickselect and a brute-force sort that check each other,
 * and the threshold selection |u| >= t.
 */
#include <stdlib.h>
#include <string.h>

#include "ref/ref.h"
#include "gradtap/philox.h"

void gtap_ref_keys(gtap_ref_key_kind kind, const float *u, uint64_t d, uint64_t seed, uint64_t *keys) {
    for (uint64_t i = 0; i < d; ++i) {
        uint32_t hi;
        if (kind == GTAP_REF_KEY_RAND) {
            hi = gtap_philox_draw(seed, GTAP_PHILOX_STREAM_RANDK, i);
        } else {
            const uint32_t mk = gtap_mag_key(u[i]);
            hi = (kind == GTAP_REF_KEY_FINITE && !gtap_key_finite(mk)) ? 0u : mk << 1;
        }
        keys[i] = gtap_sel_key(hi, (uint32_t)i);
    }
}

static int cmp_u32(const void *a, const void *b) {
    const uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

static int cmp_u64_desc(const void *a, const void *b) {
    const uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x < y) - (x > y);
}

/* Hoare-partition quickselect: afterwards a[k-1] is the k-th largest. */
static void quickselect_desc(uint64_t *a, uint64_t n, uint64_t k) {
    uint64_t lo = 0, hi = n - 1, target = k - 1, state = 0x9E3779B97F4A7C15ull;
    while (lo < hi) {
        state = state * 6364136223846793005ull + 1442695040888963407ull;
        const uint64_t pivot = a[lo + (state >> 33) % (hi - lo + 1)];
        uint64_t i = lo, j = hi;
        while (i <= j) {
            while (a[i] > pivot) ++i;
            while (a[j] < pivot) --j;
            if (i <= j) {
                const uint64_t t = a[i];
                a[i] = a[j];
                a[j] = t;
                ++i;
                if (j == 0) break;
                --j;
            }
        }
        if (target <= j) hi = j;
        else if (target >= i) lo = i;
        else return;
    }
}

int gtap_ref_top_select(const uint64_t *keys, uint64_t d, uint64_t k, uint32_t *idx) {
    if (k == 0 || k > d) return gtap_set_error(GTAP_EINVAL, "ref top: k=%llu d=%llu", (unsigned long long)k,
                                               (unsigned long long)d);
    uint64_t *copy = malloc(d * sizeof *copy);
    if (!copy) return gtap_set_error(GTAP_ENOMEM, "ref top: %llu keys", (unsigned long long)d);
    memcpy(copy, keys, d * sizeof *copy);
    quickselect_desc(copy, d, k);
    const uint64_t kth = copy[k - 1];
    free(copy);
    uint64_t n = 0;
    for (uint64_t i = 0; i < d; ++i)
        if (keys[i] >= kth) idx[n++] = (uint32_t)i;
    return n == k ? GTAP_OK : gtap_set_error(GTAP_EINTERNAL, "ref top: selected %llu, expected %llu",
                                             (unsigned long long)n, (unsigned long long)k);
}

int gtap_ref_top_sort(const uint64_t *keys, uint64_t d, uint64_t k, uint32_t *idx) {
    if (k == 0 || k > d) return gtap_set_error(GTAP_EINVAL, "ref sort: k=%llu d=%llu", (unsigned long long)k,
                                               (unsigned long long)d);
    uint64_t *copy = malloc(d * sizeof *copy);
    if (!copy) return gtap_set_error(GTAP_ENOMEM, "ref sort: %llu keys", (unsigned long long)d);
    memcpy(copy, keys, d * sizeof *copy);
    qsort(copy, d, sizeof *copy, cmp_u64_desc);
    for (uint64_t j = 0; j < k; ++j) idx[j] = ~(uint32_t)copy[j]; /* the low word is ~index */
    free(copy);
    qsort(idx, k, sizeof *idx, cmp_u32);
    return GTAP_OK;
}

int gtap_ref_topk(gtap_ref_key_kind kind, const float *u, uint64_t d, uint64_t k, uint64_t seed, uint32_t *idx) {
    uint64_t *keys = malloc((d ? d : 1) * sizeof *keys);
    if (!keys) return gtap_set_error(GTAP_ENOMEM, "ref topk: %llu keys", (unsigned long long)d);
    gtap_ref_keys(kind, u, d, seed, keys);
    int rc = gtap_ref_top_select(keys, d, k, idx);
    free(keys);
    return rc;
}

uint64_t gtap_ref_select_ge(const float *u, uint64_t d, float t, uint32_t *idx) {
    const uint32_t tk = gtap_mag_key(t);
    uint64_t n = 0;
    for (uint64_t i = 0; i < d; ++i)
        if (gtap_mag_key(u[i]) >= tk) {
            if (idx) idx[n] = (uint32_t)i;
            ++n;
        }
    return n;
}
