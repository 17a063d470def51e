/* tail_parallel.c - the exact tail-energy kernel (gradtap/tail.h) run by a
 * team of OpenMP threads over a vector given in chunks (gradtap/stats.h).
 * Each thread owns an accumulator; a chunk is cut into fixed segments that
 * the threads take in turn; the moments of each segment are kept apart and
 * merged in segment order, and the histogram sums are exact, so results do
 * not depend on the number of threads (docs/THEORY.md s.3). */
#include <omp.h>
#include <sched.h>
#include <stdlib.h>

#include "gradtap/stats.h"

struct gtap_tail_team {
    int threads;
    gtap_tail **workers;
    gtap_moments moments;   /* merged in segment order */
    gtap_moments *segments; /* per segment of the current chunk */
    size_t segment_capacity;
};

int gtap_tail_team_create(int threads, gtap_tail_team **team)
{
    if (team == NULL) return gtap_set_error(GTAP_EINVAL, "gtap_tail_team_create: NULL output");
    *team = NULL;
    if (threads <= 0) threads = omp_get_max_threads();
    if (threads < 1) threads = 1;
    gtap_tail_team *t = calloc(1, sizeof *t);
    if (t == NULL || (t->workers = calloc((size_t)threads, sizeof *t->workers)) == NULL) {
        free(t);
        return gtap_set_error(GTAP_ENOMEM, "tail energy: out of memory");
    }
    t->threads = threads;
    for (int i = 0; i < threads; i++) {
        int rc = gtap_tail_create(&t->workers[i]);
        if (rc < 0) {
            gtap_tail_team_free(t);
            return rc;
        }
    }
    gtap_moments_init(&t->moments);
    *team = t;
    return GTAP_OK;
}

void gtap_tail_team_free(gtap_tail_team *t)
{
    if (t == NULL) return;
    for (int i = 0; i < t->threads; i++) gtap_tail_free(t->workers[i]);
    free(t->workers);
    free(t->segments);
    free(t);
}

void gtap_tail_team_reset(gtap_tail_team *t)
{
    if (t == NULL) return;
    for (int i = 0; i < t->threads; i++) gtap_tail_reset(t->workers[i]);
    gtap_moments_init(&t->moments);
}

static uint64_t segment_count(uint64_t n)
{
    return n / GTAP_TAIL_SEGMENT + (n % GTAP_TAIL_SEGMENT ? 1 : 0);
}

/* Make room for the moments of `segments` segments. */
static int reserve_segments(gtap_tail_team *t, uint64_t segments)
{
    if (segments <= t->segment_capacity) return GTAP_OK;
    if (segments > SIZE_MAX / sizeof *t->segments) return gtap_set_error(GTAP_EOVERFLOW, "tail energy: chunk too large");
    gtap_moments *grown = realloc(t->segments, (size_t)segments * sizeof *grown);
    if (grown == NULL) return gtap_set_error(GTAP_ENOMEM, "tail energy: out of memory");
    t->segments = grown;
    t->segment_capacity = segments;
    return GTAP_OK;
}

static int merge_segment_moments(gtap_tail_team *t, uint64_t segments)
{
    int status = GTAP_OK;
    for (uint64_t s = 0; s < segments && status == GTAP_OK; s++) status = gtap_moments_merge(&t->moments, &t->segments[s]);
    return status;
}

/* Pass 1 of one segment by the calling thread's worker. */
static int feed_segment(gtap_tail_team *t, gtap_tail *worker, const float *u, uint64_t n, uint64_t s)
{
    uint64_t begin = s * GTAP_TAIL_SEGMENT;
    uint64_t length = n - begin < GTAP_TAIL_SEGMENT ? n - begin : GTAP_TAIL_SEGMENT;
    int rc = gtap_tail_feed(worker, u + begin, length);
    return rc == GTAP_OK ? gtap_tail_take_moments(worker, &t->segments[s]) : rc;
}

/* Run pass 1 (refine = 0) or pass 2 over the segments of one chunk. */
static int team_pass(gtap_tail_team *t, const float *u, uint64_t n, int refine)
{
    if (u == NULL && n > 0) return gtap_set_error(GTAP_EINVAL, "tail energy: NULL chunk");
    uint64_t segments = segment_count(n);
    if (!refine) {
        int rc = reserve_segments(t, segments);
        if (rc < 0) return rc;
    }
    int threads = segments < (uint64_t)t->threads ? (int)segments : t->threads;
    if (threads < 1) threads = 1;
    int status = GTAP_OK;
#pragma omp parallel num_threads(threads) reduction(min : status)
    {
        gtap_tail *worker = t->workers[omp_get_thread_num()];
#pragma omp for schedule(static)
        for (int64_t s = 0; s < (int64_t)segments; s++) {
            int rc;
            if (refine) {
                uint64_t begin = (uint64_t)s * GTAP_TAIL_SEGMENT;
                rc = gtap_tail_refine(worker, u + begin, n - begin < GTAP_TAIL_SEGMENT ? n - begin : GTAP_TAIL_SEGMENT);
            } else {
                rc = feed_segment(t, worker, u, n, (uint64_t)s);
            }
            if (rc < status) status = rc;
        }
    }
    if (status < 0 || refine) return status;
    return merge_segment_moments(t, segments);
}

