/* tail_energy.c - exact tail energies T_k and head energies H_k of top-k for
 * many k at once, in O(d), by a two-level radix histogram of the bit
 * patterns of |u| (docs/THEORY.md s.3; contract in gradtap/tail.h).
 *
 * Level 1 (pass 1): key = top 16 of the 31 magnitude bits; per key a count
 * and the EXACT sum of u_i^2: inside a bucket every |u_i| is m * 2^(e-150)
 * with the same exponent e and a 24-bit integer m, so the bucket sums m^2
 * (< 2^48) in a 64-bit integer that is spilled into a 128-bit one every
 * 2^16 values (so it cannot overflow), scaled by 2^(2e-300) when read. The sums are thus
 * independent of chunking, thread count and order: results are bit-identical
 * however the vector is split (and across MPI ranks). Level 2 (pass 2): only for the boundary buckets
 * of the requested k, a count per low-15-bit pattern; such a bin holds a
 * single exact value v, so its energy is count * v^2 with no estimation. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tail_internal.h"

#define BUCKET_COUNT 65536u /* 2^16 level-1 buckets */
#define SUB_BITS 15u
#define SUB_COUNT 32768u /* 2^15 exact values per bucket */
#define SUB_MASK (SUB_COUNT - 1u)
#define FINITE_LIMIT 0x7f800000u /* |bits| >= this: Inf or NaN */
#define REFINE_FEW_SLOTS 8u       /* at most this many boundary buckets: refine_few */
#define REFINE_GROUP_BLOCK 65536u /* values per block of refine_grouped */

enum { PHASE_FEED = 0, PHASE_REFINE = 1 };

/* What the plan knows about one requested k. */
typedef struct k_plan {
    uint64_t k, k_effective;
    int32_t slot;        /* boundary slot, -1 when no refinement applies */
    uint64_t take;       /* how many of the boundary bucket belong to the top-k */
    double head_above;   /* energy of the buckets above the boundary one */
    double tail_below;   /* energy of the buckets below it */
} k_plan;

/* Pass 1's per-bucket state, the two words side by side so that a value
 * touches one cache line: how many values, and their sum of m^2 since the
 * last spill into sums (see top). */
typedef struct bucket_tally {
    uint64_t count, low;
} bucket_tally;

struct gtap_tail {
    int phase;
    bucket_tally *tally;  /* BUCKET_COUNT */
    unsigned __int128 *sums; /* BUCKET_COUNT spilled exact sums of m^2 (see top) */
    gtap_moments moments;
    /* the plan */
    size_t k_count;
    k_plan *plans;
    size_t slot_count;
    uint32_t *slot_bucket; /* slot -> level-1 bucket */
    int32_t *bucket_slot;  /* bucket -> slot, or -1 (BUCKET_COUNT) */
    uint64_t *sub;         /* slot_count * SUB_COUNT level-2 counts */
    /* refine_grouped's scratch (NULL: it is not used) */
    uint64_t boundary_bitmap[BUCKET_COUNT / 64];
    uint32_t *group_hits;  /* 2 * REFINE_GROUP_BLOCK */
    uint64_t *group_start; /* slot_count + 1 */
};

static uint32_t magnitude_bits(float value)
{
    uint32_t bits;
    memcpy(&bits, &value, sizeof bits);
    return bits & 0x7fffffffu;
}

static double value_of_bits(uint32_t bits)
{
    float value;
    memcpy(&value, &bits, sizeof value);
    return (double)value;
}

/* Integer mantissa of a finite magnitude pattern (implicit bit included). */
static uint64_t mantissa_of_bits(uint32_t bits)
{
    uint32_t exponent = bits >> 23;
    return exponent ? (uint64_t)((bits & 0x7fffffu) | 0x800000u) : (uint64_t)bits;
}

/* The energy of bucket b in double: sum m^2 * 2^(2 (max(e,1) - 150)). */
static double bucket_energy(const gtap_tail *t, uint32_t bucket)
{
    int exponent = (int)(bucket >> 8); /* 8 exponent bits, then 8 mantissa bits */
    if (exponent == 0) exponent = 1;
    unsigned __int128 sum = t->sums[bucket] + t->tally[bucket].low;
    double value = (double)(uint64_t)(sum >> 64) * 18446744073709551616.0 + (double)(uint64_t)sum;
    return ldexp(value, 2 * (exponent - 150));
}

