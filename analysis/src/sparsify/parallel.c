/*
 * sparsify/parallel.c - the passes over u on several OpenMP threads
 * (gtap_sparsify_options.threads): every thread takes one contiguous range
 * and the ranges are joined in index order, so that a gather writes the
 * same indices in the same order and a count is the same integer for any
 * thread count.
 */
#include <omp.h>

#include "sparsify/internal.h"

enum { SP_PARALLEL_MIN = 1 << 16 };

int sp_pass_threads(const gtap_sparsifier *sp, uint64_t d)
{
    return d < SP_PARALLEL_MIN ? 1 : sp->threads;
}

void sp_thread_range(uint64_t n, int t, int threads, uint64_t *lo, uint64_t *hi)
{
    uint64_t share = (n / (uint64_t)threads + 63) & ~(uint64_t)63;
    *lo = share * (uint64_t)t < n ? share * (uint64_t)t : n;
    *hi = t == threads - 1 || *lo + share > n ? n : *lo + share;
}

uint64_t sp_count_nonfinite(const gtap_sparsifier *sp, const float *u, uint64_t d)
{
    uint64_t bad = 0;
    int threads = sp_pass_threads(sp, d);
#pragma omp parallel for num_threads(threads) reduction(+ : bad) schedule(static) if (threads > 1)
    for (uint64_t i = 0; i < d; i++) bad += sp_key(u[i]) >= SP_KEY_NONFINITE;
    return bad;
}

/* The scalar gather of u[lo, hi): count the keys >= bound, write the first
 * `capacity` matches at indices (+ count already written), count NaN/Inf. */
static void gather_scalar(const float *u, uint64_t lo, uint64_t hi, uint64_t bound, uint64_t *indices,
                          float *values, uint64_t capacity, uint64_t *count, uint64_t *bad)
{
    for (uint64_t i = lo; i < hi; i++) {
        uint32_t k = sp_key(u[i]);
        *bad += k >= SP_KEY_NONFINITE;
        if ((uint64_t)k >= bound) {
            if (*count < capacity) {
                indices[*count] = i;
                if (values != NULL) values[*count] = u[i];
            }
            (*count)++;
        }
    }
}

/* an AVX2 and a baseline build of gather_range, picked at load time (not
 * under ThreadSanitizer, whose start-up the ifunc resolver would precede) */
#if defined(__GNUC__) && __GNUC__ >= 9 && !defined(__clang__) && defined(__x86_64__) && !defined(__SANITIZE_THREAD__)
#define GATHER_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define GATHER_CLONES
#endif
typedef int32_t sp_v8i __attribute__((vector_size(32)));
enum { GATHER_LANES = 8 };

/* Count matches of u[lo, hi) and write them from indices[0] on (at most
 * `capacity`); NaN/Inf counted into *bad. Matches and NaN/Inf are rare, so
 * eight keys at a time are tested against the lower of the bound and the
 * NaN/Inf key (both fit a signed 32-bit compare: keys < 2^31) and only a
 * group with a hit takes the scalar loop; the same counts and order. */
GATHER_CLONES
static uint64_t gather_range(const float *u, uint64_t lo, uint64_t hi, uint64_t bound, uint64_t *indices,
                             float *values, uint64_t capacity, uint64_t *bad)
{
    uint64_t count = 0, nonfinite = 0;
    int32_t low = (int32_t)(bound < SP_KEY_NONFINITE ? bound : SP_KEY_NONFINITE);
    const sp_v8i magnitude = {0x7fffffff, 0x7fffffff, 0x7fffffff, 0x7fffffff,
                              0x7fffffff, 0x7fffffff, 0x7fffffff, 0x7fffffff};
    const sp_v8i lowest = {low, low, low, low, low, low, low, low};
    uint64_t i = lo;
    for (; i + GATHER_LANES <= hi; i += GATHER_LANES) {
        sp_v8i bits;
        memcpy(&bits, u + i, sizeof bits);
        sp_v8i hit = (bits & magnitude) >= lowest;
        uint64_t words[4];
        memcpy(words, &hit, sizeof words);
        if (words[0] | words[1] | words[2] | words[3])
            gather_scalar(u, i, i + GATHER_LANES, bound, indices, values, capacity, &count, &nonfinite);
    }
    gather_scalar(u, i, hi, bound, indices, values, capacity, &count, &nonfinite);
    *bad = nonfinite;
    return count;
}

uint64_t sp_gather(gtap_sparsifier *sp, const float *u, uint64_t d, uint32_t key, int strict, uint64_t *indices,
                   float *values, uint64_t capacity, uint64_t *nonfinite)
{
    /* strict: |u_i| > t  <=>  key_i >= key + 1 (keys are integers). */
    uint64_t bound = (uint64_t)key + (strict ? 1u : 0u), bad = 0;
    int threads = sp_pass_threads(sp, d);
    if (threads == 1) {
        uint64_t count = gather_range(u, 0, d, bound, indices, values, capacity, &bad);
        if (nonfinite != NULL) *nonfinite = bad;
        return count;
    }
    /* Each thread writes its matches at its range's start, in the output
     * when it holds d pairs, else in the radix scratch; then the ranges are
     * moved together in order. */
    int direct = capacity >= d;
    uint64_t *to_index = direct ? indices : sp->bucket;
    float *to_value = values == NULL ? NULL : (direct ? values : (float *)sp->bucket_key);
#pragma omp parallel num_threads(threads)
    {
        int t = omp_get_thread_num();
        uint64_t lo, hi;
        sp_thread_range(d, t, threads, &lo, &hi);
        sp_thread_work *w = &sp->work[t];
        w->count = gather_range(u, lo, hi, bound, to_index + lo, to_value ? to_value + lo : NULL, hi - lo, &w->bad);
    }
    uint64_t count = 0;
    for (int t = 0; t < threads; t++) {
        uint64_t lo, hi, n = sp->work[t].count;
        sp_thread_range(d, t, threads, &lo, &hi);
        bad += sp->work[t].bad;
        uint64_t keep = direct ? n : (count >= capacity ? 0 : (capacity - count < n ? capacity - count : n));
        if (keep > 0 && (!direct || lo != count)) {
            memmove(indices + count, to_index + lo, (size_t)keep * sizeof *indices);
            if (values != NULL) memmove(values + count, to_value + lo, (size_t)keep * sizeof *values);
        }
        count += n;
    }
    if (nonfinite != NULL) *nonfinite = bad;
    return count;
}