int gtap_tail_team_feed_reading(gtap_tail_team *t, float *u, uint64_t n, gtap_tail_read_fn read, void *user)
{
    if (t == NULL || read == NULL || (u == NULL && n > 0)) return gtap_set_error(GTAP_EINVAL, "gtap_tail_team_feed_reading: NULL argument");
    uint64_t segments = segment_count(n);
    int status = reserve_segments(t, segments);
    if (status < 0) return status;
    int threads = segments < (uint64_t)t->threads ? (int)segments : t->threads;
    if (threads < 1) threads = 1;
    /* `ready`: segments read so far (all of them once reading failed);
     * `next`: the next segment to feed. Thread 0 reads, then feeds. */
    uint64_t ready = 0, next = 0;
    int read_status = GTAP_OK;
#pragma omp parallel num_threads(threads) reduction(min : status)
    {
        gtap_tail *worker = t->workers[omp_get_thread_num()];
        if (omp_get_thread_num() == 0) {
            for (uint64_t s = 0; s < segments; s++) {
                uint64_t begin = s * GTAP_TAIL_SEGMENT;
                int rc = read(user, begin, n - begin < GTAP_TAIL_SEGMENT ? n - begin : GTAP_TAIL_SEGMENT, u + begin);
                if (rc < 0) {
#pragma omp atomic write seq_cst
                    read_status = rc;
#pragma omp atomic write seq_cst
                    ready = segments;
                    break;
                }
#pragma omp atomic write seq_cst
                ready = s + 1;
            }
        }
        for (;;) {
            uint64_t s, have;
#pragma omp atomic capture
            s = next++;
            if (s >= segments) break;
            do {
#pragma omp atomic read seq_cst
                have = ready;
                if (have <= s) sched_yield();
            } while (have <= s);
            int failed;
#pragma omp atomic read seq_cst
            failed = read_status;
            if (failed < 0) break;
            int rc = feed_segment(t, worker, u, n, s);
            if (rc < status) status = rc;
        }
    }
    if (read_status < 0) return read_status;
    return status < 0 ? status : merge_segment_moments(t, segments);
}

int gtap_tail_team_feed(gtap_tail_team *t, const float *u, uint64_t n)
{
    if (t == NULL) return gtap_set_error(GTAP_EINVAL, "gtap_tail_team_feed: NULL team");
    return team_pass(t, u, n, 0);
}

int gtap_tail_team_plan(gtap_tail_team *t, const uint64_t *ks, size_t nk, int *refine)
{
    if (t == NULL) return gtap_set_error(GTAP_EINVAL, "gtap_tail_team_plan: NULL team");
    int rc = GTAP_OK;
    for (int i = 1; i < t->threads && rc == GTAP_OK; i++) rc = gtap_tail_merge(t->workers[0], t->workers[i]);
    if (rc == GTAP_OK) rc = gtap_tail_plan(t->workers[0], ks, nk, refine);
    for (int i = 1; i < t->threads && rc == GTAP_OK; i++) rc = gtap_tail_adopt_plan(t->workers[i], t->workers[0]);
    return rc;
}

int gtap_tail_team_refine(gtap_tail_team *t, const float *u, uint64_t n)
{
    if (t == NULL) return gtap_set_error(GTAP_EINVAL, "gtap_tail_team_refine: NULL team");
    return team_pass(t, u, n, 1);
}

int gtap_tail_team_finish(gtap_tail_team *t, gtap_tail_result *results, gtap_moments *moments)
{
    if (t == NULL) return gtap_set_error(GTAP_EINVAL, "gtap_tail_team_finish: NULL team");
    int rc = GTAP_OK;
    for (int i = 1; i < t->threads && rc == GTAP_OK; i++) rc = gtap_tail_merge(t->workers[0], t->workers[i]);
    if (rc == GTAP_OK) rc = gtap_tail_finish(t->workers[0], results);
    if (rc == GTAP_OK && moments) *moments = t->moments;
    return rc;
}

int gtap_tail_energy_threads(const float *u, uint64_t d, const uint64_t *ks, size_t nk,
                             gtap_tail_result *results, gtap_moments *moments, int threads)
{
    if ((u == NULL && d > 0) || (nk > 0 && (ks == NULL || results == NULL)))
        return gtap_set_error(GTAP_EINVAL, "gtap_tail_energy_threads: NULL argument");
    gtap_tail_team *team = NULL;
    int refine = 0;
    int rc = gtap_tail_team_create(threads, &team);
    if (rc == GTAP_OK) rc = gtap_tail_team_feed(team, u, d);
    if (rc == GTAP_OK) rc = gtap_tail_team_plan(team, ks, nk, &refine);
    if (rc == GTAP_OK && refine) rc = gtap_tail_team_refine(team, u, d);
    if (rc == GTAP_OK) rc = gtap_tail_team_finish(team, results, moments);
    gtap_tail_team_free(team);
    return rc;
}