static void drop_plan(gtap_tail *t)
{
    free(t->plans);
    free(t->slot_bucket);
    free(t->bucket_slot);
    free(t->sub);
    free(t->group_hits);
    free(t->group_start);
    t->group_hits = NULL;
    t->group_start = NULL;
    t->plans = NULL;
    t->slot_bucket = NULL;
    t->bucket_slot = NULL;
    t->sub = NULL;
    t->k_count = 0;
    t->slot_count = 0;
}

int gtap_tail_create(gtap_tail **tail)
{
    if (tail == NULL) return gtap_set_error(GTAP_EINVAL, "gtap_tail_create: NULL output");
    *tail = NULL;
    gtap_tail *t = calloc(1, sizeof *t);
    if (t == NULL) return gtap_set_error(GTAP_ENOMEM, "tail energy: out of memory");
    t->tally = calloc(BUCKET_COUNT, sizeof *t->tally);
    t->sums = calloc(BUCKET_COUNT, sizeof *t->sums);
    if (t->tally == NULL || t->sums == NULL) {
        gtap_tail_free(t);
        return gtap_set_error(GTAP_ENOMEM, "tail energy: out of memory for the histogram (2 MiB)");
    }
    gtap_moments_init(&t->moments);
    *tail = t;
    return GTAP_OK;
}

void gtap_tail_free(gtap_tail *t)
{
    if (t == NULL) return;
    drop_plan(t);
    free(t->tally);
    free(t->sums);
    free(t);
}

void gtap_tail_reset(gtap_tail *t)
{
    if (t == NULL) return;
    drop_plan(t);
    memset(t->tally, 0, BUCKET_COUNT * sizeof *t->tally);
    memset(t->sums, 0, BUCKET_COUNT * sizeof *t->sums);
    gtap_moments_init(&t->moments);
    t->phase = PHASE_FEED;
}

/* Pass 1 over one block: histogram of the finite values, then moments. */
static void feed_block(gtap_tail *t, const float *u, size_t n)
{
    bucket_tally *tally = t->tally;
    int nonfinite = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t bits = magnitude_bits(u[i]);
        if (bits >= FINITE_LIMIT) {
            nonfinite = 1;
            continue;
        }
        uint32_t key = bits >> SUB_BITS;
        uint64_t m = mantissa_of_bits(bits);
        bucket_tally *bin = &tally[key];
        bin->low += m * m;
        if ((++bin->count & 0xffffu) == 0) { /* 2^16 values of < 2^48 each: spill before overflow */
            t->sums[key] += bin->low;
            bin->low = 0;
        }
    }
    gtap_tail_moments_block(&t->moments, u, n, nonfinite);
}

int gtap_tail_feed(gtap_tail *t, const float *u, uint64_t n)
{
    if (t == NULL || (u == NULL && n > 0)) return gtap_set_error(GTAP_EINVAL, "gtap_tail_feed: NULL argument");
    if (t->phase != PHASE_FEED) return gtap_set_error(GTAP_ESTATE, "gtap_tail_feed: already planned (pass 1 is over)");
    for (uint64_t done = 0; done < n;) {
        uint64_t left = n - done;
        size_t block = left < GTAP_TAIL_BLOCK ? (size_t)left : GTAP_TAIL_BLOCK;
        feed_block(t, u + done, block);
        done += block;
    }
    return GTAP_OK;
}

static int same_plan(const gtap_tail *a, const gtap_tail *b)
{
    return a->slot_count == b->slot_count &&
           (a->slot_count == 0 || memcmp(a->slot_bucket, b->slot_bucket, a->slot_count * sizeof *a->slot_bucket) == 0);
}

int gtap_tail_merge(gtap_tail *into, const gtap_tail *from)
{
    if (into == NULL || from == NULL) return gtap_set_error(GTAP_EINVAL, "gtap_tail_merge: NULL argument");
    if (into->phase != from->phase) return gtap_set_error(GTAP_ESTATE, "gtap_tail_merge: accumulators in different passes");
    if (into->phase == PHASE_FEED) {
        for (uint32_t b = 0; b < BUCKET_COUNT; b++) {
            into->sums[b] += (unsigned __int128)into->tally[b].low + from->tally[b].low + from->sums[b];
            into->tally[b].low = 0;
            into->tally[b].count += from->tally[b].count;
        }
        return gtap_moments_merge(&into->moments, &from->moments);
    }
    if (!same_plan(into, from)) return gtap_set_error(GTAP_ESTATE, "gtap_tail_merge: accumulators planned differently");
    uint64_t total = (uint64_t)into->slot_count * SUB_COUNT;
    for (uint64_t i = 0; i < total; i++) /* the test leaves pages no value reached unwritten */
        if (from->sub[i] != 0) into->sub[i] += from->sub[i];
    return GTAP_OK;
}

/* Boundary bucket of k: the b with above[b] < k <= above[b] + counts[b],
 * where above[b] counts the values in buckets > b. above[] does not
 * increase with b, so this is the lowest b with above[b] < k. */
static uint32_t find_boundary(const uint64_t *above, uint64_t k)
{
    uint32_t lo = 0, hi = BUCKET_COUNT - 1; /* invariant: answer in [lo, hi] */
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (above[mid] < k) hi = mid;
        else lo = mid + 1;
    }
    return lo;
}

static int allocate_plan(gtap_tail *t, size_t k_count)
{
    t->plans = calloc(k_count ? k_count : 1, sizeof *t->plans);
    t->slot_bucket = calloc(k_count ? k_count : 1, sizeof *t->slot_bucket);
    t->bucket_slot = malloc(BUCKET_COUNT * sizeof *t->bucket_slot);
    if (t->plans == NULL || t->slot_bucket == NULL || t->bucket_slot == NULL) return GTAP_ENOMEM;
    for (uint32_t b = 0; b < BUCKET_COUNT; b++) t->bucket_slot[b] = -1;
    t->k_count = k_count;
    return GTAP_OK;
}

/* The level-2 counts, and refine_grouped's scratch when the slots are too
 * many for refine_few but few enough for a 32-bit position. */
static int allocate_sub(gtap_tail *t)
{
    if (t->slot_count == 0) return GTAP_OK;
    if (t->slot_count > SIZE_MAX / SUB_COUNT / sizeof *t->sub) return GTAP_ENOMEM;
    t->sub = calloc(t->slot_count * SUB_COUNT, sizeof *t->sub);
    if (t->sub == NULL) return GTAP_ENOMEM;
    if (t->slot_count <= REFINE_FEW_SLOTS || t->slot_count >= ((size_t)1 << (32 - SUB_BITS))) return GTAP_OK;
    t->group_hits = malloc(2 * (size_t)REFINE_GROUP_BLOCK * sizeof *t->group_hits);
    t->group_start = malloc((t->slot_count + 1) * sizeof *t->group_start);
    if (t->group_hits == NULL || t->group_start == NULL) return GTAP_ENOMEM;
    memset(t->boundary_bitmap, 0, sizeof t->boundary_bitmap);
    for (size_t s = 0; s < t->slot_count; s++)
        t->boundary_bitmap[t->slot_bucket[s] >> 6] |= (uint64_t)1 << (t->slot_bucket[s] & 63);
    return GTAP_OK;
}

int gtap_tail_plan(gtap_tail *t, const uint64_t *ks, size_t nk, int *refine)
{
    if (t == NULL || refine == NULL || (ks == NULL && nk > 0))
        return gtap_set_error(GTAP_EINVAL, "gtap_tail_plan: NULL argument");
    if (t->phase != PHASE_FEED) return gtap_set_error(GTAP_ESTATE, "gtap_tail_plan: already planned");
    *refine = 0;
    uint64_t *above = malloc(BUCKET_COUNT * sizeof *above);
    double *head = malloc(BUCKET_COUNT * sizeof *head), *tail = malloc(BUCKET_COUNT * sizeof *tail);
    int rc = GTAP_ENOMEM;
    if (above == NULL || head == NULL || tail == NULL || allocate_plan(t, nk) < 0) goto done;
    /* above[b], head[b]: count and energy of the buckets > b, summed from
     * the top down; tail[b]: energy of the buckets < b, from the bottom up. */
    uint64_t count_sum = 0;
    double energy = 0.0;
    for (uint32_t b = BUCKET_COUNT; b-- > 0;) {
        above[b] = count_sum;
        head[b] = energy;
        count_sum += t->tally[b].count;
        energy += bucket_energy(t, b);
    }
    energy = 0.0;
    for (uint32_t b = 0; b < BUCKET_COUNT; b++) {
        tail[b] = energy;
        energy += bucket_energy(t, b);
    }
    uint64_t finite = count_sum;
    for (size_t i = 0; i < nk; i++) {
        k_plan *p = &t->plans[i];
        p->k = ks[i];
        p->k_effective = ks[i] < finite ? ks[i] : finite;
        p->slot = -1;
        if (p->k_effective == 0) continue;
        uint32_t b = find_boundary(above, p->k_effective);
        if (t->bucket_slot[b] < 0) {
            t->bucket_slot[b] = (int32_t)t->slot_count;
            t->slot_bucket[t->slot_count++] = b;
        }
        p->slot = t->bucket_slot[b];
        p->take = p->k_effective - above[b];
        p->head_above = head[b];
        p->tail_below = tail[b];
    }
    if (allocate_sub(t) < 0) goto done;
    t->phase = PHASE_REFINE;
    *refine = t->slot_count > 0;
    rc = GTAP_OK;
done:
    free(above);
    free(head);
    free(tail);
    if (rc < 0) {
        drop_plan(t);
        return gtap_set_error(rc, "tail energy: out of memory planning %zu values of k", nk);
    }
    return GTAP_OK;
}

int gtap_tail_adopt_plan(gtap_tail *t, const gtap_tail *planned)
{
    if (t == NULL || planned == NULL) return gtap_set_error(GTAP_EINVAL, "gtap_tail_adopt_plan: NULL argument");
    if (planned->phase != PHASE_REFINE) return gtap_set_error(GTAP_ESTATE, "gtap_tail_adopt_plan: the source is not planned");
    if (t == planned) return GTAP_OK;
    gtap_tail_reset(t);
    if (allocate_plan(t, planned->k_count) < 0) goto oom;
    if (planned->k_count) memcpy(t->plans, planned->plans, planned->k_count * sizeof *t->plans);
    t->slot_count = planned->slot_count;
    if (planned->slot_count)
        memcpy(t->slot_bucket, planned->slot_bucket, planned->slot_count * sizeof *t->slot_bucket);
    memcpy(t->bucket_slot, planned->bucket_slot, BUCKET_COUNT * sizeof *t->bucket_slot);
    if (allocate_sub(t) < 0) goto oom;
    t->phase = PHASE_REFINE;
    return GTAP_OK;
oom:
    drop_plan(t);
    return gtap_set_error(GTAP_ENOMEM, "tail energy: out of memory copying a plan");
}

/* Pass 2 with many boundary buckets, a block of REFINE_GROUP_BLOCK values
 * at a time: an 8 KiB bitmap of the boundary buckets (it stays in L1)
 * picks the values to count; their level-2 positions slot * SUB_COUNT + low
 * are grouped by slot (one counting-sort pass) and only then counted, so
 * the increments of a group stay inside one slot's 256 KiB instead of
 * missing the cache all over slot_count * 256 KiB. The counts are the same
 * integers as refine_lookup's. */
static void refine_grouped(gtap_tail *t, const float *u, uint64_t n)
{
    const int32_t *bucket_slot = t->bucket_slot;
    uint64_t *sub = t->sub, *start = t->group_start;
    uint32_t *hits = t->group_hits, *sorted = t->group_hits + REFINE_GROUP_BLOCK;
    for (uint64_t done = 0; done < n;) {
        uint32_t block = n - done < REFINE_GROUP_BLOCK ? (uint32_t)(n - done) : REFINE_GROUP_BLOCK, found = 0;
        const float *v = u + done;
        for (uint32_t i = 0; i < block; i++) {
            uint32_t bits = magnitude_bits(v[i]), key = bits >> SUB_BITS; /* non-finite keys are never boundaries */
            hits[found] = (uint32_t)bucket_slot[key] << SUB_BITS | (bits & SUB_MASK);
            found += (t->boundary_bitmap[key >> 6] >> (key & 63)) & 1u;
        }
        memset(start, 0, (t->slot_count + 1) * sizeof *start);
        for (uint32_t i = 0; i < found; i++) start[(hits[i] >> SUB_BITS) + 1]++;
        for (size_t s = 1; s <= t->slot_count; s++) start[s] += start[s - 1];
        for (uint32_t i = 0; i < found; i++) sorted[start[hits[i] >> SUB_BITS]++] = hits[i];
        for (uint32_t i = 0; i < found; i++) sub[sorted[i]]++;
        done += block;
    }
}

/* Pass 2 over u[0..n): count the finite values of the boundary buckets by
 * their low 15 bits, looking each key up in bucket_slot. */
static void refine_lookup(const int32_t *bucket_slot, uint64_t *sub, const float *u, uint64_t n)
{
    for (uint64_t i = 0; i < n; i++) {
        uint32_t bits = magnitude_bits(u[i]);
        if (bits >= FINITE_LIMIT) continue;
        int32_t slot = bucket_slot[bits >> SUB_BITS];
        if (slot >= 0) sub[(size_t)slot * SUB_COUNT + (bits & SUB_MASK)]++;
    }
}

#if defined(__GNUC__) && __GNUC__ >= 9 && !defined(__clang__)
#define REFINE_VECTOR 1
#define REFINE_LANES 8u
typedef uint32_t v8u __attribute__((vector_size(32)));

/* Pass 2 when there are at most REFINE_FEW_SLOTS boundary buckets: the keys of
 * 8 values at a time are compared with every boundary bucket at once, and
 * only a group with a match goes through refine_lookup (the counts are the
 * same integers either way). Non-finite values never match: their key is
 * in exponent 255, which no boundary bucket has (boundaries hold finite
 * values), and refine_lookup skips them anyway. */
GTAP_CLONES_AVX2
static void refine_few(const gtap_tail *t, const float *u, uint64_t n)
{
    v8u keys[REFINE_FEW_SLOTS];
    for (uint32_t s = 0; s < REFINE_FEW_SLOTS; s++) {
        uint32_t b = t->slot_bucket[s < t->slot_count ? s : 0]; /* padding repeats slot 0 */
        keys[s] = (v8u){b, b, b, b, b, b, b, b};
    }
    const v8u magnitude = {0x7fffffffu, 0x7fffffffu, 0x7fffffffu, 0x7fffffffu,
                           0x7fffffffu, 0x7fffffffu, 0x7fffffffu, 0x7fffffffu};
    uint64_t i = 0;
    for (; i + REFINE_LANES <= n; i += REFINE_LANES) {
        v8u bits;
        memcpy(&bits, u + i, sizeof bits);
        v8u key = (bits & magnitude) >> SUB_BITS;
        v8u hit = (v8u)(key == keys[0]);
        for (uint32_t s = 1; s < REFINE_FEW_SLOTS; s++) hit |= (v8u)(key == keys[s]);
        uint64_t words[4];
        memcpy(words, &hit, sizeof words);
        if (words[0] | words[1] | words[2] | words[3]) refine_lookup(t->bucket_slot, t->sub, u + i, REFINE_LANES);
    }
    refine_lookup(t->bucket_slot, t->sub, u + i, n - i);
}
#endif

int gtap_tail_refine(gtap_tail *t, const float *u, uint64_t n)
{
    if (t == NULL || (u == NULL && n > 0)) return gtap_set_error(GTAP_EINVAL, "gtap_tail_refine: NULL argument");
    if (t->phase != PHASE_REFINE) return gtap_set_error(GTAP_ESTATE, "gtap_tail_refine: not planned yet");
    if (t->slot_count == 0) return GTAP_OK;
#ifdef REFINE_VECTOR
    if (t->slot_count <= REFINE_FEW_SLOTS) {
        refine_few(t, u, n);
        return GTAP_OK;
    }
#endif
    if (t->group_hits != NULL) {
        refine_grouped(t, u, n);
        return GTAP_OK;
    }
    refine_lookup(t->bucket_slot, t->sub, u, n);
    return GTAP_OK;
}

/* Energy of the `take` largest (from_top) or smallest values of a bucket
 * from its level-2 counts; *edge receives the last value taken and *ties
 * its multiplicity. */
static double partial_energy(const uint64_t *sub, uint32_t bucket, uint64_t take, int from_top, double *edge,
                             uint64_t *ties)
{
    double energy = 0.0;
    for (uint32_t step = 0; step < SUB_COUNT && take > 0; step++) {
        uint32_t j = from_top ? SUB_COUNT - 1 - step : step;
        uint64_t c = sub[j];
        if (c == 0) continue;
        double v = value_of_bits((bucket << SUB_BITS) | j);
        uint64_t used = c < take ? c : take;
        energy += (double)used * (v * v);
        take -= used;
        if (edge) *edge = v;
        if (ties) *ties = c;
    }
    return energy;
}

int gtap_tail_finish(gtap_tail *t, gtap_tail_result *results)
{
    if (t == NULL || (results == NULL && t->k_count > 0)) return gtap_set_error(GTAP_EINVAL, "gtap_tail_finish: NULL argument");
    if (t->phase != PHASE_REFINE) return gtap_set_error(GTAP_ESTATE, "gtap_tail_finish: not planned yet");
    for (size_t s = 0; s < t->slot_count; s++) {
        uint64_t seen = 0;
        const uint64_t *sub = t->sub + s * SUB_COUNT;
        for (uint32_t j = 0; j < SUB_COUNT; j++) seen += sub[j];
        uint32_t b = t->slot_bucket[s];
        if (seen != t->tally[b].count)
            return gtap_set_error(GTAP_EFORMAT,
                                  "tail energy: pass 2 saw %llu values in bucket %u, pass 1 saw %llu "
                                  "(the two passes did not read the same data)",
                                  (unsigned long long)seen, b, (unsigned long long)t->tally[b].count);
    }
    double norm2 = 0.0;
    for (uint32_t b = 0; b < BUCKET_COUNT; b++) norm2 += bucket_energy(t, b);
    for (size_t i = 0; i < t->k_count; i++) {
        const k_plan *p = &t->plans[i];
        gtap_tail_result *r = &results[i];
        r->k = p->k;
        r->k_effective = p->k_effective;
        r->norm2 = norm2;
        if (p->slot < 0) {
            r->head2 = 0.0;
            r->tail2 = norm2;
            r->threshold = NAN;
            r->threshold_ties = 0;
            continue;
        }
        const uint64_t *sub = t->sub + (size_t)p->slot * SUB_COUNT;
        uint32_t b = t->slot_bucket[p->slot];
        r->head2 = p->head_above + partial_energy(sub, b, p->take, 1, &r->threshold, &r->threshold_ties);
        r->tail2 = p->tail_below + partial_energy(sub, b, t->tally[b].count - p->take, 0, NULL, NULL);
    }
    return GTAP_OK;
}

int gtap_tail_moments(const gtap_tail *t, gtap_moments *moments)
{
    if (t == NULL || moments == NULL) return gtap_set_error(GTAP_EINVAL, "gtap_tail_moments: NULL argument");
    *moments = t->moments;
    return GTAP_OK;
}

int gtap_tail_take_moments(gtap_tail *t, gtap_moments *moments)
{
    if (t == NULL || moments == NULL) return gtap_set_error(GTAP_EINVAL, "gtap_tail_take_moments: NULL argument");
    *moments = t->moments;
    gtap_moments_init(&t->moments);
    return GTAP_OK;
}
